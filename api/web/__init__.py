"""Web pages for people (server-rendered with Jinja): the member portal at ``/portal/``.

The pages call the same engine services as the JSON API and apply the same rules: a member
sees and changes only their own data. Every POST form carries a per-session CSRF token
(``api.web.csrf``); the session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure
outside tests) holding the member's bearer token and the CSRF token. The cookie is signed
with ``LOYALTY_SECRET_KEY`` or, when that is not set, a key generated once into the instance
folder (``secret-key``, mode 0600; ``api.web.secret``).
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from api.web import csrf, pages, portal
from api.web.secret import secret_key


def init_app(app: Flask) -> None:
    """Give ``app`` its session key, the portal's pages and HTML error pages under ``/portal``."""
    app.secret_key = secret_key(app)
    csrf.install(app)
    app.register_blueprint(portal.bp)
    app.jinja_env.filters.update(pages.FILTERS)
    _html_errors_under(app, portal.bp.url_prefix)


def _html_errors_under(app: Flask, prefix: str) -> None:
    """An unknown address (or method) under ``prefix`` gets a page; elsewhere the API's JSON
    error stays. Call after the API's error handlers are registered."""
    json_handler = app.error_handler_spec[None][None].get(HTTPException)

    def no_such_page(error: HTTPException):
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return pages.error_page(error.code)
        return json_handler(error) if json_handler else error

    app.register_error_handler(404, no_such_page)
    app.register_error_handler(405, no_such_page)
