"""`/transparency/`: the signed checkpoints and the RFC 9162 proofs, public and read-only."""

from django.urls import path

from . import proof_views, views

app_name = "transparency"

urlpatterns = [
    path("checkpoints/", views.checkpoint_list, name="checkpoints"),
    path("proof/inclusion", proof_views.inclusion, name="proof-inclusion"),
    path("proof/consistency", proof_views.consistency, name="proof-consistency"),
    path("transparency_verify.py", proof_views.verify_script, name="verify-script"),
]
