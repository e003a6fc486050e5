"""Staff API for earning rules, campaigns and segments: drafts, validation, simulation,
atomic publishing, retirement, rollback, versions, export and import.

Reading needs ``programme.read``; changing ``programme.write`` (marketers, admins). Saving a
draft replaces the earlier draft of its key and creating a campaign or segment is refused
when its code exists, so a retried request never makes two; a retried publish finds no
draft left and is refused (422 naming the key), changing nothing.
"""
from __future__ import annotations

from datetime import timedelta

from flask import g

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now
from api.json_body import Blueprint
from api.schemas.rules import (AudienceQuerySchema, BacktestRequestSchema, BacktestSchema, CampaignChangeSchema,
                               CampaignInSchema, CampaignSchema, ContactSchema, EvaluationSchema, ExportFilterSchema,
                               ImportSchema, PublishSchema, ReferralInSchema, ReferralSchema, RollbackSchema, RuleSchema,
                               RuleVersionFilterSchema, RuleVersionSchema, SegmentChangeSchema, SegmentInSchema,
                               SegmentMembersSchema, SegmentSchema, SegmentUploadSchema, SimulationSchema,
                               ValidationReportSchema)
from api.schemas.terminal import EmptySchema
from engine.audiences import segment_audience
from engine.rules import campaigns, referrals, segments, versions
from engine.rules.backtest import backtest
from engine.rules.calculator import simulate
from engine.rules.model import rule_from_dict

blp = Blueprint("rules", __name__, url_prefix="/v1/staff",
                description="Earning rules, campaigns and segments (staff: programme.read / programme.write).")
AUTH = {"security": [BEARER_AUTH]}


def _actor() -> str:
    return g.principal.actor


@blp.route("/rules/versions", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.arguments(RuleVersionFilterSchema(), location="query")
@blp.response(200, RuleVersionSchema(many=True))
def rule_versions(query):
    """Every version of every rule (or of one rule key), drafts included, a page at a time."""
    return versions.list_versions(database(), query["rule_key"], limit=query["limit"], offset=query["offset"])


@blp.route("/rules/validate", methods=["POST"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.arguments(RuleSchema())
@blp.response(200, ValidationReportSchema)
def validate(definition):
    """Check a rule definition's meaning without saving it: every problem, each naming its field."""
    problems = versions.validate_definition(definition)
    return {"valid": not problems, "problems": problems}


@blp.route("/rules/drafts", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(RuleSchema())
@blp.response(201, RuleVersionSchema)
def save_draft(definition):
    """Save a valid definition as the draft of its key (replacing an earlier draft); 422 lists every problem."""
    return versions.create_draft(database(), definition, now=now(), actor=_actor())


@blp.route("/rules/publish", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(PublishSchema())
@blp.response(200, RuleVersionSchema(many=True))
def publish(body):
    """Publish the drafts of these keys together: all or none. Sales from now on use them."""
    return versions.publish_rules(database(), body["keys"], now=now(), actor=_actor())


@blp.route("/rules/<rule_key>/retire", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, RuleVersionSchema)
def retire(_body, rule_key):
    """End a rule: sales from now on no longer use it."""
    return versions.retire_rule(database(), rule_key, now=now())


@blp.route("/rules/<rule_key>/rollback", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(RollbackSchema())
@blp.response(200, RuleVersionSchema)
def rollback(body, rule_key):
    """Publish an earlier version's definition again, as a new version (history stays); a pending draft
    is kept as it was, and the new version is numbered after it."""
    return versions.rollback_rule(database(), rule_key, body["version"], now=now(), actor=_actor())


@blp.route("/rules/export", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.arguments(ExportFilterSchema(), location="query")
@blp.response(200, RuleSchema(many=True))
def export(query):
    """The definitions of the rules in force now (or the drafts), ready to import elsewhere."""
    return versions.definitions_in_force(database(), at=now(), drafts=query["drafts"])


@blp.route("/rules/import", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(ImportSchema())
@blp.response(200, RuleVersionSchema(many=True))
def import_rules(body):
    """Save every rule as a draft, and with ``publish`` publish them all at once."""
    return versions.import_definitions(database(), body["rules"], publish=body["publish"], now=now(),
                                       actor=_actor())


@blp.route("/rules/simulate", methods=["POST"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.arguments(SimulationSchema())
@blp.response(200, EvaluationSchema)
def simulate_basket(body):
    """What a basket would earn, with the per-rule breakdown; posts nothing."""
    return simulate(database(), body["basket"], now=now(), member_id=body["member_id"], member=body["member"],
                    draft_keys=tuple(body["draft_keys"]), rules=tuple(rule_from_dict(d) for d in body["rules"]))


@blp.route("/rules/backtest", methods=["POST"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.arguments(BacktestRequestSchema())
@blp.response(200, BacktestSchema)
def try_on_past_sales(body):
    """What drafts (or unsaved rules) would have given the sales of the last ``days`` days
    against what the rules in force gave, per rule; posts nothing. An estimate: each sale
    alone, with the member's facts of today, caps counted from zero, budgets not taken."""
    until = now()
    return backtest(database(), since=until - timedelta(days=body["days"]), until=until,
                    draft_keys=tuple(body["draft_keys"]), rules=tuple(rule_from_dict(d) for d in body["rules"]),
                    max_sales=body["max_sales"])


@blp.route("/campaigns", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.response(200, CampaignSchema(many=True))
def campaign_list():
    """Every campaign with the budget used so far."""
    return campaigns.list_campaigns(database())


@blp.route("/campaigns", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(CampaignInSchema())
@blp.response(201, CampaignSchema)
def create_campaign(body):
    """A time-boxed campaign with an optional budget, member cap, target segment and holdout share."""
    return campaigns.create_campaign(database(), now=now(), **body)


@blp.route("/campaigns/<code>", methods=["PATCH"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(CampaignChangeSchema())
@blp.response(200, CampaignSchema)
def change_campaign(body, code):
    """Change a campaign that has not ended: its name, its end (after its start and after
    now), its budget (raised, or cut to no less than it has given), its member cap. Only the
    fields sent change."""
    return campaigns.change_campaign(database(), code, now=now(), **body)


@blp.route("/campaigns/<code>/end", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, CampaignSchema)
def end_campaign(_body, code):
    """End a campaign now (one not started yet never runs): sales from now on no longer get
    its rules; sales made before, arriving later from an offline till, still do."""
    return campaigns.end_campaign(database(), code, now=now())


@blp.route("/referrals", methods=["POST"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.arguments(ReferralInSchema())
@blp.response(201, ReferralSchema)
def refer(body):
    """Record that one member referred another (support, for a friend who joined at a till):
    each gets the programme's referral bonus of today once, with the referred member's first
    qualifying purchase (a member is referred once; a retry is refused with 409)."""
    return referrals.record_referral(database(), now=now(), **body)


@blp.route("/segments", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.response(200, SegmentSchema(many=True))
def segment_list():
    """Every segment with how many members it holds now."""
    return segments.list_segments(database())


@blp.route("/segments", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(SegmentInSchema())
@blp.response(201, SegmentUploadSchema)
def create_segment(body):
    """A segment defined by a predicate on tier and attributes, or an (empty) uploaded list."""
    count = segments.create_segment(database(), code=body["code"], now=now(), predicate=body["predicate"],
                                    member_ids=None if body["predicate"] is not None else [])
    return {"code": body["code"], "members": count}


@blp.route("/segments/<code>", methods=["PATCH"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(SegmentChangeSchema())
@blp.response(200, SegmentUploadSchema)
def change_segment(body, code):
    """Give a predicate segment a new predicate; the rules, campaigns and grants naming it take
    its new members from then on (an uploaded list changes by a new upload instead)."""
    return {"code": code, "members": segments.change_segment(database(), code, predicate=body["predicate"])}


@blp.route("/segments/<code>", methods=["DELETE"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.response(204)
def remove_segment(code):
    """Remove a segment; refused (422, every reason named) while a rule in force or still to
    come, a campaign or a points grant names it."""
    segments.remove_segment(database(), code, now=now())


@blp.route("/segments/<code>/audience", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.arguments(AudienceQuerySchema(), location="query")
@blp.response(200, ContactSchema(many=True))
def audience(query, code):
    """The segment's members who agreed to offers on the channel (``email``: their e-mail
    address; ``sms``: their phone number), by member id, page by page (``after``: the last
    member id of the page before); for a campaign's mailing. Personal data: every call is audited."""
    return segment_audience(database(), code, **query)


@blp.route("/segments/<code>/members", methods=["PUT"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(SegmentMembersSchema())
@blp.response(200, SegmentUploadSchema)
def upload_segment(body, code):
    """Replace a list segment's members (public member ids)."""
    return {"code": code, "members": segments.upload_segment(database(), code, body["member_ids"])}
