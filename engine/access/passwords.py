"""Password and PIN hashing with argon2id, and the rules a new password must meet.

Guarantees: only argon2 hashes are stored; verification is constant-time in argon2-cffi;
a hash made with weaker parameters than the current ones is flagged for rehashing.
Tests pass cheap parameters (``Passwords.cheap()``); production uses the library defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import Problem

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
PIN_LENGTHS = (4, 6)


@dataclass(frozen=True)
class Passwords:
    """The hasher for passwords and PINs."""
    hasher: PasswordHasher = field(default_factory=PasswordHasher)

    @classmethod
    def cheap(cls) -> Passwords:
        """Fast, weak parameters for tests only."""
        return cls(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8))

    @cached_property
    def decoy_hash(self) -> str:
        """A hash to verify against when there is no account, so that takes as long as a real check."""
        return self.hasher.hash("decoy: matches nothing anyone types")

    def hash(self, secret: str) -> str:
        """A new salted argon2id hash of ``secret``."""
        return self.hasher.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        """True when ``secret`` matches ``stored_hash``; False for no hash or a damaged one."""
        if not stored_hash or not isinstance(secret, str):
            return False
        try:
            return self.hasher.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` was made with other parameters than the current ones."""
        return self.hasher.check_needs_rehash(stored_hash)


def password_problems(password, *, field_name: str = "password") -> list[Problem]:
    """What is wrong with a new password (length only: long passphrases beat rules)."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return [Problem(field_name, f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")]
    return []


def pin_problems(pin) -> list[Problem]:
    """What is wrong with a new PIN: 4 or 6 digits."""
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and len(pin) in PIN_LENGTHS):
        return [Problem("pin", "must be 4 or 6 digits")]
    return []
