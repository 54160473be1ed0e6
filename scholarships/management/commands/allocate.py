"""`manage.py allocate PROGRAM [--user USERNAME]`: run the allocation of a scholarship program.

The same service as the admin's action (`awards.allocation_run`): it stores the run with its
inputs and every decision and proposes awards for the committee to approve; it approves nothing.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fundmgr.core.money import format_vnd
from scholarships.models import ScholarshipProgram
from scholarships.services.awards import allocation_run


class Command(BaseCommand):
    help = "Run the allocation of a scholarship program and propose its awards."

    def add_arguments(self, parser):
        parser.add_argument("program", help="the program's code, e.g. NCUM-2026")
        parser.add_argument("--user", help="the username recorded as running it (audit trail)")

    def handle(self, *args, program: str, user: str | None, **options):
        program_object = ScholarshipProgram.objects.filter(code=program.strip().upper()).first()
        if program_object is None:
            raise CommandError(f"no program with code {program!r}")
        runner = None
        if user:
            runner = get_user_model().objects.filter(username=user).first()
            if runner is None:
                raise CommandError(f"no user {user!r}")
        try:
            run = allocation_run(program=program_object, by=runner)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        self.stdout.write(
            f"run #{run.pk}: {run.funded_count} of {len(run.decisions)} funded, {format_vnd(run.funded_amount)}"
        )
        for decision in run.decisions:
            if decision["reason"] != "funded":
                self.stdout.write(f"  #{decision['rank']} nomination {decision['nomination']}: {decision['reason']}")
