"""``loyalty tiers define | list | assign | progress | history``: the tier ladder by hand.

``define`` reads JSON: ``{"tiers": [{"code", "name", "threshold", "earn_multiplier"}, ...]
(lowest first), "policy": {"window", "window_months", "review", "grace_months", "measure"}}``,
shape-checked by ``api.schemas.programme.LadderSchema`` (the API's ``PUT /v1/staff/tiers``).
"""
from __future__ import annotations

import getpass

import click

from api.schemas.programme import LadderSchema
from cli.ledger import load_input, read_json
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine.tiers.service import assign_tier, define_tiers, list_tiers, tier_history, tier_progress


@click.group("tiers")
def tiers_group() -> None:
    """Tiers: define the ladder, assign a member by hand, see progress and history."""


@tiers_group.command("define")
@click.argument("source", type=click.File())
@pass_runtime
def define(runtime: Runtime, source) -> None:
    """Replace the tier ladder and policy with the JSON in SOURCE ('-' for stdin)."""
    ladder = load_input(LadderSchema(), read_json(source, what="tier ladder"), root="ladder")
    tiers, policy = ladder["tiers"], ladder["policy"]
    define_tiers(runtime.db, tiers, policy, now=runtime.now())
    click.echo(f"defined {len(tiers)} tiers: {', '.join(t.code for t in tiers)}")


@tiers_group.command("list")
@json_option
@pass_runtime
def list_command(runtime: Runtime, as_json: bool) -> None:
    """The tiers, lowest first."""
    tiers, _ = list_tiers(runtime.db)
    emit(tiers, ["code", "name", "threshold", "earn_multiplier"], as_json=as_json, title="tiers")


@tiers_group.command("assign")
@click.argument("member_id")
@click.argument("tier_code")
@click.option("--reason", required=True, help="Why (kept in the member's tier history)")
@click.option("--keep-until", type=click.DateTime(["%Y-%m-%d"]), help="No review before the first regular one "
                                                                      "after this day (YYYY-MM-DD)")
@json_option
@pass_runtime
def assign(runtime: Runtime, member_id: str, tier_code: str, reason: str, keep_until, as_json: bool) -> None:
    """Put MEMBER_ID in TIER_CODE by hand (kept until a day, if given)."""
    emit_one(assign_tier(runtime.db, member_id, tier_code, reason=reason, actor=f"cli:{getpass.getuser()}",
                         keep_until=keep_until.date() if keep_until else None,
                         now=runtime.now()), as_json=as_json)


@tiers_group.command("progress")
@click.argument("member_id")
@json_option
@pass_runtime
def progress(runtime: Runtime, member_id: str, as_json: bool) -> None:
    """What MEMBER_ID still needs for the next tier (qualifying points or spend), and by when."""
    result = tier_progress(runtime.db, member_id, as_of=runtime.now())
    unit = "qualifying points" if result.measure == "points" else "minor units of qualifying spend"
    if as_json:
        emit_one(result, as_json=True)
    elif result.next_tier is None:
        click.echo(f"{member_id} holds the top tier {result.tier_code} ({result.qualifying_points} {unit})")
    else:
        click.echo(f"{member_id} is {result.tier_code}: {result.needed} more {unit} by "
                   f"{result.by.date().isoformat()} to reach {result.next_tier}")


@tiers_group.command("history")
@click.argument("member_id")
@json_option
@pass_runtime
def history(runtime: Runtime, member_id: str, as_json: bool) -> None:
    """Every tier change of MEMBER_ID, oldest first."""
    emit(tier_history(runtime.db, member_id), ["at", "from", "to", "reason", "note"], as_json=as_json,
         title="tier changes")


COMMANDS = (tiers_group,)
