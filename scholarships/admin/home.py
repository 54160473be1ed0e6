"""The scholarship panels of the admin's home (`fundmgr.adminkit.home`), by what the user does:
the treasurer pays the approved awards, the committee decides the proposed ones, a nominator
follows the nominations of their units. One COUNT per item.
"""

from django.utils.translation import gettext as _

from fundmgr.adminkit.home import TODO, HomeItem, HomePanel, changelist_url, register_home_panels
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from ..models import Award, Nomination, ScholarshipProgram, Student


def _awards(user, status, roles):
    return scope_queryset(Award.objects.filter(status=status), user, "program__unit", roles=roles).count()


@register_home_panels
def scholarship_panels(request) -> list[HomePanel]:
    user, items = request.user, []
    readers = roles_with(Action.VIEW, Domain.AWARDS)
    if user_can(user, Action.VIEW, Domain.AWARDS) and user_can(user, Action.CHANGE, Domain.MONEY):
        items.append(HomeItem(_("suất học bổng đã duyệt chưa chi"), _awards(user, Award.Status.APPROVED, readers),
                              changelist_url(Award, status__exact=Award.Status.APPROVED)))
    if user_can(user, Action.APPROVE, Domain.AWARDS):
        approvers = roles_with(Action.APPROVE, Domain.AWARDS)
        items.append(HomeItem(_("suất học bổng chờ hội đồng duyệt"), _awards(user, Award.Status.PROPOSED, approvers),
                              changelist_url(Award, status__exact=Award.Status.PROPOSED)))
    panels = [HomePanel(key=TODO, title=_("Việc cần làm"), order=10, items=items)] if items else []
    if user_can(user, Action.ADD, Domain.STUDENTS):
        nominators = roles_with(Action.ADD, Domain.STUDENTS)
        nominations = scope_queryset(Nomination.objects.all(), user, "student__unit", roles=nominators)
        panels.append(HomePanel(key="nominations", title=_("Đề cử của đơn vị tôi"), order=30, items=[
            HomeItem(_("đề cử vào chương trình đang nhận đề cử"),
                     nominations.filter(program__status=ScholarshipProgram.Status.OPEN).count(),
                     changelist_url(Nomination), attention=False),
            HomeItem(_("đề cử đã có suất học bổng được duyệt"),
                     nominations.filter(awards__status__in=[Award.Status.APPROVED, Award.Status.PAID]).distinct().count(),
                     changelist_url(Nomination), attention=False),
            HomeItem(_("hồ sơ học sinh của đơn vị"),
                     scope_queryset(Student.objects.all(), user, "unit", roles=nominators).count(),
                     changelist_url(Student), attention=False),
        ]))
    return panels

