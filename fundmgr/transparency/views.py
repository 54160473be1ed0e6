"""The published checkpoints as JSON (built in the checkpoints step of issue #13)."""

from django.http import JsonResponse


def checkpoint_list(request):
    return JsonResponse({"checkpoints": []})
