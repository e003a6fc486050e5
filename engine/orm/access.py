"""Who may call the service and what they did: credentials, sessions, card challenges,
maker-checker adjustment requests and the audit log.

Secrets that only need checking (passwords, PINs, bearer tokens) are stored as hashes.
A terminal's signing secret must be stored as is: the server recomputes the HMAC.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime
from engine.sealing import SealedText

STAFF_ROLES = ("admin", "marketer", "support", "auditor", "mailer")
TOKEN_KINDS = ("member", "staff", "card")
ADJUSTMENT_REQUEST_STATUSES = ("pending", "approved", "rejected")


class StaffAccountRow(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    roles: Mapped[str] = mapped_column(sa.String(100))  # comma-separated, from STAFF_ROLES
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the authenticator app (engine.access.authenticators): its secret once confirmed, the
    # one being set up, the last time step taken, and the unused recovery codes' digests
    totp_secret: Mapped[str | None] = mapped_column(SealedText("authenticator secret", sqlite_length=64))
    totp_pending: Mapped[str | None] = mapped_column(SealedText("authenticator secret", sqlite_length=64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    recovery_codes: Mapped[str | None] = mapped_column(sa.Text)  # JSON list of SHA-256 hex digests
    # an admin's one-time code for setting an authenticator up where two steps are required
    setup_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    setup_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MemberLoginRow(Base):
    """A member's password and PIN (both optional), with their throttling counters."""
    __tablename__ = "member_logins"
    __table_args__ = (sa.Index("uq_member_logins_link_hash", "link_hash", unique=True),)

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pin_hash: Mapped[str | None] = mapped_column(sa.String(200))
    failed_pins: Mapped[int] = mapped_column(default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The one live link that sets the password (first sign-in or forgotten password): the
    # SHA-256 of its secret, never the secret itself.
    link_hash: Mapped[str | None] = mapped_column(sa.String(64))
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The one live code that admits a new device (engine.access.member_devices): its SHA-256.
    device_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    device_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInThrottleRow(Base):
    """The throttling counters of sign-ins with a name nobody has (``member:`` and an e-mail
    address no member has, ``staff:`` and a username no staff account has), kept as an account's are
    (``engine.access.sign_in_throttles``). Keyed by the name's SHA-256, never the name."""
    __tablename__ = "sign_in_throttles"

    name_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class MemberDeviceRow(Base):
    """A device (browser, app) a member signed in from: the SHA-256 of the token it keeps."""
    __tablename__ = "member_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentCodeRow(Base):
    """A code a member gives a web shop to pay one order with points (``engine.payment_codes``):
    the SHA-256 of the code, the most points it may hold, and when it was used."""
    __tablename__ = "payment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    points: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # also set to the moment a newer code withdrew it
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_terminal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terminals.id"))


class TerminalCredentialRow(Base):
    __tablename__ = "terminal_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    terminal_id: Mapped[int] = mapped_column(sa.ForeignKey("terminals.id"), index=True)
    secret: Mapped[str] = mapped_column(SealedText("terminal signing key", sqlite_length=100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccessTokenRow(Base):
    """Bearer tokens: member and staff sign-ins, and card sessions at a till."""
    __tablename__ = "access_tokens"
    __table_args__ = (sa.CheckConstraint(one_of("kind", TOKEN_KINDS), name="kind"),)

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_accounts.id"))
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id"))
    terminal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terminals.id"))
    can_redeem: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CardChallengeRow(Base):
    __tablename__ = "card_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    terminal_id: Mapped[int] = mapped_column(sa.ForeignKey("terminals.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id"))
    challenge: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OfflineCardProofRow(Base):
    """Offline evidence already accepted: each (card, terminal, counter) vouches once."""
    __tablename__ = "offline_card_proofs"
    __table_args__ = (sa.UniqueConstraint("card_id", "terminal_id", "counter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id"))
    terminal_id: Mapped[int] = mapped_column(sa.ForeignKey("terminals.id"))
    counter: Mapped[int] = mapped_column(sa.BigInteger)
    receipt_number: Mapped[str] = mapped_column(sa.String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AdjustmentRequestRow(Base):
    """An adjustment above the maker-checker threshold, waiting for a second person."""
    __tablename__ = "adjustment_requests"
    __table_args__ = (sa.CheckConstraint(one_of("status", ADJUSTMENT_REQUEST_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    points: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(500))
    requested_by: Mapped[str] = mapped_column(sa.String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))


class AuditEntryRow(Base):
    """Append-only (triggers refuse UPDATE and DELETE)."""
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(sa.String(100))  # "staff:alice", "member:M...", "terminal:BER-01-T1", "anonymous"
    action: Mapped[str] = mapped_column(sa.String(100))
    target: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str | None] = mapped_column(sa.String(64))  # remote address
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str | None] = mapped_column(sa.Text)


class AuditChainRow(Base):
    """The audit log's hash chain (engine.audit_chain): one link per sealed entry. Append-only."""
    __tablename__ = "audit_chain"

    entry_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    link: Mapped[str] = mapped_column(sa.String(64))


class RateBucketRow(Base):
    """A token bucket every process and node shares (sign-in attempts by source address):
    ``tokens`` left after the take at ``at`` (seconds since the epoch), and whether that take
    was allowed."""
    __tablename__ = "rate_buckets"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    caller: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    tokens: Mapped[float] = mapped_column(sa.Float)
    at: Mapped[float] = mapped_column(sa.Float, index=True)
    allowed: Mapped[bool]
