"""The till's configuration: a TOML file, overridden by environment variables.

File (``loyalty-terminal --config till.toml``, or ``$LOYALTY_TERMINAL_CONFIG``)::

    api_url = "http://127.0.0.1:8000"
    key_id = "till-1-key"
    secret = "..."                 # better given as LOYALTY_TERMINAL_SECRET
    store_code = "BER-01"
    terminal_code = "TILL-1"
    currency = "EUR"
    reader = "Virtual PCD 00 00"   # full name or a unique part of it
    outbox = "/var/lib/loyalty-terminal/outbox.sqlite3"
    tap_timeout = 30

Each key can be set as ``LOYALTY_TERMINAL_<KEY>`` (e.g. ``LOYALTY_TERMINAL_API_URL``).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class TerminalConfig:
    api_url: str = "http://127.0.0.1:8000"
    key_id: str = ""
    secret: str = ""
    store_code: str = ""
    terminal_code: str = ""
    currency: str = "EUR"
    reader: str = ""
    outbox: str = "loyalty-terminal-outbox.sqlite3"
    tap_timeout: float = 30.0
    api_timeout: float = 5.0

    @classmethod
    def load(cls, path: str | Path | None = None,
             environ: dict[str, str] | None = None) -> TerminalConfig:
        """Defaults, then the file (if any), then ``LOYALTY_TERMINAL_*`` variables."""
        environ = os.environ if environ is None else environ
        values: dict = {}
        path = path or environ.get("LOYALTY_TERMINAL_CONFIG")
        if path:
            with open(path, "rb") as handle:
                values.update(tomllib.load(handle))
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        for name in known:
            variable = f"LOYALTY_TERMINAL_{name.upper()}"
            if variable in environ:
                values[name] = environ[variable]
        for name in ("tap_timeout", "api_timeout"):
            if name in values:
                values[name] = float(values[name])
        return cls(**values)
