"""``loyalty tiers define | list | assign | progress | history``: the tier ladder by hand.

``define`` reads JSON: ``{"tiers": [{"code", "name", "threshold", "earn_multiplier"}, ...]
(lowest first), "policy": {"window", "window_months", "review", "grace_months"}}``.
"""
from __future__ import annotations

import getpass
import json
from decimal import Decimal, InvalidOperation

import click

from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine.errors import InvalidInput, Problem
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers, list_tiers, tier_history, tier_progress


@click.group("tiers")
def tiers_group() -> None:
    """Tiers: define the ladder, assign a member by hand, see progress and history."""


def parse_ladder(data) -> tuple[list[TierDefinition], TierPolicy]:
    """The tiers and policy a JSON document describes; a wrong shape is refused naming the field."""
    if not isinstance(data, dict) or not isinstance(data.get("tiers"), list):
        raise InvalidInput([Problem("tiers", "the document must be an object with a list of tiers")])
    tiers, problems = [], []
    for n, item in enumerate(data["tiers"]):
        if not isinstance(item, dict):
            problems.append(Problem(f"tiers[{n}]", "must be an object"))
            continue
        try:
            multiplier = Decimal(str(item.get("earn_multiplier", "1")))
        except InvalidOperation:
            problems.append(Problem(f"tiers[{n}].earn_multiplier", "must be a number"))
            continue
        tiers.append(TierDefinition(item.get("code"), item.get("name"), item.get("threshold"), multiplier))
    policy_data = data.get("policy", {})
    unknown = set(policy_data) - {"window", "window_months", "review", "grace_months"}
    problems += [Problem(f"policy.{key}", "is not a policy field") for key in sorted(unknown)]
    if problems:
        raise InvalidInput(problems)
    return tiers, TierPolicy(**policy_data)


@tiers_group.command("define")
@click.argument("source", type=click.File())
@pass_runtime
def define(runtime: Runtime, source) -> None:
    """Replace the tier ladder and policy with the JSON in SOURCE ('-' for stdin)."""
    try:
        data = json.load(source)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="SOURCE") from error
    tiers, policy = parse_ladder(data)
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
@json_option
@pass_runtime
def assign(runtime: Runtime, member_id: str, tier_code: str, reason: str, as_json: bool) -> None:
    """Put MEMBER_ID in TIER_CODE by hand."""
    emit_one(assign_tier(runtime.db, member_id, tier_code, reason=reason, actor=f"cli:{getpass.getuser()}",
                         now=runtime.now()), as_json=as_json)


@tiers_group.command("progress")
@click.argument("member_id")
@json_option
@pass_runtime
def progress(runtime: Runtime, member_id: str, as_json: bool) -> None:
    """How many qualifying points MEMBER_ID still needs for the next tier, and by when."""
    result = tier_progress(runtime.db, member_id, as_of=runtime.now())
    if as_json:
        emit_one(result, as_json=True)
    elif result.next_tier is None:
        click.echo(f"{member_id} holds the top tier {result.tier_code} ({result.qualifying_points} qualifying points)")
    else:
        click.echo(f"{member_id} is {result.tier_code}: {result.needed} more qualifying points by "
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
