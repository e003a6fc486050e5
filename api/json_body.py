"""Request bodies in JSON: one parser for every view, refusing what it cannot read with a 400.

The standard parser raises ``RecursionError``, not a ``ValueError``, for a body nested
deeper than the interpreter's stack (``[[[[...]]]]`` a thousand deep, a few kilobytes):
uncaught, that was a 500 on every JSON endpoint, sign-in included. Here it is invalid JSON
like any other.
"""
from __future__ import annotations

import json

import flask_smorest
from webargs.flaskparser import FlaskParser


def loads(data: bytes | str):
    """``json.loads``, with a body nested too deeply refused as a ``ValueError`` (a
    ``json.JSONDecodeError``) like any other invalid JSON."""
    try:
        return json.loads(data)
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> json.JSONDecodeError:
    # (with a document: webargs takes an error on an empty one for "no body")
    return json.JSONDecodeError("nested too deeply", "(nested too deeply)", 0)


class _Parser(FlaskParser):
    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise _too_deep() from None  # webargs answers it with a 400


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, its views' JSON bodies read by the parser above."""

    ARGUMENTS_PARSER = _Parser()
