"""The Idempotency-Key header: required on every mutating call, scoped to the caller.

The engine stores the first answer per (caller, key): a retry gets it again (refusals
included); the same key with another body is refused with 422; a retry while the first
request still runs gets 409 (on PostgreSQL).
"""
from __future__ import annotations

from flask import g, request

from api.errors import ApiError

HEADER = "Idempotency-Key"
PARAMETER = {"in": "header", "name": HEADER, "required": True, "schema": {"type": "string", "maxLength": 255},
             "description": "a new unique key (a UUID) per request; retries reuse it"}


def idempotency_key() -> str:
    """The request's key; 400 when missing."""
    key = request.headers.get(HEADER)
    if not key:
        raise ApiError(400, "idempotency_key_missing",
                       f"this request changes data: send an {HEADER} header (a new UUID; reuse it on retries)")
    return key


def caller() -> str:
    """Whose keys these are: keys of different callers never collide."""
    return g.principal.actor
