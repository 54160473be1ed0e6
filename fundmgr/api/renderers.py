"""File downloads of the API (a receipt's PDF, a report's CSV, XLSX or PDF).

A download answers with the file itself (a `FileResponse`, never rendered by DRF), so its view
keeps the one JSON renderer for its errors and accepts any `Accept` header: a client that asks for
`application/pdf` gets the PDF, or the API's JSON error body; never a 406 because no renderer
"produces" a PDF, and no `?format=` parameter that would only choose how errors look. The schema
names the file's media types with `extend_schema` on the view.
"""

from rest_framework.negotiation import BaseContentNegotiation


class FileDownloadNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
