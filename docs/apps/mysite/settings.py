"""Settings of the polls demo: startproject's, with what a page in the browser needs."""

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "a-demo-key-in-the-docs"
DEBUG = False
# The docs may be served from any host.
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "mysite.polls",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "mysite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
# sqlite3 is in Pyodide's standard library; the file lives in the page's memory.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(tempfile.gettempdir()) / "mysite.sqlite3",
    }
}
# A demo's shortcut: Django's default hasher takes seconds per login in Pyodide.
# Never in production.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
TIME_ZONE = "UTC"
# Absolute, with the mount prefix the app is served under (a server gives ""):
# asgi.py serves these files, which the admin's pages link to.
STATIC_URL = os.environ.get("LIVE_ASGI_ROOT_PATH", "") + "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
