"""The scene of the papers and reversal tests: the province pays "Học bổng Lam Sơn" 2026-2027,
1.500.000 ₫ an award from one fund, to twenty children (sixteen in commune A's school, four in
commune B); the treasurer Lê Văn Thủ pays each to the guardian, in cash, on 20/11/2026.
"""

import datetime

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, LedgerChainHead
from fundmgr.ledger.services import Line, entry_post
from scholarships.models import Award
from scholarships.services import awards

from .conftest import RUBRIC, make_student

DAY = datetime.date(2026, 11, 20)
AWARD = 1_500_000
FAMILY_NAMES = ("Lò", "Hà", "Vi", "Lương", "Phạm", "Nguyễn", "Cầm", "Lục")
GIVEN_NAMES = ("Thị Mai", "Văn Dũng", "Thị Hương", "Minh Khôi", "Thị Ngọc Ánh", "Đức Thắng", "Thu Trang", "Quang Huy",
               "Thị Lan", "Văn Tùng")


def ceremony_scene(units, people, *, in_a: int = 16, in_b: int = 4, pay: bool = True):
    """The fund, the program and the paid awards (in the order the students were created)."""
    units.province.address = "Số 35 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa"
    units.province.save(update_fields=["address"])
    treasurer = people["treasurer"]
    treasurer.first_name, treasurer.last_name = "Lê Văn", "Thủ"
    treasurer.save(update_fields=["first_name", "last_name"])
    accounts.chart_install()
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)
    fund = Fund.objects.create(code="QLS", name="Quỹ học bổng Lam Sơn", unit=units.province)
    entry_post(unit=units.province, date=DAY, memo="Thu ủng hộ", lines=[
        Line(accounts.BANK, fund, debit=100_000_000), Line(accounts.DONATION_INCOME, fund, credit=100_000_000),
    ])
    program = awards.program_create(
        unit=units.province, code="LS-2026", name="Học bổng Lam Sơn", school_year="2026-2027", award_amount=AWARD,
        rubric=RUBRIC, funds={fund: 60_000_000}, created_by=people["committee"],
    )
    students = []
    for index in range(in_a + in_b):
        family = FAMILY_NAMES[index % len(FAMILY_NAMES)]
        student = make_student(
            units.school_a if index < in_a else units.commune_b,
            full_name=f"{family} {GIVEN_NAMES[index % len(GIVEN_NAMES)]}", guardian_name=f"{family} Văn Sáng",
            national_id=f"0383130010{index:02d}", average_score="9.00", grade=1 + index % 9,
            school_name="Trường THCS Lam Sơn" if index % 2 else "Trường Tiểu học Xuân Lam",
        )
        nominator = people["nominator_a"] if index < in_a else people["nominator_b"]  # each commune its own
        awards.nomination_create(program=program, student=student, by=nominator)
        students.append(student)
    awards.allocation_run(program=program, by=people["committee"])
    paid = []
    for student in students:
        award = awards.award_approve(award=Award.objects.get(student=student, status="proposed"), by=people["committee"])
        if pay:
            paid.append(awards.award_disburse(
                award=award, method="cash", paid_on=DAY, recipient_name=student.guardian_name, by=treasurer,
            ))
    return fund, program, students, paid
