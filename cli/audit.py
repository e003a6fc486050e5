"""Operator commands in the audit log, as the API writes staff requests there.

Every command that can change the programme's data is recorded once it has run: who (the
operating-system user, ``cli:<user>``), what (``loyalty rules publish``), with which
arguments (secrets left out), from which host, and how it ended (``ok``, ``refused <code>``,
``refused usage`` or ``error``). Commands that only read are not recorded, nor those that run before the
database can take entries or around it (``db``, ``serve``, ``scheduler``, ``demo``,
``card-keys``; the scheduler's jobs record their own runs).
"""
from __future__ import annotations

import functools
import socket
import sys

import click

from cli.ledger import cli_caller
from cli.runtime import Runtime
from engine.audit import record_audit
from engine.errors import LoyaltyError

READ_ONLY = frozenset({"list", "show", "versions", "export", "simulate", "validate", "history", "progress", "pending",
                       "balance", "check-ledger", "check-audit", "backtest"})
NOT_AUDITED = frozenset({"db", "serve", "scheduler", "demo", "card-keys", "data-keys"})
SECRETS = ("password", "pin", "secret")


def install_audit(root: click.Group) -> None:
    """Wrap every command under ``root`` that changes data so that its run is audited."""
    for name, command in root.commands.items():
        if name not in NOT_AUDITED:
            _wrap(command, ("loyalty", name))


def _wrap(command: click.Command, path: tuple[str, ...]) -> None:
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _wrap(sub, (*path, name))
        return
    if path[-1] in READ_ONLY or command.callback is None:
        return
    run = command.callback

    @functools.wraps(run)
    def audited(*args, **kwargs):
        outcome = "error"
        try:
            result = run(*args, **kwargs)
            outcome = "ok"
            return result
        except LoyaltyError as refusal:
            outcome = f"refused {refusal.code}"
            raise
        except click.ClickException:  # input the command could not read: refused before the engine
            outcome = "refused usage"
            raise
        finally:
            _record(" ".join(path), click.get_current_context(), outcome)

    command.callback = audited


def _record(action: str, ctx: click.Context, outcome: str) -> None:
    runtime = ctx.find_object(Runtime)
    arguments = {name: ("(hidden)" if any(word in name for word in SECRETS) else value)
                 for name, value in ctx.params.items() if value not in (None, (), False)}
    try:
        record_audit(runtime.db, actor=cli_caller(), action=action, outcome=outcome,
                     now=runtime.now(), target=" ".join(str(v) for v in arguments.values())[:200] or None,
                     source=socket.gethostname(), detail=arguments or None)
    except Exception as error:  # the command has run: say so, but do not turn it into a failure
        print(f"warning: the audit log could not record {action!r}: {error}", file=sys.stderr)
