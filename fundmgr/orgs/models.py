"""Association units and who works in them.

The association is a tree of any depth (province → commune or ward → branch in a village,
school or agency; the 2025 reform removed districts). Each unit stores its materialised
`path` (the ids of its ancestors and itself, zero-padded and dot-separated), so "this unit
and everything below it" is one indexed `path LIKE 'x%'` query instead of a recursive walk.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PATH_STEP = 10  # digits per level in `OrgUnit.path`


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("Hội Khuyến học tỉnh")
        COMMUNE = "commune", _("Hội Khuyến học xã / phường")
        BRANCH = "branch", _("Chi hội")

    name = models.CharField(_("tên"), max_length=200)
    code = models.CharField(_("mã"), max_length=40)
    kind = models.CharField(_("cấp"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("đơn vị cấp trên"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(_("đường dẫn trong cây"), max_length=255, editable=False, db_index=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    administrative_code = models.CharField(
        _("mã đơn vị hành chính"), max_length=20, blank=True,
        help_text=_("Mã tỉnh / xã theo danh mục đơn vị hành chính sau sắp xếp năm 2025."),
    )

    class Meta:
        verbose_name = _("đơn vị hội")
        verbose_name_plural = _("đơn vị hội")
        ordering = ["path"]
        # The code as a constraint, not `unique=True`, which adds a LIKE-prefix twin on PostgreSQL
        # that no query uses. `path` keeps its twin: "this unit and all below it" is `path LIKE 'x%'`.
        constraints = [models.UniqueConstraint(fields=["code"], name="orgs_unit_code_unique")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The path needs the primary key, so a new unit is saved twice.
        if self.pk is None:
            self.path = ""
            super().save(*args, **kwargs)
            kwargs.pop("force_insert", None)
            kwargs["update_fields"] = ["path"]
        self.path = self._compute_path()
        super().save(*args, **kwargs)

    def _compute_path(self) -> str:
        own = f"{self.pk:0{PATH_STEP}d}."
        return (self.parent.path if self.parent_id else "") + own

    def descendants_and_self(self):
        return OrgUnit.objects.filter(path__startswith=self.path)

    def ancestors_and_self(self):
        pks = [int(part) for part in self.path.split(".") if part]
        return OrgUnit.objects.filter(pk__in=pks).order_by("path")


class Membership(models.Model):
    class Role(models.TextChoices):
        TREASURER = "treasurer", _("Thủ quỹ / kế toán")
        AUDITOR = "auditor", _("Kiểm tra / kiểm toán")
        NOMINATOR = "nominator", _("Người đề cử")
        COMMITTEE = "committee", _("Hội đồng xét học bổng")
        ADMIN = "admin", _("Quản trị đơn vị")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người dùng"),
        on_delete=models.CASCADE, related_name="memberships",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="memberships",
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="orgs_membership_unique_role"),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.unit}"
