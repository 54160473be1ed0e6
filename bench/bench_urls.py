"""The project's URLs plus the HTTP benchmarks' baselines, served by the same gunicorn.

- `POST /bench/bare/insert/`: a bare Django view inserting one row in a transaction (the baseline
  of the pledge POST), CSRF-exempt like the API;
- `GET /bench/bare/bytes/<name>/`: a bare view returning the bytes `httpbench.bytes_save` stored
  under that name (the same bytes as the page it stands beside), with the same content type.
"""

from functools import cache
from pathlib import Path

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from fundmgr.urls import urlpatterns as project_urlpatterns

BYTES_DIR = Path(__file__).resolve().parent.parent / "var" / "bench" / "bytes"


@csrf_exempt
def bare_insert(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (amount, note) VALUES (%s, %s) RETURNING id", [len(request.body), "bench"]
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


@cache
def _stored(name: str) -> bytes:
    return (BYTES_DIR / f"{name}.html").read_bytes()


def bare_bytes(request, name):
    return HttpResponse(_stored(name), content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/bare/insert/", bare_insert),
    path("bench/bare/bytes/<slug:name>/", bare_bytes),
    *project_urlpatterns,
]
