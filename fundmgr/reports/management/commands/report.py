"""`manage.py report KIND [--param key=value ...] [--unit CODE] [--format csv|xlsx|pdf] -o FILE`.

Runs any registered exporter as the system (every unit, or one unit's subtree), writes the file
and prints its manifest (JSON). `manage.py report --list` lists the exporters and their parameters.
Children's data stays masked unless `--personal` is given. One audit row records the export.
"""

import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fundmgr.core import exporting
from fundmgr.orgs.models import OrgUnit

from ... import services


class Command(BaseCommand):
    help = "Run a report (a registered exporter) as the system and write it to a file; --list lists them."

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", help="The exporter's name (see --list).")
        parser.add_argument("--list", action="store_true", help="List the exporters and their parameters.")
        parser.add_argument(
            "--param", action="append", default=[], metavar="KEY=VALUE",
            help="A parameter of the exporter's form; repeat it for several (or for a list).",
        )
        parser.add_argument("--unit", help="The code of the unit whose subtree is read (default: every unit).")
        parser.add_argument("--format", choices=sorted(exporting.WRITERS), default="csv")
        parser.add_argument("--personal", action="store_true", help="Show children's personal data unmasked.")
        parser.add_argument("-o", "--output", type=Path, help="The file to write.")

    def handle(self, *args, kind=None, list=False, param=(), unit=None, format="csv", personal=False, output=None, **options):
        if list:
            self._list()
            return
        if not kind or output is None:
            raise CommandError("give KIND and -o FILE (or --list)")
        data: dict = {}
        for item in param:
            key, separator, value = item.partition("=")
            if not separator:
                raise CommandError(f"--param {item!r}: expected KEY=VALUE")
            data.setdefault(key, []).append(value)
        data = {key: values[0] if len(values) == 1 else values for key, values in data.items()}
        scope = None
        if unit:
            scope = OrgUnit.objects.filter(code=unit).first()
            if scope is None:
                raise CommandError(f"no unit with the code {unit!r}")
        try:
            with output.open("wb") as target:
                manifest = services.report_write(
                    kind=kind, data=data, format=format, target=target, unit=scope, personal=personal,
                    progress=self._progress() if sys.stderr.isatty() else None,
                )
        except ValidationError as error:
            output.unlink(missing_ok=True)
            raise CommandError("; ".join(_messages(error))) from None
        self.stdout.write(json.dumps({"file": str(output), **manifest.as_dict()}, ensure_ascii=False, indent=2))

    def _progress(self):
        def report(rows: int) -> None:
            sys.stderr.write(f"\r{rows:,} rows")
            sys.stderr.flush()

        return report

    def _list(self):
        for exporter in exporting.exporters():
            self.stdout.write(f"{exporter.name}  ({exporter.domain})  {exporter.title}")
            form = services.params_form(exporter)
            for name, field in (form.fields.items() if form is not None else ()):
                required = "required" if field.required else "optional"
                self.stdout.write(f"    --param {name}=…  {field.label or name} ({required})")


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" for field, errors in error.message_dict.items() for message in errors]
    return error.messages
