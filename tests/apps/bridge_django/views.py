"""The test contract as plain synchronous Django views (run through asgiref)."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition

from .models import Note

ECHOED = ("host", "content-type", "content-length", "x-custom", "x-text", "cookie", "origin")


@csrf_exempt
def echo(request: HttpRequest, rest: str) -> HttpResponse:
    body = request.body
    form: list[object] = []
    if request.method == "POST":
        form += [[k, v] for k, values in request.POST.lists() for v in values]
        form += [
            [k, {"filename": f.name, "size": f.size, "sha256": hashlib.sha256(f.read()).hexdigest()}]
            for k, files in request.FILES.lists()
            for f in files
        ]
    return JsonResponse(
        {
            "method": request.method,
            "rest": rest,
            "path": request.path,
            "path_info": request.path_info,
            "root_path": request.META["SCRIPT_NAME"],
            "query_string": request.META["QUERY_STRING"],
            "query": [[k, v] for k, values in request.GET.lists() for v in values],
            "headers": {name: request.headers.get(name) for name in ECHOED},
            "x_dup": request.headers.get("x-dup"),
            "url": request.build_absolute_uri(),
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "form": form,
        }
    )


def status(request: HttpRequest, code: int) -> HttpResponse:
    response = HttpResponse(status=code)
    response["x-status"] = str(code)
    return response


@condition(etag_func=lambda request: '"v1"')
def etag(request: HttpRequest) -> HttpResponse:
    return HttpResponse("versioned content", content_type="text/plain")


def dup_headers(request: HttpRequest) -> HttpResponse:
    # Django's headers are a dict: one value per name; cookies are many.
    response = HttpResponse("two of each", content_type="text/plain")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    return response


def header_bytes(request: HttpRequest) -> HttpResponse:
    # Django sends a str value's characters as Latin-1 bytes (MIME-encoding
    # what Latin-1 cannot hold): raw UTF-8 bytes are written as their Latin-1 reading.
    response = HttpResponse("bytes in headers", content_type="text/plain")
    response["x-utf8"] = "café ✓".encode().decode("latin-1")
    response["x-utf8-latin"] = "café".encode().decode("latin-1")
    response["x-latin1"] = "café"
    return response


def redirect_view(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("echo", kwargs={"rest": "target"}))


def slash(request: HttpRequest) -> HttpResponse:
    return HttpResponse("with a trailing slash", content_type="text/plain")


def error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the app failed on purpose")


@csrf_exempt
def upload(request: HttpRequest) -> HttpResponse:
    f = request.FILES["file"]
    data = f.read()
    return JsonResponse({"filename": f.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def cookies(request: HttpRequest) -> HttpResponse:
    return JsonResponse(dict(request.COOKIES))


def cookies_set(request: HttpRequest) -> HttpResponse:
    q = request.GET
    response = HttpResponse(f"set {q['name']}", content_type="text/plain")
    max_age = int(q["max_age"]) if "max_age" in q else None
    response.set_cookie(q["name"], q["value"], max_age=max_age, path=q.get("path", "/"))
    return response


def cookies_delete(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(f"deleted {request.GET['name']}", content_type="text/plain")
    response.delete_cookie(request.GET["name"])
    return response


def notes(request: HttpRequest) -> HttpResponse:
    """The ORM from a sync view."""
    titles = list(Note.objects.order_by("title").values_list("title", flat=True))
    return JsonResponse({"notes": titles})
