"""Sign-in credentials for the demo programme: staff of every role, a signing key per demo
terminal, a password (and PIN) for each demo member, and a webhook endpoint on this machine
taking every event (``loyalty demo receiver`` shows what arrives).

Every secret is generated at random when the demo is loaded and returned once, for the
operator to keep in the instance folder; none is written in the repository.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from engine import webhooks
from engine.access.member_logins import set_member_pin, set_member_password
from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account
from engine.access.terminal_keys import issue_terminal_key
from engine.database import Database
from engine.members import list_members
from engine.stores import list_terminals

DEMO_WEBHOOK_HOSTS = frozenset({"127.0.0.1"})
DEMO_WEBHOOK_URL = "http://127.0.0.1:8001/hooks/loyalty"
DEMO_STAFF = (("admin", "Ada Admin", ["admin"]), ("marketer", "Mia Marketer", ["marketer"]),
              ("support", "Sam Support", ["support"]), ("support2", "Sky Support", ["support"]),
              ("auditor", "Avi Auditor", ["auditor"]), ("mailer", "Mel Mailer", ["mailer"]))


@dataclass(frozen=True)
class DemoCredentials:
    staff: dict[str, str]  # username -> password
    terminals: dict[str, dict[str, str]]  # terminal code -> {"key_id", "secret", "store_code"}
    members: dict[str, dict[str, str]]  # e-mail -> {"member_id", "password", "pin"}
    webhook: dict = field(default_factory=dict)  # {"id", "url", "secret"}


def load_demo_access(db: Database, *, passwords: Passwords, now: datetime) -> DemoCredentials:
    """Create the demo's staff accounts, terminal keys and member logins with fresh secrets."""
    staff = {}
    for username, name, roles in DEMO_STAFF:
        staff[username] = secrets.token_urlsafe(12)
        create_staff_account(db, username=username, full_name=name, password=staff[username], roles=roles,
                             passwords=passwords, now=now)
    terminals = {}
    for terminal in list_terminals(db):
        key = issue_terminal_key(db, terminal.code, now=now)
        terminals[terminal.code] = {"key_id": key.key_id, "secret": key.secret, "store_code": key.store_code}
    members = {}
    for member in list_members(db):
        if member.email and member.status == "active":
            password, pin = secrets.token_urlsafe(12), f"{secrets.randbelow(10**4):04d}"
            set_member_password(db, member.public_id, password, passwords=passwords, now=now)
            set_member_pin(db, member.public_id, pin, passwords=passwords, now=now)
            members[member.email] = {"member_id": member.public_id, "password": password, "pin": pin}
    endpoint = webhooks.add_endpoint(db, url=DEMO_WEBHOOK_URL, kinds=list(webhooks.EVENT_KINDS),
                                     description="the demo's receiver (loyalty demo receiver)", actor="demo", now=now,
                                     allowed_private=DEMO_WEBHOOK_HOSTS)
    return DemoCredentials(staff=staff, terminals=terminals, members=members,
                           webhook={"id": endpoint.endpoint.id, "url": DEMO_WEBHOOK_URL, "secret": endpoint.secret})
