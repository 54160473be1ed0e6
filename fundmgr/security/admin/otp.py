"""django-otp's devices (the superuser's page), in the user's language: django-otp names its
fields without gettext and writes its help texts, fieldsets, search help, QR link and QR page in
English (the model's own name is relabelled in `fundmgr.security.apps.TwoFactorConfig`)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.conf import settings as otp_settings
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from fundmgr.adminkit.relabel import RelabelledAdminMixin
from fundmgr.adminkit.search import FoldedSearchMixin

admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class DeviceAdmin(FoldedSearchMixin, RelabelledAdminMixin, TOTPDeviceAdmin):
    search_help_text = _("Tìm theo tên đăng nhập hoặc địa chỉ e-mail của người dùng")
    field_labels = {
        "user": _("người dùng"),
        "name": _("tên thiết bị"),
        "confirmed": _("thiết bị đã xác nhận"),
        "created_at": _("thời điểm tạo"),
        "last_used_at": _("lần dùng gần nhất"),
        "key": _("khoá bí mật"),
        "step": _("bước thời gian (giây)"),
        "t0": _("thời điểm bắt đầu đếm (Unix)"),
        "digits": _("số chữ số"),
        "tolerance": _("dung sai (số bước)"),
        "drift": _("độ lệch đồng hồ (số bước)"),
        "last_t": _("bước của mã đúng gần nhất"),
        "throttling_failure_timestamp": _("thời điểm nhập sai gần nhất"),
        "throttling_failure_count": _("số lần nhập sai liên tiếp"),
    }
    field_help_texts = {
        "user": _("Người dùng sở hữu thiết bị này."),
        "name": _("Tên để người dùng nhận ra thiết bị."),
        "confirmed": _("Thiết bị đã sẵn sàng để dùng chưa?"),
        "key": _("Khoá bí mật dạng hex, tối đa 40 byte."),
        "step": _("Độ dài một bước thời gian, tính bằng giây."),
        "t0": _("Thời điểm Unix bắt đầu đếm các bước."),
        "digits": _("Số chữ số của một mã."),
        "tolerance": _("Số bước thời gian trước hoặc sau được chấp nhận."),
        "drift": _("Số bước mà đồng hồ của thiết bị lệch so với máy chủ."),
        "throttling_failure_timestamp": _("Thời điểm nhập sai gần nhất; để trống nếu chưa nhập sai."),
        "throttling_failure_count": _("Số lần nhập sai liên tiếp."),
    }

    def get_fieldsets(self, request, obj=None):
        titles = {
            "Identity": _("Thiết bị"), "Timestamps": _("Thời điểm"), "Configuration": _("Cấu hình"),
            "State": _("Độ lệch đồng hồ"), "Throttling": _("Chặn khi nhập sai"),
        }
        return [(titles.get(name, name), options) for name, options in super().get_fieldsets(request, obj)]

    @admin.display(description=_("mã QR"))
    def qrcode_link(self, device):
        if not device.pk:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("admin:otp_totp_totpdevice_config", args=[device.pk]), gettext("mã QR"))

    def config_view(self, request, pk):
        """django-otp's QR page, in the admin's frame and the user's language."""
        if otp_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA:
            raise PermissionDenied
        device = get_object_or_404(TOTPDevice, pk=pk)
        if not self.has_view_or_change_permission(request, device):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "device": device, "title": gettext("mã QR"),
        }
        return TemplateResponse(request, "security/admin/totp_config.html", context)
