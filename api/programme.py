"""Staff API for the programme catalogue: the tier ladder, members' tier standing and manual
assignment, the rewards catalogue and vouchers.

The ladder and rewards need ``programme.write`` to change (marketers, admins) and
``programme.read`` to read; assigning a member's tier and cancelling a voucher (which moves
points back) need ``members.write`` (support, admins), so a marketer cannot move balances.
"""
from __future__ import annotations

from flask import g

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now
from api.idempotency import PARAMETER, caller, idempotency_key
from api.json_body import Blueprint
from api.schemas.programme import (LadderOutSchema, LadderSchema, MemberTierSchema, MemberTierStandingSchema,
                                   RewardChangeSchema, RewardInSchema, RewardListQuerySchema, RewardSchema,
                                   TierAssignmentSchema, VoucherSchema)
from api.schemas.terminal import EmptySchema
from engine.rewards import (CancelVoucher, cancel_voucher, change_reward, create_reward, get_reward, get_voucher,
                            list_rewards)
from engine.tiers.service import assign_tier, define_tiers, list_tiers, tier_history, tier_progress

blp = Blueprint("programme", __name__, url_prefix="/v1/staff",
                description="Tiers, rewards and vouchers (staff).")
AUTH = {"security": [BEARER_AUTH]}
WRITE = {"security": [BEARER_AUTH], "parameters": [PARAMETER]}


def _ladder():
    tiers, policy = list_tiers(database())
    return {"tiers": tiers, "policy": policy}


@blp.route("/tiers", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.response(200, LadderOutSchema)
def ladder():
    """The tiers, lowest first, and the tier policy (null before tiers are defined)."""
    return _ladder()


@blp.route("/tiers", methods=["PUT"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(LadderSchema())
@blp.response(200, LadderOutSchema)
def define(body):
    """Replace the tier ladder and policy (a tier members hold cannot be removed)."""
    define_tiers(database(), body["tiers"], body["policy"], now=now())
    return _ladder()


@blp.route("/members/<member_id>/tier", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.response(200, MemberTierStandingSchema)
def standing(member_id):
    """A member's tier, progress to the next one (and by when), and every tier change."""
    return {"progress": tier_progress(database(), member_id, as_of=now()),
            "history": tier_history(database(), member_id)}


@blp.route("/members/<member_id>/tier", methods=["PUT"])
@staff_only("members.write")
@blp.doc(**AUTH)
@blp.arguments(TierAssignmentSchema())
@blp.response(200, MemberTierSchema)
def assign(body, member_id):
    """Put a member in a tier by hand, with the reason kept in their tier history; with
    ``keep_until``, no review takes it away before the first regular review after that day."""
    return assign_tier(database(), member_id, body["tier_code"], reason=body["reason"], actor=g.principal.actor,
                       now=now(), keep_until=body.get("keep_until"))


@blp.route("/rewards", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.arguments(RewardListQuerySchema(), location="query")
@blp.response(200, RewardSchema(many=True))
def rewards(query):
    """The rewards that can be redeemed now; with ``all``, every reward of the catalogue (as
    the console lists them), scheduled, ended and withdrawn ones too."""
    return list_rewards(database(), as_of=now(), withdrawn_too=query["all"])


@blp.route("/rewards", methods=["POST"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(RewardInSchema())
@blp.response(201, RewardSchema)
def add_reward(body):
    """Add a reward: points price, tier prices, stock, per-member limit, validity window."""
    body["valid_from"] = body["valid_from"] or now()
    return create_reward(database(), now=now(), **body)


@blp.route("/rewards/<reward_code>", methods=["GET"])
@staff_only("programme.read")
@blp.doc(**AUTH)
@blp.response(200, RewardSchema)
def reward(reward_code):
    """A reward, also one not (or no longer) in the catalogue."""
    return get_reward(database(), reward_code)


@blp.route("/rewards/<reward_code>", methods=["PATCH"])
@staff_only("programme.write")
@blp.doc(**AUTH)
@blp.arguments(RewardChangeSchema())
@blp.response(200, RewardSchema)
def change(body, reward_code):
    """Change a reward for the redemptions from now on: name, price, tier prices, per-member
    limit, end of validity, stock (``restock``: units added or written off). Only the fields
    sent change; issued vouchers keep what they cost."""
    return change_reward(database(), reward_code, now=now(), **body)


@blp.route("/vouchers/<voucher_code>", methods=["GET"])
@staff_only("members.read")
@blp.doc(**AUTH)
@blp.response(200, VoucherSchema)
def voucher(voucher_code):
    """A voucher and its state."""
    return get_voucher(database(), voucher_code)


@blp.route("/vouchers/<voucher_code>/cancel", methods=["POST"])
@staff_only("members.write")
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, VoucherSchema)
def cancel(_body, voucher_code):
    """Cancel an unused voucher: the member gets the points back and the stock returns."""
    return cancel_voucher(database(), CancelVoucher(voucher_code, after_its_end=True), caller=caller(),
                          idempotency_key=idempotency_key(), now=now())
