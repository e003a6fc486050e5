"""The one error handler: every error leaves the API in the same JSON shape.

    {"code": 409, "status": "Conflict", "error": "card_retired",
     "message": "card 9000...: the card is retired; ...", "errors": {...}}

``code``/``status`` are the HTTP status, ``error`` a stable machine-readable name,
``message`` a sentence for people, ``errors`` (when present) the problems per field.
One table maps the engine's error families to HTTP statuses; no view builds error JSON.
"""
from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, g
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from api.schemas import problems_of
from engine.database import TRANSIENT_ERRORS
from engine.errors import (Conflict, IdempotencyKeyReused, InvalidInput, InvalidState, LoyaltyError, NotAllowed,
                           NotAuthenticated, NotFound)

# First match wins: the specific names before their families.
STATUS_BY_ERROR: tuple[tuple[type[LoyaltyError], int], ...] = (
    (IdempotencyKeyReused, 422),  # as the IETF Idempotency-Key draft says
    (NotAuthenticated, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidState, 409),
    (InvalidInput, 422),
)

log = logging.getLogger("loyalty.api")


class ErrorSchema(ma.Schema):
    """The error body (documents the shape; ``error_body`` builds it)."""

    code = ma.fields.Integer(metadata={"description": "HTTP status code"})
    status = ma.fields.String(metadata={"description": "HTTP status name"})
    error = ma.fields.String(metadata={"description": "stable machine-readable error name"})
    message = ma.fields.String(metadata={"description": "what went wrong, for people"})
    errors = ma.fields.Dict(metadata={"description": "problems per field, when the input was wrong"})


def error_body(status: int, error: str, message: str, errors: dict | None = None) -> dict:
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "error": error,
            "message": message}
    if errors:
        body["errors"] = errors
    return body


class ApiError(HTTPException):
    """An HTTP refusal that is not an engine error (service not ready, ...)."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(description=message)
        self.code = status
        self.data = {"error": error, "message": message}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(LoyaltyError, _handle_loyalty_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
    for transient in TRANSIENT_ERRORS:
        app.register_error_handler(transient, _handle_database_unavailable)


def status_for(error: LoyaltyError) -> int:
    for family, status in STATUS_BY_ERROR:
        if isinstance(error, family):
            return status
    return 400


def _handle_loyalty_error(error: LoyaltyError):
    errors = None
    if isinstance(error, InvalidInput):
        errors = {}
        for problem in error.problems:
            errors.setdefault(problem.field, []).append(problem.message)
    status = status_for(error)
    return error_body(status, error.code, error.message, errors), status


def _handle_http_exception(error: HTTPException):
    if isinstance(error, InternalServerError) and error.original_exception is not None:
        return _handle_unexpected(error.original_exception)
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or _flat(data.get("messages"))
    message = data.get("message") or _sentence(error.description)
    if errors and "message" not in data:
        message = "the request is not valid; see errors for each field"
    name = data.get("error") or (error.name or "error").lower().replace(" ", "_").replace("'", "")
    return error_body(error.code or 500, name, message, errors), error.code, data.get("headers", {})


def _handle_database_unavailable(error: BaseException):
    request_id = getattr(g, "request_id", None)
    log.warning("database unavailable: %s", str(error).splitlines()[0][:200], extra={"request_id": request_id})
    message = ("the database is unavailable or busy; send the request again in a moment (with the same "
               "Idempotency-Key: a request that changes data takes effect once)")
    return error_body(503, "database_unavailable", message), 503, {"Retry-After": "1"}


def _handle_unexpected(error: BaseException):
    request_id = getattr(g, "request_id", None)
    log.exception("unhandled error", extra={"request_id": request_id})
    message = "internal error; nothing was changed by this request"
    if request_id:
        message += f" (request id {request_id})"
    return error_body(500, "internal_error", message), 500


WEBARGS_LOCATIONS = {"json", "query", "headers", "path", "form", "files", "view_args"}


def _flat(messages) -> dict | None:
    """webargs' ``{"json": {"lines": {"0": {"amount_minor": [...]}}}}`` as the engine's flat
    ``{"lines.0.amount_minor": [...]}``, so every refusal names fields the same way."""
    if not isinstance(messages, dict):
        return messages
    if set(messages) <= WEBARGS_LOCATIONS:
        merged: dict = {}
        for inner in messages.values():
            merged.update(inner if isinstance(inner, dict) else {"request": inner})
        messages = merged
    flat: dict[str, list[str]] = {}
    for problem in problems_of(ma.ValidationError(messages)):
        flat.setdefault(problem.field, []).append(problem.message)
    return flat


def _sentence(text: str | None) -> str:
    return (text or "").strip()
