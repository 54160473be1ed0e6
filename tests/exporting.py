"""Write an exporter's rows with the kernel's CSV and XLSX writers and read both files back."""

import csv
import io

import openpyxl

from fundmgr.core.exporting import ExportRequest, Manifest, exporter_get, write_csv, write_xlsx


def written_rows(name: str, request: ExportRequest) -> tuple[list[list[str]], list[tuple], Manifest]:
    """(the CSV's rows as text, the XLSX's rows as values, the CSV's manifest), header first."""
    exporter = exporter_get(name)
    columns = exporter.columns_for(request)
    csv_file, xlsx_file = io.BytesIO(), io.BytesIO()
    manifest = write_csv(columns, exporter.rows(request), csv_file)
    write_xlsx(columns, exporter.rows(request), xlsx_file)
    csv_rows = list(csv.reader(io.StringIO(csv_file.getvalue().decode("utf-8-sig"))))
    xlsx_rows = list(openpyxl.load_workbook(xlsx_file, read_only=True).active.iter_rows(values_only=True))
    return csv_rows, xlsx_rows, manifest
