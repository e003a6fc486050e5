"""The key that signs the web session cookie.

``SECRET_KEY`` in the app's config wins (tests), then ``LOYALTY_SECRET_KEY`` from the
environment, then the file ``secret-key`` in the instance folder, which is generated with
32 random bytes (mode 0600) the first time it is needed. It is never in the repository.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ENV_NAME = "LOYALTY_SECRET_KEY"
FILE_NAME = "secret-key"


def secret_key(app: Flask) -> str:
    """The session-signing key for ``app`` (see the module's docstring for where it comes from)."""
    configured = app.config.get("SECRET_KEY") or os.environ.get(ENV_NAME)
    if configured:
        return configured
    return key_file(Path(app.instance_path) / FILE_NAME)


def key_file(path: Path) -> str:
    """The key stored in ``path``, created there (mode 0600) when absent. Several processes
    starting at once agree on one key: the file appears complete or not at all."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)  # fails if another process was first: then its key counts
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path}: the session key is too short; delete the file to generate a new one")
    return key
