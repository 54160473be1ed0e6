"""The materialised path: kept by OrgUnit.save, and what descendants/ancestors read from it."""

import pytest

from fundmgr.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_path_is_the_chain_of_zero_padded_ids(tree):
    assert tree.province.path == f"{tree.province.pk:010d}."
    assert tree.commune_a.path == f"{tree.province.pk:010d}.{tree.commune_a.pk:010d}."
    assert tree.group_a.path == (
        f"{tree.province.pk:010d}.{tree.commune_a.pk:010d}.{tree.branch_a.pk:010d}.{tree.group_a.pk:010d}."
    )
    # What save() computed is what the database holds.
    assert OrgUnit.objects.get(pk=tree.group_a.pk).path == tree.group_a.path


def test_descendants_and_self_is_the_subtree_only(tree):
    assert {u.code for u in tree.commune_a.descendants_and_self()} == {"P-A", "P-A-1", "P-A-1-a"}
    assert {u.code for u in tree.branch_b.descendants_and_self()} == {"P-B-1"}
    assert {u.code for u in tree.province.descendants_and_self()} == tree.all_codes


def test_ancestors_and_self_runs_from_the_root_down(tree):
    assert [u.code for u in tree.group_a.ancestors_and_self()] == ["P", "P-A", "P-A-1", "P-A-1-a"]
    assert [u.code for u in tree.province.ancestors_and_self()] == ["P"]


def test_unit_1_is_not_a_prefix_of_unit_10():
    # Zero padding plus the trailing dot: without them "1" would match "10", "11", ...
    one = OrgUnit.objects.create(pk=1, name="Một", code="U1", kind=OrgUnit.Kind.PROVINCE)
    OrgUnit.objects.create(pk=10, name="Mười", code="U10", kind=OrgUnit.Kind.PROVINCE)
    OrgUnit.objects.create(pk=11, name="Mười một", code="U11", kind=OrgUnit.Kind.COMMUNE, parent=one)
    assert {u.code for u in one.descendants_and_self()} == {"U1", "U11"}
