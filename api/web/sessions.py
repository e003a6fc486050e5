"""What the portal and the console share about signed-in browsers: forms checked for their
CSRF token, pages kept out of caches and out of other sites' frames, a fresh session at sign-in, every token the
session drops revoked, and a post-sign-in redirect that never leaves the site."""
from __future__ import annotations

import unicodedata

from flask import Blueprint, session
from flask.typing import ResponseReturnValue

from api.context import database, now
from api.web import csrf
from engine.access.tokens import revoke_token


def guard_pages(bp: Blueprint) -> None:
    """Every unsafe request to ``bp`` needs the session's CSRF token; no page is cached, framed
    by another site, or named in the Referer of a request to another site."""
    bp.before_request(csrf.check_csrf)

    @bp.after_request
    def page_headers(response: ResponseReturnValue):
        # after sign-out, the back button on a shared computer shows nothing
        response.headers["Cache-Control"] = "no-store"
        # a page with a button that moves points or closes an account, framed invisibly by
        # another site, could be clicked by a member or staff without seeing it
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        # the password link's page carries its secret in the address
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


# Scripts, styles, images and fonts from this site only, and no inline script or style
# attribute: text that slipped through escaping still could not run; forms post only here;
# no page may be framed (clickjacking), nor take another base address.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# The portal and the console share one session cookie, each keeping its sign-in token under
# its own key: whatever clears the session drops both, so both are revoked first (a copy of
# the cookie must not keep a token alive that no sign-out can reach any more).
MEMBER_TOKEN, STAFF_TOKEN = "member_token", "staff_token"
TOKEN_KEYS = (MEMBER_TOKEN, STAFF_TOKEN)


def start_session(token_key: str, token: str) -> None:
    """A new session holding ``token``: nothing from before sign-in carries over, and the
    tokens it held (either site's) are revoked."""
    _clear_session()
    session[token_key] = token
    session.permanent = False
    csrf.renew_token()


def end_session() -> None:
    """Revoke the session's tokens (this site's and the other's, if any) and forget the session."""
    _clear_session()


def drop_token(token_key: str) -> None:
    """Take ``token_key``'s token out of the session, revoked."""
    token = session.pop(token_key, None)
    if token:
        revoke_token(database(), token, now=now())


def _clear_session() -> None:
    for key in TOKEN_KEYS:
        drop_token(key)
    session.clear()


def safe_next(target: str | None, prefix: str, default: str) -> str:
    """Where to go after sign-in: a page under ``prefix``, never another site, and nothing a
    Location header cannot carry (a CR or LF there fails the answer after the sign-in is done)."""
    if target and target.startswith(prefix + "/") and not target.startswith("//") and "\\" not in target \
            and not any(unicodedata.category(c) == "Cc" for c in target):
        return target
    return default
