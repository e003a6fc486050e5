"""Members' own API: sign in, read their points, tier and history (each purchase explained
rule by rule), redeem rewards and manage their vouchers, manage their cards and profile,
export their data. A member only ever sees and changes their own data."""
from __future__ import annotations

from flask import g

from api.auth import BEARER_AUTH, audit_as, bearer_token, hidden_refusal, member_only
from api.context import database, now, passwords, quiet_answer
from api.idempotency import PARAMETER, caller, idempotency_key
from api.json_body import Blueprint
from api.rate_limits import limit_sign_in
from api.schemas.people import (BalanceSchema, BlockCardSchema, CardSchema, CloseOwnAccountSchema, ExportSchema,
                                MemberClosedSchema, MemberHistoryItemSchema, MemberSchema, MemberSessionSchema,
                                MemberSignInSchema, PageSchema, PasswordChangeSchema, PasswordLinkRequestSchema,
                                PasswordLinkSentSchema, PasswordLinkSetSchema, PasswordLinkUseSchema,
                                PaymentCodeRequestSchema, PaymentCodeSchema, PinSchema, ProfileUpdateSchema,
                                ReferralCardSchema, SignUpSchema)
from api.schemas.programme import (MemberRewardSchema, RedeemRewardSchema, TierProgressSchema, VoucherIssuedSchema,
                                   VoucherSchema)
from api.schemas.terminal import EmptySchema
from engine.access.member_logins import (send_password_link, set_member_password, set_member_pin,
                                         set_password_with_link, sign_in_member, sign_up_member)
from engine.access.tokens import revoke_token
from engine.cards import block_card, list_cards
from engine.ledger.balances import get_balance, get_history
from engine.member_closure import close_own_account
from engine.member_data import member_data
from engine.members import get_member, update_profile
from engine.payment_codes import IssuePaymentCode, issue_payment_code
from engine.rewards import (CancelVoucher, RedeemReward, cancel_voucher, get_voucher, list_rewards, list_vouchers,
                            password_needed_online, redeem_reward_online)
from engine.settings import get_settings
from engine.rules.referrals import referral_card
from engine.tiers.service import tier_progress

blp = Blueprint("members", __name__, url_prefix="/v1/member",
                description="For members: their own points, history, cards and profile (bearer token).")
AUTH = {"security": [BEARER_AUTH]}


@blp.route("/sessions", methods=["POST"])
@blp.arguments(MemberSignInSchema())
@blp.response(201, MemberSessionSchema)
def sign_in(body):
    """Sign in with e-mail and password; five wrong passwords lock the account for 15 minutes
    (each further five in a row for twice as long, up to a day),
    and one address gets a limited number of tries across accounts (429 with Retry-After).
    Where the programme asks for it, a device new to the member takes a code sent to their
    e-mail address as well (401 device_code_required sends it; sign in again with ``code``)."""
    limit_sign_in()
    signed_in = sign_in_member(database(), email=body["email"], password=body["password"], passwords=passwords(),
                               now=now(), device_token=body["device_token"], code=body["code"])
    audit_as(f"member:{signed_in.member_id}")
    return signed_in


@blp.route("/sign-ups", methods=["POST"])
@blp.arguments(SignUpSchema())
@blp.response(202, PasswordLinkSentSchema)
def sign_up(body):
    """Join the programme online: a link to set the password goes to the address (proving it
    is the member's); the answer is the same when the address is a member's already (that
    member gets a link). With a friend's ``referral_code``, the friend referred the new member
    (422 when no active member has the code). Counts as a sign-in attempt of the source address."""
    limit_sign_in()
    with quiet_answer():
        sign_up_member(database(), now=now(), **body)
    return {"message": "A link to set your password is on its way to this address."}


@blp.route("/password-links", methods=["POST"])
@blp.arguments(PasswordLinkRequestSchema())
@blp.response(202, PasswordLinkSentSchema)
def ask_for_password_link(body):
    """Send a link to set the password (first sign-in, forgotten password) to this address,
    if it is an active member's; the answer is the same either way. Counts as a sign-in
    attempt of the source address."""
    limit_sign_in()
    with quiet_answer():
        send_password_link(database(), body["email"], now=now())
    return {"message": "If this address is a member's, a link to set the password is on its way."}


@blp.route("/password-links/use", methods=["POST"])
@blp.arguments(PasswordLinkUseSchema())
@blp.response(200, PasswordLinkSetSchema)
def use_password_link(body):
    """Set the password with the link's secret (once, before it expires); ends every other
    session of the member. Then sign in as usual."""
    limit_sign_in()
    member_id = set_password_with_link(database(), body["link"], body["password"], passwords=passwords(),
                                       now=now())
    return {"member_id": member_id}


@blp.route("/sessions/current", methods=["DELETE"])
@member_only
@blp.doc(**AUTH)
@blp.response(204)
def sign_out():
    """End this session's token."""
    revoke_token(database(), bearer_token(), now=now())


@blp.route("/profile", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, MemberSchema)
def profile():
    """The member's profile and consents."""
    return get_member(database(), g.principal.name)


@blp.route("/profile", methods=["PATCH"])
@member_only
@blp.doc(**AUTH)
@blp.arguments(ProfileUpdateSchema())
@blp.response(200, MemberSchema)
def change_profile(changes):
    """Change name, phone, birthday or consents (nothing else can be changed here)."""
    return update_profile(database(), g.principal.name, changes, now=now())


@blp.route("/balance", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, BalanceSchema)
def balance():
    """Available, pending and reserved points, and what expires in the next 90 days."""
    return get_balance(database(), g.principal.name, as_of=now())


@blp.route("/history", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.arguments(PageSchema(), location="query")
@blp.response(200, MemberHistoryItemSchema(many=True))
def history(page):
    """Ledger transactions, newest first."""
    return get_history(database(), g.principal.name, limit=page["limit"], offset=page["offset"])


@blp.route("/cards", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, CardSchema(many=True))
def cards():
    """The member's cards."""
    return list_cards(database(), member_id=g.principal.name)


@blp.route("/cards/<number>/block", methods=["POST"])
@member_only
@blp.doc(**AUTH)
@blp.arguments(BlockCardSchema())
@blp.response(200, CardSchema)
def block(body, number):
    """Block a lost or stolen card at once (the points stay with the member)."""
    if number not in {card.number for card in list_cards(database(), member_id=g.principal.name)}:
        raise hidden_refusal("card", number)  # another member's card: as if it did not exist (audited)
    return block_card(database(), number, reason=body["reason"], now=now())


@blp.route("/password", methods=["POST"])
@member_only
@blp.doc(**AUTH)
@blp.arguments(PasswordChangeSchema())
@blp.response(204)
def change_password(body):
    """Change the password (the current one is required)."""
    set_member_password(database(), g.principal.name, body["new_password"], passwords=passwords(), now=now(),
                        current_password=body["current_password"], require_current=True, keep_token=bearer_token())


@blp.route("/pin", methods=["POST"])
@member_only
@blp.doc(**AUTH)
@blp.arguments(PinSchema())
@blp.response(204)
def change_pin(body):
    """Set the PIN typed at the till to pay with points using a UID-only card; the password
    confirms it (a session alone sets no PIN; wrong passwords count toward the sign-in
    lockout), and the member gets a ``credentials_changed`` message."""
    set_member_pin(database(), g.principal.name, body["pin"], passwords=passwords(), now=now(),
                   password=body["password"], require_password=True)


@blp.route("/account/close", methods=["POST"])
@member_only
@blp.doc(security=[BEARER_AUTH], parameters=[PARAMETER])
@blp.arguments(CloseOwnAccountSchema())
@blp.response(200, MemberClosedSchema)
def close_account(body):
    """Close your own account and erase your personal data (your password confirms it): your
    points are forfeited, your cards retired and every session ended. It cannot be undone."""
    return close_own_account(database(), g.principal.name, body["password"], passwords=passwords(),
                             idempotency_key=idempotency_key(), now=now())


@blp.route("/export", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, ExportSchema)
def export():
    """Everything the programme holds about the member, as one JSON document."""
    return member_data(database(), g.principal.name, now=now())


@blp.route("/referral", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, ReferralCardSchema)
def referral():
    """My referral code for friends who join online (made the first time it is asked for, the
    same ever after), what each of us gets with their first purchase, and my referrals so far."""
    return referral_card(database(), g.principal.name, now=now())


@blp.route("/tier", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, TierProgressSchema)
def tier():
    """My tier and what the next one needs, by when ("340 more qualifying points by 31 Dec")."""
    return tier_progress(database(), g.principal.name, as_of=now())


@blp.route("/rewards", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.response(200, MemberRewardSchema(many=True))
def rewards():
    """The rewards I can redeem now, each at my price (tier prices apply) and whether I can afford it
    (none is redeemable while my account is not active: suspended, my profile's status says so)."""
    db, member_id, as_of = database(), g.principal.name, now()
    available, settings = get_balance(db, member_id, as_of=as_of).available, get_settings(db)
    active = get_member(db, member_id).status == "active"  # what redeeming asks first (member_not_active)
    return [{**vars(r), "affordable": r.price_for_member <= available,
             "redeemable": active and r.price_for_member <= available and r.left_to_redeem(),
             "password_needed": password_needed_online(r.price_for_member, settings)}
            for r in list_rewards(db, as_of=as_of, member_id=member_id)]


@blp.route("/rewards/<reward_code>/redeem", methods=["POST"])
@member_only
@blp.doc(security=[BEARER_AUTH], parameters=[PARAMETER])
@blp.arguments(RedeemRewardSchema())
@blp.response(201, VoucherIssuedSchema)
def redeem(body, reward_code):
    """Spend my points on a reward: a voucher code comes back (once per Idempotency-Key). A
    reward above the programme's price for a session alone takes my password too."""
    command = RedeemReward(reward_code, g.principal.name, expected_points=body["expected_points"])
    return redeem_reward_online(database(), command, password=body["password"], passwords=passwords(),
                                caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/vouchers", methods=["GET"])
@member_only
@blp.doc(**AUTH)
@blp.arguments(PageSchema(), location="query")
@blp.response(200, VoucherSchema(many=True))
def vouchers(page):
    """My vouchers (used, cancelled and expired ones too), newest first, a page at a time:
    ``limit`` of them after the first ``offset``."""
    return list_vouchers(database(), g.principal.name, limit=page["limit"], offset=page["offset"])


@blp.route("/vouchers/<voucher_code>/cancel", methods=["POST"])
@member_only
@blp.doc(security=[BEARER_AUTH], parameters=[PARAMETER])
@blp.arguments(EmptySchema())
@blp.response(200, VoucherSchema)
def cancel(_body, voucher_code):
    """Cancel one of my unused vouchers: the points come back."""
    if get_voucher(database(), voucher_code).member_id != g.principal.name:
        raise hidden_refusal("voucher", voucher_code)  # another member's voucher: as if it did not exist
    return cancel_voucher(database(), CancelVoucher(voucher_code), caller=caller(),
                          idempotency_key=idempotency_key(), now=now())


@blp.route("/payment-codes", methods=["POST"])
@member_only
@blp.doc(security=[BEARER_AUTH], parameters=[PARAMETER])
@blp.arguments(PaymentCodeRequestSchema())
@blp.response(201, PaymentCodeSchema)
def new_payment_code(body):
    """A code to pay a web shop's order with my points: I type it at the shop's checkout, and
    the shop may take up to ``points`` with it, once, within 15 minutes. Asking for a new one
    withdraws the one before."""
    return issue_payment_code(database(), IssuePaymentCode(g.principal.name, body["points"]),
                              password=body["password"], passwords=passwords(), caller=caller(),
                              idempotency_key=idempotency_key(), now=now())
