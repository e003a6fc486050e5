"""Configuration from environment variables, all prefixed ``LOYALTY_``.

LOYALTY_INSTANCE_PATH  folder for the embedded database and other local state (./instance)
LOYALTY_DATABASE_URL   SQLAlchemy URL; default: SQLite file loyalty.sqlite3 in the instance folder
LOYALTY_LOG_LEVEL      DEBUG, INFO (default), WARNING or ERROR
LOYALTY_CARD_MASTER_KEYS       card master keys, "VERSION:32-HEX[,VERSION:32-HEX...]"; or
LOYALTY_CARD_MASTER_KEYS_FILE  a file holding them (default: card-master-keys in the instance
                               folder, when it exists). Never put keys in the repository.
LOYALTY_DATA_KEYS       data keys that seal secrets at rest (terminals' signing keys,
                        authenticator and webhook secrets), "VERSION:64-HEX[,...]"; or
LOYALTY_DATA_KEYS_FILE  a file holding them (default: data-keys in the instance folder, when
                        it exists). Without them those secrets are stored as they are.
LOYALTY_TERMINAL_CLOCK_SKEW    seconds a terminal's signed timestamp may differ from ours (60)
LOYALTY_METRICS_TOKEN   bearer token that lets a remote Prometheus read /metrics (default:
                        none; then only callers on this machine may read it)
LOYALTY_MAX_REQUEST_BYTES  the largest request body taken (4 MiB; larger ones get 413 unread):
                        a basket of 500 lines is about 80 kB, a segment list of 100,000
                        members about 2 MB
LOYALTY_RATE_LIMITS     requests a caller may make, over the defaults
                        "terminal=600/min,member=120/min,staff=600/min,sign_in=20/min"
                        (sign-in attempts per source address); KIND=off switches one off
LOYALTY_PROXY_HOPS      how many reverse proxies stand before the service (0): the caller's
                        address is then taken from their X-Forwarded-For
LOYALTY_QUIET_ANSWER_MS  the least time an answer takes that must not tell, by its time,
                        whether an address is a member's (password links, sign-ups): 300
LOYALTY_WEBHOOK_PRIVATE_HOSTS  hosts webhooks may be sent to although they resolve to a
                        private address (an internal receiver: "crm.internal,10.0.0.5"), over
                        plain http too; every other webhook URL is https to a public address
LOYALTY_GRANT_CREDIT_SECONDS  how long approving a points grant credits members before it
                        answers (20); the scheduler (``loyalty scheduler``) credits the rest
                        within a minute, "Finish crediting" at once
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from api.rate_limits import parse_rates
from engine.card_keys import MasterKeys
from engine.sealing import DataKeys
from engine.webhooks import private_hosts

PREFIX = "LOYALTY_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A configuration value that cannot work; the message names the variable."""


def load_config(environ: Mapping[str, str] = os.environ) -> dict:
    """The service configuration as a dict of upper-case keys (without the prefix)."""
    instance = Path(environ.get(PREFIX + "INSTANCE_PATH") or "instance").resolve()
    database_url = environ.get(PREFIX + "DATABASE_URL") or f"sqlite:///{instance / 'loyalty.sqlite3'}"
    log_level = (environ.get(PREFIX + "LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"{PREFIX}LOG_LEVEL={log_level!r}: use one of {', '.join(LOG_LEVELS)}")
    card_keys = _keys(environ, "CARD_MASTER_KEYS", MasterKeys.parse, "card master keys")
    data_keys = _keys(environ, "DATA_KEYS", DataKeys.parse, "data keys")
    try:
        rates = parse_rates(environ.get(PREFIX + "RATE_LIMITS") or "")
    except ValueError as error:
        raise ConfigError(f"{PREFIX}RATE_LIMITS: {error}") from None
    return {"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, "LOG_LEVEL": log_level,
            "RATE_LIMITS": rates, "PROXY_HOPS": _whole(environ, "PROXY_HOPS", 0, 0, 5),
            "CARD_MASTER_KEYS": card_keys, "DATA_KEYS": data_keys,
            "TERMINAL_CLOCK_SKEW": _whole(environ, "TERMINAL_CLOCK_SKEW", 60, 1, 900, "seconds"),
            "GRANT_CREDIT_SECONDS": _whole(environ, "GRANT_CREDIT_SECONDS", 20, 1, 3600, "seconds"),
            "QUIET_ANSWER_SECONDS": _whole(environ, "QUIET_ANSWER_MS", 300, 0, 5000, "milliseconds") / 1000,
            "METRICS_TOKEN": environ.get(PREFIX + "METRICS_TOKEN") or None,
            "WEBHOOK_PRIVATE_HOSTS": private_hosts(environ.get(PREFIX + "WEBHOOK_PRIVATE_HOSTS") or ""),
            # Flask's own limit: a larger body is refused (413) before it is read
            "MAX_CONTENT_LENGTH": _whole(environ, "MAX_REQUEST_BYTES", 4 * 2**20, 2**16, 2**30, "bytes")}


KEY_FILES = {"CARD_MASTER_KEYS": "card-master-keys", "DATA_KEYS": "data-keys"}  # in the instance folder


def key_file(environ: Mapping[str, str], name: str) -> Path:
    """The file the keys of variable ``name`` are read from when the variable is not set."""
    instance = Path(environ.get(PREFIX + "INSTANCE_PATH") or "instance").resolve()
    return Path(environ.get(PREFIX + name + "_FILE") or instance / KEY_FILES[name])


def _keys(environ: Mapping[str, str], name: str, parse, what: str):
    """The keys of variable ``name``, or of its file; a ConfigError naming both when unreadable."""
    text, path = environ.get(PREFIX + name), key_file(environ, name)
    if text is None and path.exists():
        text = path.read_text()
    try:
        return parse(text or "")
    except ValueError as error:
        raise ConfigError(f"{what} ({PREFIX}{name} or {path}): {error}") from None


def _whole(environ: Mapping[str, str], name: str, default: int, low: int, high: int, unit: str = "") -> int:
    """The variable ``PREFIX + name`` as a whole number from ``low`` to ``high``; ``default`` when unset."""
    text = environ.get(PREFIX + name) or str(default)
    if not (text.isdecimal() and low <= int(text) <= high):
        raise ConfigError(f"{PREFIX}{name}={text!r}: use a whole number{' of ' + unit if unit else ''} "
                          f"from {low} to {high}")
    return int(text)
