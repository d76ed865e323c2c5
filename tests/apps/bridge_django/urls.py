from __future__ import annotations

from django.contrib import admin
from django.urls import path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("echo/<path:rest>", views.echo, name="echo"),
    path("status/<int:code>", views.status),
    path("etag", views.etag),
    path("dup-headers", views.dup_headers),
    path("header-bytes", views.header_bytes),
    path("redirect", views.redirect_view),
    path("slash/", views.slash),
    path("error", views.error),
    path("upload", views.upload),
    path("cookies", views.cookies),
    path("cookies/set", views.cookies_set),
    path("cookies/delete", views.cookies_delete),
    path("notes", views.notes),
]
