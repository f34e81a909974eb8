"""Strict decoding of request bodies.

Litestar converts a `data` body leniently (`"2"` becomes `2`, `"true"` becomes `True`). Our API
decodes its input strictly: a value of the wrong JSON type is a 400 naming the field, like an
unknown field. Handlers opt in with ``@post(..., dto=StrictBody[SomeIn], return_dto=None)``
and keep ``data: JSONBody[SomeIn]``; the OpenAPI schema is the struct's own.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.exceptions import ClientException, ValidationException
from litestar.typing import FieldDefinition

T = TypeVar("T")


def _where(error: msgspec.ValidationError) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `str` - at `$.lines[0].quantity`" -> (path, message)."""
    message, _, where = str(error).partition(" - at `$")
    return where.rstrip("`").lstrip(".") or "data", message


class StrictBody(MsgspecDTO[T], Generic[T]):
    """Decode the body with msgspec in strict mode straight into the handler's struct."""

    def decode_bytes(self, value: bytes) -> Any:
        try:
            return msgspec.json.decode(value, type=self.model_type, strict=True)
        except msgspec.ValidationError as exc:
            key, message = _where(exc)
            raise ValidationException(
                "invalid request body", extra=[{"key": key, "message": message, "source": "body"}]
            ) from exc
        except msgspec.DecodeError as exc:
            raise ClientException(f"the body is not valid JSON: {exc}") from exc

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Any:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))
