"""Request bodies in JSON: one parser for every view, refusing what it cannot read with a 400.

The standard parser raises ``RecursionError``, not a ``ValueError``, for a body nested
deeper than the interpreter's stack (``[[[[...]]]]`` a thousand deep, a few kilobytes):
uncaught, that was a 500 on every JSON endpoint, sign-in included. Here it is invalid JSON
like any other. So is an integer of more than 4,300 digits, which the standard parser refuses
with a bare ``ValueError`` (the interpreter's limit on converting digits to an int).

The standard parser also reads a body that is not sent as JSON (``text/plain``, or no
Content-Type) as no body at all: a profile change sent so answered 200 and changed nothing.
Here an endpoint that takes a JSON body refuses any other with a 415 (``unsupported_media_type``);
only an endpoint without fields (``EmptySchema``) may be called with no body at all.
"""
from __future__ import annotations

import json
from functools import wraps

import flask_smorest
from webargs.flaskparser import FlaskParser, is_json_request

from api.errors import ApiError

UNSUPPORTED = 415


def loads(data: bytes | str):
    """``json.loads``, with a body nested too deeply or holding too long an integer refused
    as a ``json.JSONDecodeError`` (a ``ValueError``) like any other invalid JSON."""
    try:
        return json.loads(data)
    except (RecursionError, ValueError) as error:
        raise _as_invalid(error) from None


def _as_invalid(error: RecursionError | ValueError) -> ValueError:
    """The JSON error for what a parser refused: its own, or for what the standard parser
    refuses without one (a body nested deeper than its stack, an integer longer than the
    interpreter converts) a ``json.JSONDecodeError``. (A try, not a context manager: on
    every request's body, an entered context costs more than a try that raises nothing.)"""
    if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
        return error
    reason = "nested too deeply" if isinstance(error, RecursionError) else "an integer has too many digits"
    # (with a document: webargs takes an error on an empty one for "no body")
    return json.JSONDecodeError(reason, f"({reason})", 0)


def not_json(mimetype: str) -> ApiError:
    """The refusal of a body that is not sent as JSON (``mimetype`` empty: no Content-Type)."""
    sent = f"it was sent as {mimetype}" if mimetype else "it was sent without a Content-Type"
    return ApiError(UNSUPPORTED, "unsupported_media_type",
                    f"the request body must be JSON, sent with Content-Type: application/json ({sent}); nothing was "
                    "changed")


class _Parser(FlaskParser):
    def load_json(self, req, schema):
        if not is_json_request(req) and (schema.fields or req.get_data(cache=True)):
            raise not_json(req.mimetype)
        return super().load_json(req, schema)

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except (RecursionError, ValueError) as error:
            raise _as_invalid(error) from None  # webargs answers it with a 400


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, its views' JSON bodies read by the parser above (the 415 it
    answers a body not sent as JSON with is in each such operation's documentation)."""

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema, *, location="json", **kwargs):
        decorate = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorate

        @wraps(decorate)
        def documented(func):
            view = decorate(func)
            view._apidoc["arguments"]["responses"][UNSUPPORTED] = "UNSUPPORTED_MEDIA_TYPE"
            return view
        return documented
