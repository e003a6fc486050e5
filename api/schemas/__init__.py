"""Marshmallow schemas for the JSON that enters from outside (HTTP bodies, files given to the CLI).

They check shape only (which fields, of which JSON types) and build the engine's command
objects; the engine checks meaning itself. ``problems_of`` turns marshmallow's nested
error messages into the engine's flat list of ``Problem`` (``lines.0.amount_minor: ...``),
so every edge reports a wrong shape the same way, field by field.
"""
from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow.exceptions import SCHEMA

from engine.errors import Problem


class InputSchema(ma.Schema):
    """Base of the input schemas: unknown fields are refused, each one named."""

    error_messages = {"type": "Must be a JSON object."}

    class Meta:
        unknown = ma.RAISE


class Ratio(ma.fields.Decimal):
    """A multiplier or share as decimal text; answers drop the database's trailing zeros
    ("1.5", not "1.500")."""

    def __init__(self, **kwargs):
        # Documented as what answers carry: text (requests may send a number too).
        kwargs["metadata"] = {"type": "string", "example": "1.5", **kwargs.get("metadata", {})}
        super().__init__(as_string=True, allow_nan=False, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        number = Decimal(value)
        return format(number.normalize() if number != number.to_integral() else number.to_integral(), "f")


def problems_of(error: ma.ValidationError, *, root: str = "request") -> list[Problem]:
    """Every message of ``error`` as a ``Problem`` with a dotted field path.

    Messages about the whole input (marshmallow's ``_schema``) are placed at ``root``;
    those about a whole nested object at that object's path.
    """
    problems: list[Problem] = []

    def walk(messages, path: str) -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                if key == SCHEMA:
                    walk(value, path or root)
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(messages, (list, tuple)):
            for message in messages:
                walk(message, path)
        else:
            problems.append(Problem(path or root, str(messages)))

    walk(error.messages, "")
    return problems
