"""Cross-site request forgery protection for the web pages' forms.

Each browser session gets one random token (kept in the signed session cookie); every form
sends it back in the hidden field ``csrf_token`` and every POST under the web pages is
refused (400, nothing changed) unless it matches. A new token is issued at sign-in and the
session is cleared at sign-out.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

FIELD = "csrf_token"
SESSION_KEY = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """This session's token (created on first use); templates put it in every form."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def renew_token() -> str:
    """A fresh token for this session (after sign-in), replacing the old one."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def check_csrf() -> None:
    """Refuse an unsafe request whose form token is missing or not this session's."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(SESSION_KEY)
    given = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(400, description="csrf")


def install(app: Flask) -> None:
    """Make ``csrf_token()`` available to every template."""
    app.jinja_env.globals["csrf_token"] = csrf_token
