"""Web pages for people (server-rendered with Jinja): the member portal at ``/portal/`` and
the marketer console at ``/console/``.

The pages call the same engine services as the JSON API and apply the same rules: a member
sees and changes only their own data. Every POST form carries a per-session CSRF token
(``api.web.csrf``); the session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure
outside tests) holding the member's or staff member's bearer token and the CSRF token. The cookie is signed
with ``LOYALTY_SECRET_KEY`` or, when that is not set, a key generated once into the instance
folder (``secret-key``, mode 0600; ``api.web.secret``).
"""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from api.web import console, csrf, pages, portal
from api.web.secret import secret_key


def init_app(app: Flask) -> None:
    """Give ``app`` its session key, the portal's and the console's pages, and HTML error
    pages under their prefixes."""
    app.secret_key = secret_key(app)
    app.session_interface = _PageSessions((portal.bp.url_prefix, console.bp.url_prefix))
    csrf.install(app)
    app.register_blueprint(portal.bp)
    app.register_blueprint(console.bp)
    app.jinja_env.filters.update(pages.FILTERS)
    _html_errors_under(app, {portal.bp.url_prefix: "portal", console.bp.url_prefix: "console"})


def _html_errors_under(app: Flask, sites: dict[str, str]) -> None:
    """An unknown address (or method) under a site's prefix gets a page in that site's look;
    elsewhere the API's JSON error stays. Call after the API's error handlers are registered."""
    json_handler = app.error_handler_spec[None][None].get(HTTPException)

    def no_such_page(error: HTTPException):
        for prefix, site in sites.items():
            if _under(request.path, prefix):
                return pages.error_page(error.code, site=site)
        return json_handler(error) if json_handler else error

    app.register_error_handler(404, no_such_page)
    app.register_error_handler(405, no_such_page)


class _PageSessions(SecureCookieSessionInterface):
    """The session cookie belongs to the web pages: a request elsewhere (the JSON API, whose
    callers sign or present bearer tokens) gets no session, neither read nor written, and
    does not pay for opening one (7 % of the instructions of a one-query request)."""

    def __init__(self, prefixes: tuple[str, ...]):
        self.prefixes = prefixes

    def open_session(self, app, request):
        if any(_under(request.path, prefix) for prefix in self.prefixes):
            return super().open_session(app, request)
        return self.make_null_session(app)


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` is a page of the site at ``prefix`` (``/portal`` holds ``/portal/x``,
    not ``/portals``)."""
    return path == prefix or path.startswith(prefix + "/")
