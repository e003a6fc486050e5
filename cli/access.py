"""``loyalty staff``, ``loyalty terminal-keys``, ``loyalty member-login``, ``loyalty card-keys``,
``loyalty check-audit``: who may sign in, the keys of tills and cards, and the audit log's
hash chain."""
from __future__ import annotations

import os
from pathlib import Path

import click

from api.config import load_config
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine.access.authenticators import allow_set_up, remove_authenticator
from engine.audit_chain import verify_audit_chain
from engine.access.member_logins import invite_member, invite_segment, set_member_password, set_member_pin
from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account, list_staff_accounts, set_staff_active, set_staff_roles
from engine.access.terminal_keys import issue_terminal_key, list_terminal_keys, revoke_terminal_key
from engine.card_keys import KEY_LENGTH
from engine.orm.access import STAFF_ROLES
from engine.stored_secrets import seal_stored_secrets
from engine.sealing import KEY_LENGTH as DATA_KEY_LENGTH
from engine.versioned_keys import append_key_version


@click.group("staff")
def staff_group() -> None:
    """Staff accounts and their roles."""


@staff_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="The person's full name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(STAFF_ROLES),
              help="A role (repeat for several)")
@click.password_option(help="The password (prompted when not given; at least 10 characters)")
@pass_runtime
def create_staff(runtime: Runtime, username: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff account."""
    account = create_staff_account(runtime.db, username=username, full_name=full_name, password=password,
                                   roles=list(roles), passwords=Passwords(), now=runtime.now())
    click.echo(f"staff account {account.username} created with roles {', '.join(account.roles)}")


@staff_group.command("list")
@json_option
@pass_runtime
def list_staff(runtime: Runtime, as_json: bool) -> None:
    """Every staff account."""
    emit(list_staff_accounts(runtime.db), ["username", "full_name", "roles", "active", "two_step"], as_json=as_json,
         title="staff accounts")


@staff_group.command("deactivate")
@click.argument("username")
@pass_runtime
def deactivate_staff(runtime: Runtime, username: str) -> None:
    """Stop an account signing in (its open sessions stop working too)."""
    set_staff_active(runtime.db, username, active=False, now=runtime.now())
    click.echo(f"staff account {username} deactivated")


@staff_group.command("remove-authenticator")
@click.argument("username")
@pass_runtime
def remove_staff_authenticator(runtime: Runtime, username: str) -> None:
    """Forget an account's authenticator app and recovery codes (a lost phone): it signs in
    with its password alone until it sets another up."""
    remove_authenticator(runtime.db, username)
    click.echo(f"staff account {username} signs in with its password alone until it sets up an authenticator again")


@staff_group.command("allow-authenticator")
@click.argument("username")
@pass_runtime
def allow_staff_authenticator(runtime: Runtime, username: str) -> None:
    """A one-time code (live for a day) with which the account sets up its authenticator app
    where the programme asks every staff member for two steps: give it in person."""
    allowed = allow_set_up(runtime.db, username, now=runtime.now())
    click.echo(f"set-up code for {username}: {allowed.code} (until {allowed.expires_at:%Y-%m-%d %H:%M} UTC)")


@staff_group.command("roles")
@click.argument("username")
@click.argument("roles", nargs=-1, required=True)
@pass_runtime
def staff_roles(runtime: Runtime, username: str, roles: tuple[str, ...]) -> None:
    """Replace an account's roles, e.g. ``loyalty staff roles mia marketer auditor``."""
    account = set_staff_roles(runtime.db, username, list(roles))
    click.echo(f"staff account {username} now has roles {', '.join(account.roles)}")


@click.group("terminal-keys")
def terminal_keys_group() -> None:
    """Signing keys of the tills."""


@terminal_keys_group.command("issue")
@click.argument("terminal_code")
@json_option
@pass_runtime
def issue_key(runtime: Runtime, terminal_code: str, as_json: bool) -> None:
    """A new signing key for a terminal; its secret is shown this once."""
    emit_one(issue_terminal_key(runtime.db, terminal_code, now=runtime.now()), as_json=as_json)


@terminal_keys_group.command("revoke")
@click.argument("key_id")
@pass_runtime
def revoke_key(runtime: Runtime, key_id: str) -> None:
    """Stop a key at once."""
    revoke_terminal_key(runtime.db, key_id, now=runtime.now())
    click.echo(f"terminal key {key_id} revoked")


@terminal_keys_group.command("list")
@click.argument("terminal_code", required=False)
@json_option
@pass_runtime
def list_keys(runtime: Runtime, terminal_code: str | None, as_json: bool) -> None:
    """Keys of one terminal or of all (without secrets)."""
    emit(list_terminal_keys(runtime.db, terminal_code), ["key_id", "terminal_code", "store_code", "created_at",
                                                         "revoked_at"], as_json=as_json, title="terminal keys")


@click.group("member-login")
def member_login_group() -> None:
    """Members' passwords and PINs (for support staff helping a member)."""


@member_login_group.command("set-password")
@click.argument("member_id")
@click.password_option(help="The new password (prompted when not given)")
@pass_runtime
def member_password(runtime: Runtime, member_id: str, password: str) -> None:
    """Set a member's password."""
    set_member_password(runtime.db, member_id, password, passwords=Passwords(), now=runtime.now())
    click.echo(f"password of member {member_id} set")


@member_login_group.command("invite")
@click.argument("member_id", required=False)
@click.option("--segment", help="Invite every active member of this segment with an e-mail address and no password")
@pass_runtime
def member_invite(runtime: Runtime, member_id: str | None, segment: str | None) -> None:
    """Send MEMBER_ID (or a segment's members) a link to set their password themselves (a
    week to use it)."""
    if (member_id is None) == (segment is None):
        raise click.UsageError("name a member or a --segment")
    if segment is not None:
        count = invite_segment(runtime.db, segment, now=runtime.now())
        click.echo(f"password links for {count:,} members of {segment} wait for the mailer")
        return
    expires = invite_member(runtime.db, member_id, now=runtime.now())
    click.echo(f"a password link for member {member_id} waits for the mailer; it works until {expires.isoformat()}")


@member_login_group.command("set-pin")
@click.argument("member_id")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="4 or 6 digits")
@pass_runtime
def member_pin(runtime: Runtime, member_id: str, pin: str) -> None:
    """Set the PIN a member types at the till with a UID-only card."""
    set_member_pin(runtime.db, member_id, pin, passwords=Passwords(), now=runtime.now())
    click.echo(f"PIN of member {member_id} set")


@click.group("card-keys")
def card_keys_group() -> None:
    """Card master keys (kept outside the repository and the database)."""


@card_keys_group.command("new-version")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The key file the service reads (LOYALTY_CARD_MASTER_KEYS_FILE)")
def new_key_version(path: Path) -> None:
    """Add a new random master key version to the key file; new cards get it, old cards keep theirs."""
    click.echo(f"master key version {add_master_key(path)} added to {path}")


def add_master_key(path: Path) -> int:
    """Append a new random master key version to ``path`` (created with mode 0600); returns the version."""
    return append_key_version(path, length=KEY_LENGTH)


@click.group("data-keys")
def data_keys_group() -> None:
    """Data keys that seal stored secrets (kept outside the repository and the database)."""


@data_keys_group.command("new-version")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The key file the service reads (LOYALTY_DATA_KEYS_FILE)")
def new_data_key_version(path: Path) -> None:
    """Add a new random data key version to the key file: secrets written from the next start
    are sealed with it; `loyalty secrets seal` seals the stored ones again."""
    click.echo(f"data key version {add_data_key(path)} added to {path}")


def add_data_key(path: Path) -> int:
    """Append a new random data key version to ``path`` (created with mode 0600); returns the version."""
    return append_key_version(path, length=DATA_KEY_LENGTH)


@click.group("secrets")
def secrets_group() -> None:
    """Secrets stored in the database that the service reads back."""


@secrets_group.command("seal")
@pass_runtime
def seal_secrets(runtime: Runtime) -> None:
    """Seal the stored secrets with the newest data key: those stored before data keys were
    configured, and those sealed with an older one (keep the old version in the key file
    until this has run)."""
    if not load_config(os.environ)["DATA_KEYS"].by_version:
        raise click.ClickException("no data keys are configured (LOYALTY_DATA_KEYS or LOYALTY_DATA_KEYS_FILE): "
                                   "nothing can be sealed")
    done = seal_stored_secrets(runtime.db)
    click.echo(", ".join(f"{column}: {count} sealed" for column, count in done.items()))


@click.command("check-audit")
@pass_runtime
def check_audit_command(runtime: Runtime) -> None:
    """Verify the audit log's hash chain (sealed daily by the seal_audit job); exits 1 naming
    the first entry changed, removed or slipped in. Prints the head link: keep it elsewhere,
    so that a rewrite of both the log and its chain shows too."""
    report = verify_audit_chain(runtime.db)
    if report.broken_at is not None:
        click.echo(f"audit chain BROKEN at entry {report.broken_at}: {report.problem} "
                   f"({report.sealed} entries verified before it)")
        raise click.exceptions.Exit(1)
    click.echo(f"audit chain sound: {report.sealed} entries sealed; head {report.head}")


COMMANDS = (staff_group, terminal_keys_group, member_login_group, card_keys_group, data_keys_group, secrets_group,
            check_audit_command)
