"""The stored tree under the application's PostgreSQL role: it syncs (INSERT and the advisory
lock are all it needs) and can neither change nor remove a stored node, so a rewritten subtree
hash cannot come from the app (`fundmgr/security/db_roles.py`, `TreeNode.app_role_privileges`)."""

import pytest
from django.db import DatabaseError, connection, transaction

from fundmgr.transparency import tree
from fundmgr.transparency.models import TreeNode
from tests.ledger.helpers import acting_as, app_role_create

from .proof_helpers import add_entries

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_app_role_syncs_and_cannot_rewrite_the_tree(db):
    role = app_role_create()
    add_entries(6)
    with acting_as(role):
        assert tree.tree_sync() == 6
        stored = list(TreeNode.objects.order_by("level", "index").values_list("level", "index", "hash"))
        for sql in (
            "UPDATE transparency_treenode SET hash = sha256(hash) WHERE level = 1",
            "DELETE FROM transparency_treenode WHERE level = 0",
            "TRUNCATE transparency_treenode",
            "UPDATE transparency_checkpoint SET root_hash = ''",
            "DELETE FROM transparency_checkpoint",
        ):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql)
    assert list(TreeNode.objects.order_by("level", "index").values_list("level", "index", "hash")) == stored
    assert len(stored) == 6 + 3 + 1
