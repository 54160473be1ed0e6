"""Inclusion and consistency proofs of the transparency log as JSON (RFC 9162 §2.1.3, §2.1.4).

Anonymous and read-only. The answer for given sizes never changes (the tree only grows), so it
may be cached anywhere; an answer for "the latest checkpoint" (no `size`) only for a few minutes.
Every answer costs a few indexed queries whatever the size of the log (`tree.py`). Sizes are
those of the stored tree, which each checkpoint extends before it is signed.
"""

import functools

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fundmgr.core import merkle
from fundmgr.security import rate_limit

from . import tree
from .models import Checkpoint

PROOF_PER_IP_DEFAULT = "120/m"
FIXED_ANSWER_MAX_AGE = 86400
LATEST_ANSWER_MAX_AGE = 300
_MAX_DIGITS = 18  # fits a PositiveBigIntegerField
# The file donors run; the docs and the "check my gift" page point here.
VERIFY_SCRIPT = settings.BASE_DIR / "scripts" / "transparency_verify.py"


class ProofRequestError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _number(request, name: str, *, required: bool = True) -> int | None:
    value = request.GET.get(name)
    if value is None or value == "":
        if required:
            raise ProofRequestError(_("Thiếu tham số “%(name)s”.") % {"name": name})
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS):
        raise ProofRequestError(_("Tham số “%(name)s” phải là một số nguyên không âm.") % {"name": name})
    return int(value)


def _latest_checkpoint_size() -> int:
    size = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    if size is None:
        raise ProofRequestError(_("Chưa có điểm kiểm chứng nào được công bố."), status=404)
    return size


def _beyond_the_log(size: int) -> ProofRequestError:
    return ProofRequestError(_("Nhật ký minh bạch chưa có %(size)s bút toán.") % {"size": size}, status=404)


def _proof_view(answer):
    """Rate limit, turn ProofRequestError into a JSON error, and mark fixed answers cacheable."""

    @require_http_methods(["GET", "HEAD"])
    @functools.wraps(answer)
    def view(request):
        rate = getattr(settings, "TRANSPARENCY_PROOF_RATE_LIMIT_PER_IP", PROOF_PER_IP_DEFAULT)
        if not rate_limit.hit("transparency-proof-ip", rate_limit.client_ip(request), rate):
            response = JsonResponse(
                {"error": _("Quá nhiều yêu cầu trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại.")}, status=429
            )
            response["Retry-After"] = "60"
            return response
        try:
            body, fixed = answer(request)
        except ProofRequestError as error:
            return JsonResponse({"error": error.message}, status=error.status)
        response = JsonResponse(body)
        patch_cache_control(response, public=True, max_age=FIXED_ANSWER_MAX_AGE if fixed else LATEST_ANSWER_MAX_AGE)
        return response

    return view


@_proof_view
def inclusion(request):
    """`?entry=<journal entry id>&size=<tree size>`: the entry's leaf and audit path, and the root."""
    entry_id = _number(request, "entry")
    size = _number(request, "size", required=False)
    fixed = size is not None
    if size is None:
        size = _latest_checkpoint_size()
    try:
        leaf = tree.leaf_for_entry(entry_id)
    except tree.TreeSizeError:
        raise ProofRequestError(
            _("Bút toán số %(entry)s không có trong nhật ký minh bạch (hoặc chưa được đưa vào cây).") % {"entry": entry_id},
            status=404,
        ) from None
    if leaf.index >= size:
        raise ProofRequestError(
            _("Bút toán số %(entry)s (vị trí %(index)s) được ghi sau cây %(size)s bút toán.")
            % {"entry": entry_id, "index": leaf.index, "size": size},
            status=404,
        )
    try:
        path, root = tree.inclusion_proof_with_root(leaf.index, size)
    except tree.TreeSizeError:
        raise _beyond_the_log(size) from None
    body = {
        "entry": leaf.entry_id,
        "entry_hash": leaf.entry_hash,
        "leaf_index": leaf.index,
        "leaf_hash": merkle.leaf_hash(bytes.fromhex(leaf.entry_hash)).hex(),
        "tree_size": size,
        "audit_path": [item.hex() for item in path],
        "root_hash": root.hex(),
    }
    return body, fixed


@_proof_view
def consistency(request):
    """`?from=<m>&to=<n>`: the proof that the tree of m entries is a prefix of the tree of n, and both roots.
    Without `to`, the latest checkpoint's size."""
    old_size = _number(request, "from")
    new_size = _number(request, "to", required=False)
    fixed = new_size is not None
    if new_size is None:
        new_size = _latest_checkpoint_size()
    if old_size > new_size:
        raise ProofRequestError(
            _("“from” (%(old)s) không được lớn hơn “to” (%(new)s).") % {"old": old_size, "new": new_size}
        )
    try:
        proof, old_root, new_root = tree.consistency_proof_with_roots(old_size, new_size)
    except tree.TreeSizeError:
        raise _beyond_the_log(new_size) from None
    body = {
        "from": old_size,
        "to": new_size,
        "proof": [item.hex() for item in proof],
        "from_root_hash": old_root.hex(),
        "to_root_hash": new_root.hex(),
    }
    return body, fixed


@require_http_methods(["GET", "HEAD"])
def verify_script(request):
    """The standalone verifier, served as the file it is in the repository, to download and read."""
    response = FileResponse(
        open(VERIFY_SCRIPT, "rb"), as_attachment=True, filename=VERIFY_SCRIPT.name,  # FileResponse closes it
        content_type="text/x-python; charset=utf-8",
    )
    patch_cache_control(response, public=True, max_age=LATEST_ANSWER_MAX_AGE)
    return response
