"""Inclusion and consistency proofs as JSON (built in the proofs step of issue #13)."""

from django.http import JsonResponse


def inclusion(request):
    return JsonResponse({"detail": "not yet"}, status=501)


def consistency(request):
    return JsonResponse({"detail": "not yet"}, status=501)
