"""``loyalty rules ...`` and ``loyalty campaigns ...``: earning rules as data.

Definitions come as JSON files (one rule or a list), shape-checked by ``api.schemas.rules``
before the engine validates their meaning. Publishing several keys is atomic.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import click

from api.schemas.ledger import BasketSchema
from api.schemas.rules import MemberFactsSchema, RuleSchema
from cli.ledger import IsoInstant, load_input, read_json
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine.audiences import CHANNELS, audience_csv
from engine.errors import InvalidInput, Problem
from engine.plain import to_plain
from engine.rules import campaigns, referrals, segments, versions
from engine.rules.backtest import MAX_SALES, backtest
from engine.rules.calculator import simulate
from engine.rules.model import rule_from_dict


def _definitions(stream) -> list[dict]:
    data = read_json(stream, what="rules")
    many = isinstance(data, list)
    loaded = load_input(RuleSchema(many=many), data, root="rules")
    return loaded if many else [loaded]


@click.group("rules")
def rules_group() -> None:
    """Earning rules: drafts, validation, simulation, publishing, versions."""


@rules_group.command("validate")
@click.argument("rules_file", type=click.File("r", encoding="utf-8"))
def validate(rules_file) -> None:
    """Check RULES_FILE (JSON: a rule or a list) without saving anything."""
    problems = []
    for index, definition in enumerate(_definitions(rules_file)):
        problems += [Problem(f"[{index}].{p.field}", p.message) for p in versions.validate_definition(definition)]
    if problems:
        raise InvalidInput(problems)
    click.echo("valid")


@rules_group.command("draft")
@click.argument("rules_file", type=click.File("r", encoding="utf-8"))
@pass_runtime
def draft(runtime: Runtime, rules_file) -> None:
    """Save the rules in RULES_FILE as drafts (replacing earlier drafts of their keys)."""
    for definition in _definitions(rules_file):
        saved = versions.create_draft(runtime.db, definition, now=runtime.now(), actor="cli")
        click.echo(f"draft {saved.rule_key} v{saved.version}")


@rules_group.command("import")
@click.argument("rules_file", type=click.File("r", encoding="utf-8"))
@click.option("--publish", is_flag=True, help="Publish every imported rule at once (all or none)")
@pass_runtime
def import_rules(runtime: Runtime, rules_file, publish: bool) -> None:
    """Import rules exported as JSON: each becomes a draft, then (--publish) all are published;
    when any is invalid nothing is saved."""
    saved = versions.import_definitions(runtime.db, _definitions(rules_file), publish=publish, now=runtime.now(),
                                        actor="cli")
    click.echo(f"{len(saved)} rule(s) {'published' if publish else 'saved as drafts'}")


@rules_group.command("export")
@click.option("--drafts", is_flag=True, help="Export the drafts instead of the published rules in force")
@pass_runtime
def export_rules(runtime: Runtime, drafts: bool) -> None:
    """Print the definitions of the rules in force now (or the drafts) as a JSON list."""
    click.echo(json.dumps(versions.definitions_in_force(runtime.db, at=runtime.now(), drafts=drafts), indent=2,
                          sort_keys=True))


@rules_group.command("publish")
@click.argument("keys", nargs=-1, required=True)
@pass_runtime
def publish(runtime: Runtime, keys: tuple[str, ...]) -> None:
    """Publish the drafts of KEYS together (all or none)."""
    for v in versions.publish_rules(runtime.db, list(keys), now=runtime.now(), actor="cli"):
        click.echo(f"published {v.rule_key} v{v.version}")


@rules_group.command("retire")
@click.argument("key")
@pass_runtime
def retire(runtime: Runtime, key: str) -> None:
    """End the rule KEY: sales from now on no longer use it."""
    v = versions.retire_rule(runtime.db, key, now=runtime.now())
    click.echo(f"retired {v.rule_key} v{v.version}")


@rules_group.command("rollback")
@click.argument("key")
@click.argument("version", type=int)
@pass_runtime
def rollback(runtime: Runtime, key: str, version: int) -> None:
    """Publish VERSION of rule KEY again, as a new version."""
    v = versions.rollback_rule(runtime.db, key, version, now=runtime.now(), actor="cli")
    click.echo(f"published {v.rule_key} v{v.version} (the definition of v{version})")


@rules_group.command("versions")
@click.argument("key", required=False)
@json_option
@pass_runtime
def list_versions(runtime: Runtime, key: str | None, as_json: bool) -> None:
    """List every version of rule KEY (or of all rules)."""
    emit(versions.list_versions(runtime.db, key), ("rule_key", "version", "status", "published_at", "valid_until"),
         as_json=as_json, title="rule versions")


@rules_group.command("simulate")
@click.argument("basket_file", type=click.File("r", encoding="utf-8"))
@click.option("--member", "member_id", help="Public id of a real member")
@click.option("--facts", "facts_file", type=click.File("r", encoding="utf-8"),
              help="JSON file describing a hypothetical member (tier_code, birthday, segments, ...)")
@click.option("--draft", "draft_keys", multiple=True, help="Use the draft of this rule key (repeatable)")
@click.option("--rules", "rules_file", type=click.File("r", encoding="utf-8"),
              help="Unsaved rules (JSON) to try instead of the published versions of their keys")
@json_option
@pass_runtime
def simulate_basket(runtime: Runtime, basket_file, member_id, facts_file, draft_keys, rules_file, as_json) -> None:
    """What BASKET_FILE would earn; posts nothing."""
    data = read_json(basket_file, what="basket")
    if isinstance(data, dict):
        if member_id is None and facts_file is None:
            member_id = data.get("member_id")
            if not isinstance(member_id, str) or not member_id:
                raise click.UsageError("Say who buys: --member MEMBER_ID, --facts FILE (a hypothetical member), "
                                       "or member_id in the basket file.")
        data.setdefault("member_id", member_id or "hypothetical")
    basket = load_input(BasketSchema(), data, root="basket")
    member = None
    if facts_file is not None:
        member = load_input(MemberFactsSchema(), read_json(facts_file, what="facts"), root="facts")
    rules = tuple(rule_from_dict(d) for d in _definitions(rules_file)) if rules_file else ()
    result = simulate(runtime.db, basket, now=runtime.now(), member_id=member_id, member=member,
                      draft_keys=tuple(draft_keys), rules=rules)
    if as_json:
        click.echo(json.dumps(to_plain(result), indent=2))
        return
    click.echo(f"points: {result.points}")
    for award in result.awards:
        version = "" if award.version is None else f" v{award.version}"
        cut = f" (desired {award.desired}, capped by {award.capped_by})" if award.capped_by else ""
        click.echo(f"  {award.rule_key}{version}: {award.applied}{cut}")


@rules_group.command("backtest")
@click.option("--days", type=click.IntRange(1, 92), default=30, show_default=True, help="The window: the last days")
@click.option("--draft", "draft_keys", multiple=True, help="Try the draft of this rule key (repeatable)")
@click.option("--max-sales", type=click.IntRange(1, MAX_SALES), default=2000, show_default=True,
              help="The newest sales of the window taken")
@json_option
@pass_runtime
def backtest_drafts(runtime: Runtime, days: int, draft_keys, max_sales: int, as_json: bool) -> None:
    """What the drafts would have given the last days' sales, against what they earned, per
    rule; posts nothing (an estimate: each sale alone, caps from zero, budgets not taken)."""
    until = runtime.now()
    result = backtest(runtime.db, since=until - timedelta(days=days), until=until, draft_keys=tuple(draft_keys),
                      max_sales=max_sales)
    if as_json:
        click.echo(json.dumps(to_plain(result), indent=2))
        return
    click.echo(f"{result.sales} sales of {result.members} members: {result.published} points as published, "
               f"{result.with_drafts} with the drafts ({result.members_changed} members would get another number)")
    for totals in result.rules:
        click.echo(f"  {totals.rule_key}: {totals.published} -> {totals.with_drafts}")


@click.group("campaigns")
def campaigns_group() -> None:
    """Campaigns: time-boxed groups of rules with a budget, target segment and holdout."""


@campaigns_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--starts", "starts_at", type=IsoInstant(), required=True)
@click.option("--ends", "ends_at", type=IsoInstant(), required=True)
@click.option("--budget", type=int, help="Total points the campaign may give (default: unlimited)")
@click.option("--segment", "segment_code", help="Only members of this segment")
@click.option("--holdout", "holdout_share", default="0", help="Share of members held out as control, e.g. 0.1")
@click.option("--member-cap", type=int, help="The most points one member gets from the campaign (default: no cap)")
@pass_runtime
def create(runtime: Runtime, code, name, starts_at: datetime, ends_at: datetime, budget, segment_code,
           holdout_share: str, member_cap: int | None) -> None:
    """Create campaign CODE."""
    try:
        share = Decimal(holdout_share)
    except ArithmeticError:
        raise InvalidInput([Problem("holdout_share", "must be a number")]) from None
    c = campaigns.create_campaign(runtime.db, code=code, name=name, starts_at=starts_at, ends_at=ends_at,
                                  budget=budget, segment_code=segment_code, holdout_share=share, now=runtime.now(),
                                  member_cap=member_cap)
    click.echo(f"campaign {c.code} created")


@campaigns_group.command("change")
@click.argument("code")
@click.option("--name")
@click.option("--ends", "ends_at", type=IsoInstant(), help="A new end, after the start and after now")
@click.option("--budget", type=int, help="The new total budget, at least what the campaign has given")
@click.option("--member-cap", type=int, help="The most points one member gets from the campaign, from the next sale")
@pass_runtime
def change(runtime: Runtime, code: str, name: str | None, ends_at: datetime | None, budget: int | None,
           member_cap: int | None) -> None:
    """Change campaign CODE's name, end, budget or member cap; what is not given stays."""
    c = campaigns.change_campaign(runtime.db, code, name=name, ends_at=ends_at, budget=budget, member_cap=member_cap,
                                  now=runtime.now())
    budget_text = "no budget" if c.budget is None else f"budget {c.budget} ({c.budget_used} given)"
    click.echo(f"campaign {c.code}: {c.name}, until {c.ends_at.isoformat()}, {budget_text}")


@campaigns_group.command("end")
@click.argument("code")
@pass_runtime
def end(runtime: Runtime, code: str) -> None:
    """End campaign CODE now: sales from now on no longer get its rules."""
    c = campaigns.end_campaign(runtime.db, code, now=runtime.now())
    click.echo(f"campaign {c.code} ends at {c.ends_at.isoformat()}")


@campaigns_group.command("list")
@json_option
@pass_runtime
def list_campaigns(runtime: Runtime, as_json: bool) -> None:
    """List campaigns with the budget used so far."""
    emit(campaigns.list_campaigns(runtime.db), ("code", "name", "starts_at", "ends_at", "budget", "budget_used",
                                                "member_cap", "segment_code", "holdout_share"), as_json=as_json,
         title="campaigns")


@click.group("segments")
def segments_group() -> None:
    """Segments: named sets of members (uploaded lists, or predicates on tier and attributes)."""


@segments_group.command("list")
@json_option
@pass_runtime
def list_segments(runtime: Runtime, as_json: bool) -> None:
    """Every segment with how many members it holds now."""
    emit(segments.list_segments(runtime.db), ("code", "kind", "predicate", "members"), as_json=as_json,
         title="segments")


@segments_group.command("create")
@click.argument("code")
@click.option("--predicate", "predicate_file", type=click.File("rb"),
              help='JSON: {"tier": [codes], "attributes": {name: [values]}} (- reads standard input)')
@click.option("--members", "members_file", type=click.File("r"), help="A file of member ids, one per line")
@pass_runtime
def create_segment(runtime: Runtime, code: str, predicate_file, members_file) -> None:
    """Create segment CODE from a predicate or from a list of member ids."""
    if (predicate_file is None) == (members_file is None):
        raise click.UsageError("give --predicate or --members")
    predicate = read_json(predicate_file, what="predicate") if predicate_file is not None else None
    member_ids = members_file.read().split() if members_file is not None else None
    held = segments.create_segment(runtime.db, code=code, predicate=predicate, member_ids=member_ids,
                                   now=runtime.now())
    click.echo(f"segment {code} created" + (f" with {held} members" if member_ids is not None else ""))


@segments_group.command("change")
@click.argument("code")
@click.option("--predicate", "predicate_file", type=click.File("rb"), required=True,
              help="JSON, as for create (- reads standard input)")
@pass_runtime
def change_segment(runtime: Runtime, code: str, predicate_file) -> None:
    """Give predicate segment CODE a new predicate: the rules, campaigns and grants naming it
    take its new members from now on."""
    held = segments.change_segment(runtime.db, code, predicate=read_json(predicate_file, what="predicate"))
    click.echo(f"segment {code} changed: {held} members now")


@segments_group.command("upload")
@click.argument("code")
@click.option("--members", "members_file", type=click.File("r"), required=True,
              help="A file of member ids, one per line")
@pass_runtime
def upload_segment(runtime: Runtime, code: str, members_file) -> None:
    """Replace the members of list segment CODE with those the file lists."""
    held = segments.upload_segment(runtime.db, code, members_file.read().split())
    click.echo(f"segment {code} holds {held} members")


@segments_group.command("remove")
@click.argument("code")
@pass_runtime
def remove_segment(runtime: Runtime, code: str) -> None:
    """Remove segment CODE; refused while a rule in force or still to come, a campaign or a
    points grant names it."""
    segments.remove_segment(runtime.db, code, now=runtime.now())
    click.echo(f"segment {code} removed")


@click.group("referrals")
def referrals_group() -> None:
    """Referrals: the programme's bonus for the referrer and the referred member after the first purchase."""


@referrals_group.command("record")
@click.argument("referrer_id")
@click.argument("referred_id")
@json_option
@pass_runtime
def record(runtime: Runtime, referrer_id, referred_id, as_json: bool) -> None:
    """Record that REFERRER_ID referred REFERRED_ID (public member ids); the bonuses are the
    programme's settings referrer_points, referred_points and referral_min_total_minor."""
    emit_one(referrals.record_referral(runtime.db, referrer_id=referrer_id, referred_id=referred_id,
                                       now=runtime.now()), as_json=as_json)


@segments_group.command("audience")
@click.argument("code")
@click.option("--channel", type=click.Choice(sorted(CHANNELS)), required=True,
              help="email: members who agreed to e-mails, with their address; sms: to text messages, with their phone")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="CSV file (default: standard output)")
@pass_runtime
def audience(runtime: Runtime, code: str, channel: str, out) -> None:
    """The members of segment CODE who may be contacted on the channel, as CSV (member_id,
    full_name, address), for a campaign's mailing. The run is written to the audit log."""
    for chunk in audience_csv(runtime.db, code, channel=channel):
        out.write(chunk)


COMMANDS = (rules_group, campaigns_group, segments_group, referrals_group)
