"""The authenticated caller of a request, as every service sees it."""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import NotAllowed

STAFF_PERMISSIONS: dict[str, frozenset[str]] = {
    # Admins run the programme; everything else is split so that no single role both
    # edits rules and moves balances, and auditors only read.
    "admin": frozenset({"members.read", "members.write", "cards.write", "cards.issue",
                        "adjustments.request", "adjustments.approve", "programme.read", "programme.write",
                        "terminals.write", "staff.write", "audit.read", "reports.read", "messages.send",
                        "settings.write", "webhooks.write"}),
    "marketer": frozenset({"members.read", "programme.read", "programme.write", "reports.read"}),
    "support": frozenset({"members.read", "members.write", "cards.write", "cards.issue",
                          "adjustments.request", "adjustments.approve", "messages.send"}),
    "auditor": frozenset({"members.read", "audit.read", "programme.read", "reports.read"}),
    # The account of a mail-sending script: the messages waiting for members (with the name
    # and e-mail each needs) and marking them sent, nothing else of any member.
    "mailer": frozenset({"messages.send"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff account, a member, or a terminal (with its store)."""
    kind: str  # "staff" | "member" | "terminal"
    name: str  # username, member public id, or terminal code
    roles: frozenset[str] = field(default_factory=frozenset)
    store_code: str | None = None  # terminals only
    # staff only: the programme asks for two-step sign-in and this account has no
    # authenticator yet; it may set one up (and sign out), nothing else
    two_step_missing: bool = False

    @property
    def actor(self) -> str:
        """How the audit log and the ledger name this caller, e.g. ``staff:alice``."""
        return f"{self.kind}:{self.name}"

    @property
    def permissions(self) -> frozenset[str]:
        if self.kind != "staff":
            return frozenset()
        return frozenset().union(*(STAFF_PERMISSIONS.get(role, frozenset()) for role in self.roles))


def require_permission(principal: Principal, permission: str) -> None:
    """Refuse with NotAllowed unless ``principal`` is staff holding ``permission`` (and has
    set up two-step sign-in where the programme asks for it: ``two_step_required``)."""
    if principal.two_step_missing:
        raise NotAllowed("the programme asks every staff member for two-step sign-in: set up an authenticator "
                         "app first (POST /v1/staff/authenticator)", code="two_step_required")
    if permission not in principal.permissions:
        raise NotAllowed(f"{principal.actor} may not do this (needs permission {permission})",
                         code="missing_permission")
