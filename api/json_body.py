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
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

import flask_smorest
from webargs.flaskparser import FlaskParser, is_json_request

from api.errors import ApiError

UNSUPPORTED = 415


def loads(data: bytes | str):
    """``json.loads``, with a body nested too deeply or holding too long an integer refused
    as a ``json.JSONDecodeError`` (a ``ValueError``) like any other invalid JSON."""
    with _unreadable_as_invalid():
        return json.loads(data)


@contextmanager
def _unreadable_as_invalid() -> Iterator[None]:
    """What the standard parser refuses without a JSON error (a body nested deeper than its
    stack, an integer longer than the interpreter converts) raised as one."""
    try:
        yield
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise
    except (RecursionError, ValueError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else "an integer has too many digits"
        # (with a document: webargs takes an error on an empty one for "no body")
        raise json.JSONDecodeError(reason, f"({reason})", 0) from None


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
        with _unreadable_as_invalid():  # webargs answers it with a 400
            return super()._raw_load_json(req)


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
