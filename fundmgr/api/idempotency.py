"""What a viewset whose POST creates money or documents uses for `Idempotency-Key`.

    class TransferViewSet(IdempotentCreateMixin, viewsets.GenericViewSet):
        idempotent_actions = frozenset({"create"})       # the default

        def create(self, request):
            ...
            try:
                transfer, created = services.fund_transfer(..., idempotency_key=self.idempotency_key(data))
            except DjangoValidationError as error:
                raise service_errors(error) from None
            return self.created_response(TransferSerializer(transfer).data, created=created)

The rule itself lives in the service (`fundmgr.idempotency.services.idempotent_create`, called in
the service's transaction): a repeat of the key with the same body answers the first record (200),
the same key with another body is a 422, and a concurrent repeat waits on the key's unique index
until the first request commits, then answers its record: never a second record. The mixin only
reads the key (the header, or an `idempotency_key` field of the body) and documents the header and
the 422 in the schema (`fundmgr.api.schema`).
"""

from rest_framework import status
from rest_framework.response import Response

HEADER = "Idempotency-Key"


class IdempotentCreateMixin:
    idempotent_actions = frozenset({"create"})

    def idempotency_key(self, data: dict | None = None) -> str | None:
        """The request's key: the header, else the body's `idempotency_key` (popped from `data`)."""
        from_body = data.pop("idempotency_key", "") if data is not None else ""
        return self.request.headers.get(HEADER, "") or from_body or None

    def created_response(self, data, *, created: bool) -> Response:
        """201 for a new record, 200 for the first answer to a repeated key."""
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
