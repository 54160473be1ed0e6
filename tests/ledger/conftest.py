"""Fixtures of the ledger tests: a province, funds, and the chart of accounts.

Transactional tests (`transaction=True`) empty every table afterwards, including the chart that
migration 0002 created, so `chart` puts it (and the chain head) back for whoever comes next.
"""

import pytest

from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit

from .helpers import chart_install


@pytest.fixture
def chart(db):
    chart_install()


@pytest.fixture
def province(chart):
    return OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def commune(province):
    return OrgUnit.objects.create(
        name="Hội Khuyến học phường Hạc Thành", code="TH-14797", kind=OrgUnit.Kind.COMMUNE, parent=province
    )


@pytest.fixture
def make_fund(province):
    def make(code: str, name: str | None = None, **fields) -> Fund:
        fields.setdefault("unit", province)
        return Fund.objects.create(code=code, name=name or f"Quỹ {code}", **fields)

    return make
