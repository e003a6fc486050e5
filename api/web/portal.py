"""The member portal: sign in, see points at a glance (with the tier and how far the next one
is), history in words (each purchase explained rule by rule), redeem rewards for voucher
codes, block a lost card, change password, PIN and consents, download one's data. A
suspended member still signs in and reads, is told to contact support, and redeems nothing.

Every page but sign-in needs a signed-in member (otherwise: redirect to sign-in) and shows
only that member's data, through the same engine services as ``/v1/member``. The session
cookie holds the member's bearer token (12 h, revoked at sign-out) and the CSRF token.
"""
from __future__ import annotations

import json
import logging
import uuid
from functools import wraps

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from api.auth import audit_as
from api.context import database, now, passwords, quiet_answer
from api.rate_limits import RateLimited, limit, limit_sign_in
from api.schemas.people import ExportSchema
from api.web.pages import (error_page, field_errors, history_words, http_error_page, is_whole, money, points,
                           programme_last_day, refusal_page, sentence, unavailable_page)
from api.web.sessions import MEMBER_TOKEN, drop_token, end_session, guard_pages, safe_next, start_session
from engine.access.member_logins import (WRONG_CURRENT_PASSWORD, member_principal, send_password_link,
                                         set_member_password, set_member_pin, set_password_with_link, sign_in_member,
                                         sign_up_member)
from engine.access.passwords import MIN_PASSWORD_LENGTH
from engine.cards import block_card, list_cards
from engine.member_data import member_data
from engine.database import TRANSIENT_ERRORS
from engine.errors import (InvalidInput, InvalidState, LoyaltyError, NotAllowed, NotAuthenticated, NotFound,
                           PasswordRequired)
from engine.ledger.balances import get_balance, get_history, get_pending
from engine.member_closure import close_own_account
from engine.members import CONSENTS, get_member, update_profile
from engine.payment_codes import IssuePaymentCode, issue_payment_code
from engine.programme import ProgrammeSettings
from engine.rules.referrals import referral_card
from engine.settings import get_settings
from engine.rewards import RedeemReward, list_rewards, password_needed_online, redeem_reward_online, usable_vouchers
from engine.tiers.service import list_tiers, tier_progress
from engine.stores import list_stores

bp = Blueprint("portal", __name__, url_prefix="/portal")
log = logging.getLogger("loyalty.web")

TOKEN_KEY = MEMBER_TOKEN
HISTORY_PAGE = 20
HOME_HISTORY = 5
CONSENT_LABELS = {
    "marketing_email": ("E-mails about offers", "News and offers by e-mail."),
    "marketing_sms": ("Text messages about offers", "Offers by SMS to your phone number."),
    "profiling": ("Personal offers", "We use what you buy to choose offers that suit you."),
}
REDEEM_REFUSALS = {"insufficient_points": "you do not have enough points for it yet.",
                   "out_of_stock": "it is out of stock.",
                   "redemption_limit_reached": "you have redeemed it as often as it allows.",
                   "reward_not_available": "it is not offered at the moment.",
                   "member_not_active": "your account is suspended; please contact customer support.",
                   "password_required": "it needs your password as well: type it next to the reward.",
                   "price_changed": "its price has changed since the page was shown, and nothing was spent. "
                                    "Its price now is on the page: redeem it again if you still want it."}
PAY_ONLINE_REFUSALS = {"member_not_active": "Your account is suspended; please contact customer support.",
                       "member_closed": "Your account is closed."}
# The browser's device token (engine.access.member_devices): a device the member used before
# needs no code where the programme asks for one on a new device.
DEVICE_COOKIE, DEVICE_COOKIE_DAYS = "loyalty_device", 400
DEVICE_CODE_SENT = ("This browser is new to your account: we have sent a code to your e-mail address. "
                    "Type it below with your password.")
CARD_STATUS = {"active": "Active", "blocked": "Blocked", "issued": "Not activated yet", "retired": "No longer used"}


# -- access -----------------------------------------------------------------------------------

guard_pages(bp)


def member_required(view):
    """The view runs for a signed-in member (``g.member_id``); others go to sign-in."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            g.principal = member_principal(database(), session.get(TOKEN_KEY), now=now())
        except NotAuthenticated:
            drop_token(TOKEN_KEY)
            return redirect(url_for("portal.sign_in", next=request.full_path.rstrip("?")))
        g.member_id = g.principal.name
        limit("member", g.member_id)
        return view(*args, **kwargs)
    return wrapper


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Sign in; the browser keeps its device token (a cookie) so that, where the programme asks
    for a code on a new device, it is asked for once per browser."""
    email, error, code = request.form.get("email", ""), None, request.form.get("code", "").strip() or None
    if request.method == "POST":
        try:
            limit_sign_in()
            signed_in = sign_in_member(database(), email=email, password=request.form.get("password", ""),
                                       passwords=passwords(), now=now(),
                                       device_token=request.cookies.get(DEVICE_COOKIE), code=code)
        except NotAuthenticated as refusal:
            if refusal.code == "device_code_required":
                error, code = DEVICE_CODE_SENT, ""  # the form asks for the code
            else:
                error = sentence(refusal.message)
        except RateLimited as refusal:
            page = render_template("portal/sign_in.html", email=email, error=sentence(refusal.description))
            return page, 429, refusal.data["headers"]
        else:
            start_session(TOKEN_KEY, signed_in.token)
            audit_as(f"member:{signed_in.member_id}")
            response = redirect(safe_next(request.args.get("next"), bp.url_prefix, url_for("portal.home")))
            response.set_cookie(DEVICE_COOKIE, signed_in.device_token, max_age=DEVICE_COOKIE_DAYS * 86400,
                                path=bp.url_prefix, secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
                                samesite="Lax")
            return response
    status = 401 if error else 200
    return render_template("portal/sign_in.html", email=email, error=error, asks_code=code is not None), status


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Join the programme: name, e-mail and consents, and a friend's referral code (given in
    the form, or by the friend's link: ``?referral=CODE``); a link to set the password follows."""
    values = {k: request.form.get(k, "").strip() for k in ("full_name", "email")}
    values["referral_code"] = request.form.get("referral_code", request.args.get("referral", "")).strip()[:20]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        consents = {name: request.form.get(name) == "yes" for name in CONSENTS}
        values.update(consents)  # a form shown again keeps the boxes ticked
        try:
            limit_sign_in()
            with quiet_answer():
                sign_up_member(database(), full_name=values["full_name"], email=values["email"], consents=consents,
                               referral_code=values["referral_code"] or None, now=now())
        except InvalidInput as refusal:
            errors = field_errors(refusal)
        except RateLimited as refusal:
            errors["email"] = [sentence(refusal.description)]
        else:
            return render_template("portal/join.html", values=values, errors={}, consents=CONSENT_LABELS, sent=True)
    return render_template("portal/join.html", values=values, errors=errors, consents=CONSENT_LABELS), \
        422 if errors else 200


@bp.route("/password-link", methods=["GET", "POST"])
def password_link():
    """A link to set the password, for a first sign-in or a forgotten password."""
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        try:
            limit_sign_in()
        except RateLimited as refusal:
            page = render_template("portal/password_link.html", email=email, error=sentence(refusal.description))
            return page, 429, refusal.data["headers"]
        if email:
            with quiet_answer():
                send_password_link(database(), email, now=now())
            return render_template("portal/password_link.html", email=email, sent=True)
        return render_template("portal/password_link.html", email=email, error="Give your e-mail address."), 422
    return render_template("portal/password_link.html", email=email)


@bp.route("/set-password", methods=["GET", "POST"])
def set_password():
    """The page a password link opens: the link's secret rides in the query (request logs
    record the path only) and in the form."""
    link = request.values.get("link", "")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
        if new != again:
            errors["new_password_again"] = ["The two passwords are not the same."]
        else:
            try:
                limit_sign_in()
                set_password_with_link(database(), link, new, passwords=passwords(), now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"password": "new_password"})
            except NotAuthenticated as refusal:
                errors["link"] = [sentence(refusal.message)]
            except RateLimited as refusal:
                errors["link"] = [sentence(refusal.description)]
            else:
                flash("Your password is set: sign in with it.")
                return redirect(url_for("portal.sign_in"))
    return render_template("portal/set_password.html", link=link, errors=errors, min_length=MIN_PASSWORD_LENGTH), \
        422 if errors else 200


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    end_session()
    flash("You are signed out.")
    return redirect(url_for("portal.sign_in"))


# -- reading ----------------------------------------------------------------------------------

@bp.route("/")
@member_required
def home():
    db, member_id, as_of = database(), g.member_id, now()
    settings = get_settings(db)
    balance = get_balance(db, member_id, as_of=as_of)
    listed = list_rewards(db, as_of=as_of, member_id=member_id)
    rewards = [r for r in listed if r.left_to_redeem()]  # none offered that redeeming would refuse
    return render_template(
        "portal/home.html", member=get_member(db, member_id), balance=balance,
        pending=get_pending(db, member_id, as_of=as_of), cards=_cards(member_id),
        history=_history(member_id, limit=HOME_HISTORY, offset=0), as_of=as_of, tier=_tier(member_id, as_of, settings),
        affordable=[r for r in rewards if r.price_for_member <= balance.available],
        out_of_reach=[r for r in rewards if r.price_for_member > balance.available],
        vouchers=usable_vouchers(db, member_id, at=as_of),
        # a voucher outlives its reward's time in the catalogue: named by a withdrawn reward's name too
        reward_names={r.code: r.name for r in list_rewards(db, as_of=as_of, withdrawn_too=True)},
        referral=_referral(member_id, as_of, settings),
        password_needed={r.code for r in rewards if password_needed_online(r.price_for_member, settings)},
        web_shop=any(store.channel == "online" for store in list_stores(db)))


def _referral(member_id: str, as_of, settings: ProgrammeSettings) -> dict | None:
    """Refer a friend: the member's code, the join link that carries it, and what it pays (None
    while the programme pays no referral bonus)."""
    if not (settings.referrer_points or settings.referred_points):
        return None
    card = referral_card(database(), member_id, now=as_of)
    return {"card": card, "link": url_for("portal.join", referral=card.code, _external=True),
            "minimum": money(card.min_total_minor, settings.currency, settings.currency_exponent)
            if card.min_total_minor else None}


def _tier(member_id: str, as_of, settings: ProgrammeSettings) -> dict | None:
    """The member's tier, the next one and how far it is (None while the programme has no tiers)."""
    tiers, policy = list_tiers(database())
    if not tiers or policy is None:
        return None
    progress = tier_progress(database(), member_id, as_of=as_of)
    by_code = {t.code: t for t in tiers}
    above = by_code.get(progress.next_tier)
    share = min(100, round(100 * progress.qualifying_points / above.threshold)) if above and above.threshold else 100

    def more(amount: int | None) -> str | None:
        if amount is None:
            return None
        return (f"{points(amount)} more qualifying points" if progress.measure == "points" else
                f"{money(amount, settings.currency, settings.currency_exponent)} more in purchases")
    return {"name": by_code[progress.tier_code].name, "next": above.name if above else None,
            "needed": more(progress.needed), "by": progress.by, "share": share,
            # a threshold lowered below the member's points: the move up waits for the next
            # purchase or review, not for "0 more" points
            "reached": progress.needed == 0,
            "to_keep": more(progress.to_keep) if progress.to_keep else None, "kept": progress.to_keep == 0,
            "grace_until": progress.grace_until}


@bp.route("/rewards/<code>/redeem", methods=["POST"])
@member_required
def redeem(code: str):
    """Spend points on a reward; the voucher code is shown at once and kept under "My vouchers".
    The form's one-time key makes a double click redeem once. A reward above the programme's
    price for a session alone takes the password too (a wrong one counts toward the lockout)."""
    form_key = request.form.get("form_key", "")
    if not form_key:  # a page from before the one-time keys, or a hand-made post
        flash("That reward could not be redeemed: the page was out of date. Please try again.")
        return redirect(url_for("portal.home"))
    password = request.form.get("password") or None  # a field only next to a reward above the price
    try:  # the price the page showed: a price changed since is refused rather than charged
        expected = int(request.form["expected_points"]) if request.form.get("expected_points") else None
    except ValueError:
        expected = -1  # a hand-made price matches none
    try:
        issued = redeem_reward_online(database(), RedeemReward(code, g.member_id, expected_points=expected),
                                      password=password, passwords=passwords(), caller=f"member:{g.member_id}",
                                      idempotency_key=form_key, now=now())
    except (InvalidState, InvalidInput, PasswordRequired) as refusal:  # out of stock, too few points, limit reached,
        # no password or a wrong one (its problem names the password field: "wrong password", "too many wrong ...")
        flash(f"That reward could not be redeemed: {REDEEM_REFUSALS.get(refusal.code, sentence(refusal.message))}")
    else:
        until = "" if issued.expires_at is None else f" through {programme_last_day(issued.expires_at)}"
        flash(f"Your voucher code is {issued.voucher_code}. Show it at the till{until}; it is also under My vouchers.")
    return redirect(url_for("portal.home"))


@bp.route("/pay-online", methods=["GET", "POST"])
@member_required
def pay_online():
    """A payment code to pay a web shop's order with points: typed at the shop's checkout, good
    for one payment of up to the points chosen, for 15 minutes. Shown on this answer only
    (never in the session cookie); asking again withdraws the one before."""
    db = database()
    settings = get_settings(db)
    errors: dict[str, list[str]] = {}
    issued = None
    if request.method == "POST":
        try:
            wanted = int(request.form.get("points", ""))
        except ValueError:
            errors["points"] = ["Type a whole number of points."]
        else:
            try:
                issued = issue_payment_code(db, IssuePaymentCode(g.member_id, wanted),
                                            password=request.form.get("password") or None, passwords=passwords(),
                                            caller=f"member:{g.member_id}",
                                            idempotency_key=request.form.get("form_key") or uuid.uuid4().hex,
                                            now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal)
            except PasswordRequired:
                errors["password"] = [f"More than {points(settings.online_redeem_password_above)} points need "
                                      "your password as well."]
            except InvalidState as refusal:
                errors["points"] = [PAY_ONLINE_REFUSALS.get(refusal.code, sentence(refusal.message))]
    # the balance is shown beside the form only, not beside a new code
    available = None if issued else get_balance(db, g.member_id, as_of=now()).available
    return render_template("portal/pay_online.html", errors=errors, issued=issued, available=available,
                           password_above=settings.online_redeem_password_above,
                           wanted=request.form.get("points", "")), 422 if errors else 200


@bp.route("/history")
@member_required
def history():
    page = request.args.get("page", "1")
    page = int(page) if is_whole(page) and 0 < int(page) < 10**6 else 1
    lines = _history(g.member_id, limit=HISTORY_PAGE + 1, offset=(page - 1) * HISTORY_PAGE)
    return render_template("portal/history.html", member=get_member(database(), g.member_id),
                           lines=lines[:HISTORY_PAGE], page=page, more=len(lines) > HISTORY_PAGE)


@bp.route("/my-data.json")
@member_required
def download():
    """Everything the programme holds about the member: the same document as ``GET /v1/member/export``."""
    document = ExportSchema().dump(member_data(database(), g.member_id, now=now()))
    return Response(json.dumps(document, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="my-loyalty-data-{g.member_id}.json"'})


def _history(member_id: str, *, limit: int, offset: int) -> list[dict]:
    items = get_history(database(), member_id, limit=limit, offset=offset)
    names = {store.code: store.name for store in list_stores(database())} if items else {}
    rewards = {r.code: r.name for r in list_rewards(database(), as_of=now(), withdrawn_too=True)} \
        if any(item.kind == "capture" for item in items) else {}
    return [{"when": item.occurred_at, "words": history_words(item, names, rewards), "points": item.points,
             "rules": item.rules if len(item.rules) > 1 else ()} for item in items]


def _cards(member_id: str) -> list:
    return [card for card in list_cards(database(), member_id=member_id) if card.status != "retired"]


def _own_card(number: str):
    """The signed-in member's card ``number``; another member's card is as if it did not exist."""
    for card in list_cards(database(), member_id=g.member_id):
        if card.number == number:
            return card
    raise NotFound("unknown card", code="unknown_card")


# -- changing ---------------------------------------------------------------------------------

@bp.route("/cards/<number>/lost", methods=["GET", "POST"])
@member_required
def card_lost(number: str):
    card = _own_card(number)
    if card.status != "active":
        flash(f"The card ending {card.number[-4:]} is {CARD_STATUS.get(card.status, card.status).lower()}; "
              "there is nothing to block.")
        return redirect(url_for("portal.home"))
    if request.method == "POST":
        block_card(database(), card.number, reason="lost", now=now())
        flash(f"The card ending {card.number[-4:]} is blocked. Nobody can collect or spend points with it; "
              "your points are safe.")
        return redirect(url_for("portal.home"))
    return render_template("portal/card_lost.html", card=card)


@bp.route("/password", methods=["GET", "POST"])
@member_required
def password():
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
        if new != again:
            errors["new_password_again"] = ["The two new passwords are not the same."]
        else:
            try:
                set_member_password(database(), g.member_id, new, passwords=passwords(), now=now(),
                                    current_password=request.form.get("current_password", ""),
                                    require_current=True, keep_token=session.get(TOKEN_KEY))
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"password": "new_password"})
                if errors.get("current_password") == [sentence(WRONG_CURRENT_PASSWORD)]:
                    errors["current_password"] = ["This is not your current password."]
            else:
                flash("Your password is changed.")
                return redirect(url_for("portal.account"))
    return render_template("portal/password.html", errors=errors, min_length=MIN_PASSWORD_LENGTH), \
        422 if errors else 200


@bp.route("/pin", methods=["GET", "POST"])
@member_required
def pin():
    """The PIN typed at the till to pay with points using a card that only has a number (UID)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        new, again = request.form.get("pin", ""), request.form.get("pin_again", "")
        if new != again:
            errors["pin_again"] = ["The two PINs are not the same."]
        else:
            try:
                set_member_pin(database(), g.member_id, new, passwords=passwords(), now=now(),
                               password=request.form.get("password", ""), require_password=True)
            except InvalidInput as refusal:
                errors = field_errors(refusal)
            else:
                flash("Your PIN is set. Use it at the till to pay with points.")
                return redirect(url_for("portal.account"))
    return render_template("portal/pin.html", errors=errors), 422 if errors else 200


@bp.route("/account", methods=["GET", "POST"])
@member_required
def account():
    if request.method == "POST":
        chosen = {name: request.form.get(name) == "yes" for name in CONSENTS}
        update_profile(database(), g.member_id, {"consents": chosen}, now=now())
        flash("Your choices are saved.")
        return redirect(url_for("portal.account"))
    return render_template("portal/account.html", member=get_member(database(), g.member_id),
                           consents=CONSENT_LABELS)


@bp.route("/account/close", methods=["GET", "POST"])
@member_required
def close_account():
    """The member closes their own account, with their password and a ticked box."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            errors["confirm"] = ["Tick the box if you want to close your account."]
        else:
            try:
                close_own_account(database(), g.member_id, request.form.get("password", ""), passwords=passwords(),
                                  idempotency_key=request.form.get("form_key") or uuid.uuid4().hex, now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal)
            else:
                end_session()
                flash("Your account is closed and your personal data erased. Thank you for having been a member.")
                return redirect(url_for("portal.sign_in"))
    balance = get_balance(database(), g.member_id, as_of=now())
    return render_template("portal/close.html", errors=errors, balance=balance.balance), 422 if errors else 200


# -- errors -----------------------------------------------------------------------------------

@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return http_error_page(error, site="portal")


@bp.errorhandler(LoyaltyError)
def refused(error: LoyaltyError):
    if isinstance(error, NotAuthenticated):
        drop_token(TOKEN_KEY)
        return redirect(url_for("portal.sign_in"))
    if isinstance(error, (NotFound, NotAllowed)):
        return error_page(404)
    return refusal_page(error, site="portal")


for _transient in TRANSIENT_ERRORS:
    bp.register_error_handler(_transient, lambda error: unavailable_page("portal"))


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    log.exception("unhandled error in the member portal", extra={"request_id": g.get("request_id")})
    return error_page(500)


@bp.app_context_processor
def portal_globals():
    return {"card_status": CARD_STATUS, "one_time_key": lambda: uuid.uuid4().hex}
