"""Renderers of the API's file downloads (a receipt's PDF, a report's CSV, XLSX or PDF).

A download answers with the file itself (a `FileResponse`, never rendered); these classes exist so
that content negotiation accepts `Accept: application/pdf` (or text/csv ...) on those endpoints and
the schema names the media type. An error on such an endpoint is still the API's JSON error body.
"""

import json

from rest_framework.renderers import BaseRenderer


class FileRenderer(BaseRenderer):
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class PDFRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CSVRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
