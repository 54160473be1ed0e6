"""`manage.py import_students FILE --unit CODE [--user USERNAME]`: a school's list of students (CSV or XLSX).

The same service as the admin's import page (`services.students_import`): all rows or none, and
a child already on file is skipped, so importing a file again creates nothing new. The columns
are in docs/students.md.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fundmgr.orgs.models import OrgUnit
from scholarships.services import students_import


class Command(BaseCommand):
    help = "Import students from a CSV or XLSX file for a nominating unit (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, help="the nominating unit's code, e.g. TH-15544")
        parser.add_argument("--user", help="the username recorded as the importer (audit trail)")

    def handle(self, *args, file: Path, unit: str, user: str | None, **options):
        unit_object = OrgUnit.objects.filter(code=unit).first()
        if unit_object is None:
            raise CommandError(f"no unit with code {unit!r}")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"no user {user!r}")
        try:
            result = students_import(unit=unit_object, content=file.read_bytes(), created_by=importer)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        except ValidationError as error:
            raise CommandError("nothing imported:\n" + "\n".join(error.messages)) from None
        self.stdout.write(f"{len(result.created)} students created, {len(result.skipped_lines)} already on file")
