"""Configuration from environment variables, all prefixed ``LOYALTY_``.

LOYALTY_INSTANCE_PATH  folder for the embedded database and other local state (./instance)
LOYALTY_DATABASE_URL   SQLAlchemy URL; default: SQLite file loyalty.sqlite3 in the instance folder
LOYALTY_LOG_LEVEL      DEBUG, INFO (default), WARNING or ERROR
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

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
    return {"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, "LOG_LEVEL": log_level}
