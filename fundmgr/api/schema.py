"""The OpenAPI schema's share of the platform: the error format as one component, the answers
each operation can give besides its success, the `Idempotency-Key` header, and the token scheme.

Which error statuses an operation documents follows from what the platform does to it:
every operation can answer 401 (bad token), 403 (role, read-only token), 406 (Accept), 429
(throttle) and 500; one with query parameters or a body can answer 400; one with a path parameter
404; one with a body 413 and 415; an idempotent POST 422; an action a view names in
`conflict_actions` 409 (done already: a receipt voided before).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

from .idempotency import HEADER

ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error format of the API (docs/api.md).",
    "properties": {
        "code": {"type": "string", "description": "stable, for programs: invalid, not_found, throttled …"},
        "message": {"type": "string", "description": "for people, in the request's language (Accept-Language)"},
        "errors": {
            "type": "object", "description": "messages by field ('non_field_errors' for the whole request)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["code", "message", "errors"],
}
ERROR_DESCRIPTIONS = {
    400: "invalid input", 401: "no, unknown, expired or revoked credentials", 403: "not allowed",
    404: "not found, or outside the caller's units", 406: "no acceptable representation",
    409: "done already (a receipt voided before)", 413: "body too large", 415: "unsupported media type", 422: "idempotency key reused for another body",
    429: "throttled (see Retry-After)", 500: "server error",
}


class ApiAutoSchema(AutoSchema):
    def _is_idempotent(self) -> bool:
        return self.method == "POST" and getattr(self.view, "action", None) in getattr(self.view, "idempotent_actions", ())

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(OpenApiParameter(
                HEADER, str, OpenApiParameter.HEADER, required=False,
                description="a key of at most 64 printable characters: a repeat with the same body answers "
                "the first record (200), with another body 422",
            ))
        return parameters

    def get_auth(self):
        auth = super().get_auth()
        # A public read (the campaigns' figures) takes a token or none: `{}` makes it optional.
        if getattr(self.view, "action", None) in getattr(self.view, "public_actions", ()) and {} not in auth:
            auth = [*auth, {}]
        return auth

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # A blank e-mail or URL is "", which no "email"/"uri" format admits: the type alone is true.
        # Read-only fields show what is stored, and the models allow blank contacts.
        if schema.get("format") in ("email", "uri") and (getattr(field, "allow_blank", False) or field.read_only):
            schema.pop("format")

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        registry.register_on_missing(component)
        for code in self._error_statuses(operation):
            operation["responses"].setdefault(str(code), {
                "content": {"application/json": {"schema": component.ref}}, "description": ERROR_DESCRIPTIONS[code],
            })
        return operation

    def _error_statuses(self, operation) -> list[int]:
        codes = [401, 403, 406, 429, 500]
        locations = {parameter.get("in") for parameter in operation.get("parameters", [])}
        has_body = "requestBody" in operation
        if "query" in locations or "header" in locations or has_body:
            codes.append(400)
        if "path" in locations:
            codes.append(404)
        if has_body:
            codes += [413, 415]
        if self._is_idempotent():
            codes.append(422)
        if getattr(self.view, "action", None) in getattr(self.view, "conflict_actions", ()):
            codes.append(409)
        return sorted(codes)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "fundmgr.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer",
            "description": "an integration token made in the admin: `Authorization: Bearer khq_…`",
        }
