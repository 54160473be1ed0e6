"""The list's row checkbox (`ScopedAdminMixin.action_checkbox`) is Django's, byte for byte, in both
languages, for a row whose name needs escaping; only the way it is made differs (no widget
template rendered per row)."""

import pytest
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.utils import translation

from donations.models import Donor
from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_row_checkbox_is_djangos_own(language):
    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    donor = Donor.objects.create(unit=unit, name='Công ty "Hồng Phát" <TNHH> & Cộng sự', kind=Donor.Kind.BUSINESS)
    model_admin = admin.site._registry[Donor]
    assert isinstance(model_admin, ScopedAdminMixin)
    with translation.override(language):
        ours = model_admin.action_checkbox(donor)
        djangos = ModelAdmin.action_checkbox(model_admin, donor)
    assert ours == djangos
    assert "&quot;Hồng Phát&quot; &lt;TNHH&gt; &amp;" in ours
