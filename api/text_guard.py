"""Text no database can store is refused before any view runs: a NUL character, or (in a
JSON body) an unpaired UTF-16 surrogate such as ``"\\ud800"``.

PostgreSQL cannot store NUL in text (SQLite can), and neither database can store a lone
surrogate (it is not Unicode text), so such a name, e-mail or rule field would otherwise
fail deep in a transaction as a server fault. One check at the door covers every endpoint
and page alike: the path, the query, the headers, form fields and JSON bodies. The common
case costs substring searches of the raw strings and the body's bytes; only a request that
has a NUL (or a JSON escape that may be one, or a surrogate) is parsed to name the field
(about 1 % of an accrual's instructions, docs/performance.md).
"""
from __future__ import annotations

from flask import Flask, request

from api.json_body import loads
from engine.errors import InvalidInput, Problem

MESSAGE = "must not contain NUL characters"
SURROGATE = "must be Unicode text (it holds an unpaired surrogate)"


def install_text_guard(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    """InvalidInput (422) naming where a NUL character came in; nothing when there is none."""
    environ = request.environ
    if "\x00" in environ.get("PATH_INFO", ""):
        raise InvalidInput([Problem("path", MESSAGE)])
    query = environ.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise InvalidInput([Problem(f"query.{name}", MESSAGE)])
    for key, value in environ.items():
        if key[:5] == "HTTP_" and "\x00" in value:
            raise InvalidInput([Problem(f"headers.{key[5:].replace('_', '-').title()}", MESSAGE)])
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        return  # no body to read (the views ignore one)
    data = request.get_data(cache=True)
    if not data:
        return
    if b"\x00" in data:
        raise InvalidInput([Problem("request", MESSAGE)])
    if b"%00" in data and request.mimetype == "application/x-www-form-urlencoded":
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise InvalidInput([Problem(name, MESSAGE)])
    if (b"\\u0000" in data or b"\\ud" in data or b"\\uD" in data) and request.is_json:
        try:
            found = bad_text(loads(data))
        except ValueError:
            return  # not JSON at all: the view's parser says so
        if found is not None:
            path, message = found
            raise InvalidInput([Problem(path or "request", message)])


def bad_text(value, path: str = "") -> tuple[str, str] | None:
    """(dotted path, message) of the first text (a key or a value) of parsed JSON holding a
    NUL or an unpaired surrogate, or None; the command line checks its JSON files with it too.
    (A surrogate pair, such as an emoji, was joined by the JSON parser: it is ordinary text.)"""
    if isinstance(value, str):
        problem = _text_problem(value)
        return (path, problem) if problem else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        where = f"{path}.{key}" if path else str(key)
        problem = _text_problem(key) if isinstance(key, str) else None
        if problem:
            return where, problem
        found = bad_text(inner, where)
        if found is not None:
            return found
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None
