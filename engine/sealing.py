"""Secrets the service must read back, sealed at rest: the terminals' signing keys, the
staff's authenticator secrets and the webhook endpoints' signing secrets are stored
encrypted (AES-256-GCM) under a data key kept outside the database, so that a copy of the
database or of its backups alone signs no till request, passes no second step and forges
no webhook.

Guarantees:
- a column typed :class:`SealedText` seals what is written to it with the newest data key
  of the process's key ring (:func:`use_data_keys`, set once at start from configuration)
  and unseals what is read; a value sealed for one column does not open in another (the
  column's purpose is authenticated with it);
- without a key ring, values are written as they are (an installation that has not set
  ``LOYALTY_DATA_KEYS`` yet), and values written so are read as they are: turning data keys
  on needs no migration, and ``loyalty secrets seal`` seals what was stored before;
- a value sealed with a key version the ring lacks, or altered, is refused with
  :class:`SealedValueError` naming the version: never read as if it were the secret.
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.versioned_keys import parse_versioned_keys

KEY_LENGTH = 32  # AES-256
NONCE_LENGTH = 12
PREFIX = "sealed:v1:"


class SealedValueError(ValueError):
    """A sealed value that cannot be opened with the configured data keys."""


@dataclass(frozen=True)
class DataKeys:
    """The data keys by version; values are sealed with the newest."""
    by_version: dict[int, bytes]

    @classmethod
    def parse(cls, text: str) -> DataKeys:
        """``"1:<64 hex>,2:<64 hex>"`` (commas or newlines; ``#`` starts a comment)."""
        return cls(parse_versioned_keys(text, length=KEY_LENGTH))


_ring: DataKeys | None = None


def use_data_keys(keys: DataKeys | None) -> None:
    """The key ring of this process (None or empty: values are written unsealed)."""
    global _ring
    _ring = keys if keys is not None and keys.by_version else None


def seal(plain: str, purpose: str) -> str:
    """``plain`` sealed for ``purpose`` with the newest data key (as it is without keys)."""
    if _ring is None:
        return plain
    version = max(_ring.by_version)
    nonce = os.urandom(NONCE_LENGTH)
    sealed = AESGCM(_ring.by_version[version]).encrypt(nonce, plain.encode(), _associated(purpose, version))
    return f"{PREFIX}{version}:{base64.b64encode(nonce + sealed).decode()}"


def unseal(stored: str, purpose: str) -> str:
    """What :func:`seal` sealed; a value stored unsealed comes back as it is."""
    if not stored.startswith(PREFIX):
        return stored
    version_text, _, payload = stored[len(PREFIX):].partition(":")
    version = int(version_text) if version_text.isdecimal() else None
    key = None if _ring is None or version is None else _ring.by_version.get(version)
    if key is None:
        raise SealedValueError(f"a {purpose} is sealed with data key version {version_text}, which is not "
                               "configured (LOYALTY_DATA_KEYS or LOYALTY_DATA_KEYS_FILE)")
    try:
        raw = base64.b64decode(payload, validate=True)
        return AESGCM(key).decrypt(raw[:NONCE_LENGTH], raw[NONCE_LENGTH:], _associated(purpose, version)).decode()
    except (ValueError, InvalidTag):
        raise SealedValueError(f"a {purpose} sealed with data key version {version} does not open: "
                               "altered, or sealed for another column") from None


def is_sealed_with_newest(stored: str | None) -> bool:
    """Whether ``stored`` needs no sealing again (nothing, or sealed with the newest key;
    without keys, everything counts as done)."""
    if stored is None or _ring is None:
        return True
    return stored.startswith(f"{PREFIX}{max(_ring.by_version)}:")


def _associated(purpose: str, version: int) -> bytes:
    return f"loyalty-sealed-v1:{purpose}:{version}".encode()


class SealedText(sa.types.TypeDecorator):
    """A text column whose values are sealed at rest (see the module). ``sqlite_length``: the
    VARCHAR length the column was declared with on SQLite, which holds longer text anyway
    (PostgreSQL's became text: migration 0034)."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, purpose: str, *, sqlite_length: int):
        super().__init__()
        self.purpose, self.sqlite_length = purpose, sqlite_length

    def load_dialect_impl(self, dialect):
        return sa.String(self.sqlite_length) if dialect.name == "sqlite" else sa.Text()

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value, self.purpose)

    def process_result_value(self, value, dialect):
        return None if value is None else unseal(value, self.purpose)
