"""`/transparency/checkpoints/`: the signed checkpoints as JSON, newest first, for anyone.

Paged by a cursor (`?before=<tree size>`, `PAGE_SIZE` a page) rather than an offset, so that a page
once served never changes: pages past the first are cached for a day, the first for five minutes.
"""

from django.http import JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from . import signing
from .models import Checkpoint

PAGE_SIZE = 100


@require_safe
def checkpoint_list(request):
    try:
        before = int(request.GET["before"]) if "before" in request.GET else None
    except ValueError:
        return JsonResponse({"detail": "before: a tree size (an integer)"}, status=400)
    checkpoints = Checkpoint.objects.order_by("-tree_size")
    if before is not None:
        checkpoints = checkpoints.filter(tree_size__lt=before)
    page = list(checkpoints[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    try:
        key = signing.public_key()
        current_key = {"key_id": signing.key_id(key), "public_key": signing.public_key_text(key)}
    except signing.SigningKeyMissing:
        current_key = {"key_id": None, "public_key": None}
    response = JsonResponse({
        "format": signing.MESSAGE_FORMAT,
        **current_key,
        "checkpoints": [signing.checkpoint_json(checkpoint.signed) for checkpoint in page],
        "next": f"{reverse('transparency:checkpoints')}?before={page[-1].tree_size}" if more else None,
    }, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=86_400 if before is not None else 300)
    return response
