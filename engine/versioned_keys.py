"""Key files of numbered key versions (``VERSION:HEX`` entries), as the card master keys and
the data keys are kept: outside the repository and the database, one file per kind.

Guarantees: parsing refuses, with a message naming the entry, a version outside 1..255 and a
key that is not exactly ``length`` bytes of hex; appending a version never rewrites the
versions already in the file (created with mode 0600).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def parse_versioned_keys(text: str, *, length: int) -> dict[int, bytes]:
    """``"1:<hex>,2:<hex>"`` (commas or newlines; ``#`` starts a comment) as version -> key."""
    keys: dict[int, bytes] = {}
    for item in text.replace(",", "\n").splitlines():
        item = item.split("#", 1)[0].strip()
        if not item:
            continue
        version, sep, hex_key = item.partition(":")
        try:
            number, key = int(version), bytes.fromhex(hex_key.strip()) if sep else b""
        except ValueError:
            raise ValueError(f"cannot read key entry {version.strip()!r}: expected VERSION:{2 * length}-HEX-DIGITS") \
                from None
        if not 1 <= number <= 255:
            raise ValueError(f"key version {number} must be 1..255")
        if len(key) != length:
            raise ValueError(f"key version {number} must be {length} bytes ({2 * length} hex digits)")
        keys[number] = key
    return keys


def append_key_version(path: Path, *, length: int) -> int:
    """Append a new random key version to ``path`` (created with mode 0600); returns it."""
    keys = parse_versioned_keys(path.read_text(), length=length) if path.exists() else {}
    version = max(keys, default=0) + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a") as file:
        file.write(f"{version}:{secrets.token_hex(length)}\n")
    return version
