"""The composition root of the web service: ``create_app`` builds everything, importing builds nothing."""
from __future__ import annotations

import os
from collections.abc import Mapping

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from api import health, members, programme, reports, rules, staff, staff_accounts, stores, terminal, web, webhooks
from api.auth import SECURITY_SCHEMES, install_audit
from api.config import load_config
from api.context import DATABASE_KEY, PASSWORDS_KEY
from api.errors import ErrorSchema, register_error_handlers
from api.metrics import install_metrics
from api.rate_limits import install_rate_limits
from api.request_log import configure_logging, install_request_log
from api.text_guard import install_text_guard
from engine.access.passwords import Passwords
from engine.database import Database
from engine.sealing import use_data_keys

API_VERSION = "v1"
DOCS_ASSETS = "/docs/assets/"


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema  # documents our error body instead of flask-smorest's


def _api_headers(response):
    # JSON answers carry balances, personal data and sign-in tokens: no cache (a proxy's or a
    # shared computer's) keeps them, and no browser guesses them to be something else
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


API_MODULES = (terminal, members, staff, staff_accounts, stores, rules, programme, reports, webhooks)
for _module in API_MODULES:  # once, at import: the blueprints are shared by every app made
    _module.blp.after_request(_api_headers)


def create_app(config: Mapping | None = None) -> Flask:
    """A ready WSGI application; ``config`` overrides what the environment says."""
    settings = load_config(os.environ)
    settings.update(config or {})
    app = Flask("api", instance_path=settings["INSTANCE_PATH"])
    app.config.update(settings)
    app.config.update(
        API_TITLE="Loyalty programme API",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=DOCS_ASSETS,  # served locally below: no CDN at run time
    )
    app.json.sort_keys = False
    configure_logging(app.config["LOG_LEVEL"])
    app.extensions[DATABASE_KEY] = config.get("DATABASE") if config and config.get("DATABASE") \
        else Database(app.config["DATABASE_URL"])

    app.extensions[PASSWORDS_KEY] = (config or {}).get("PASSWORDS") or Passwords()
    use_data_keys(app.config["DATA_KEYS"])  # the secrets the service reads back are sealed with them

    api = _Api(app)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    for module in (health, *API_MODULES):
        api.register_blueprint(module.blp)
    register_error_handlers(app)  # after Api(), which registers its own handler we replace
    # The web pages' session cookie: never readable by scripts, not sent on cross-site posts,
    # only over HTTPS (browsers treat http://127.0.0.1 and localhost as secure too).
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=not app.testing)
    web.init_app(app)  # after the API's error handlers: HTML error pages under /portal
    install_request_log(app)
    install_text_guard(app)  # after the request log: a refusal carries its request id
    install_metrics(app)
    install_audit(app)
    clock = app.config.get("CLOCK")
    install_rate_limits(app, clock=(lambda: clock().timestamp()) if clock else None)
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"])

    @app.get(DOCS_ASSETS + "<path:filename>")
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    return app
