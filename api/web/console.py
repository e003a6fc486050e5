"""The marketer console: staff sign in and run the programme in a browser.

Pages: a dashboard of charts from the ledger; earning rules (a form instead of JSON,
validation problems next to their fields, simulation of a sample basket against published
rules and drafts, publishing, rollback, retirement); campaigns; tiers and rewards; member
lookup with balance, tier, attributes and ledger (support suspends an account while fraud is
looked into, and reinstates it); adjustment requests and their approval by a second
person; the fraud checks; the programme settings (admins change them); webhook endpoints
and their deliveries (admins; a new endpoint's secret is shown once); the stores, their
terminals (tills, and web shops' backends) and the terminals' signing keys (admins; a new
key's secret is shown once); each staff member's two-step sign-in. Every page and every
form checks the same permission as the JSON API (``engine.access.principals``), every
request is audited like an API call, and every form carries the CSRF token. Forms that
move points carry a one-time key, so a double submit moves them once.
"""
from __future__ import annotations

import io
import logging
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import wraps
from zoneinfo import ZoneInfo

import segno
from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template, request, session,
                   stream_with_context, url_for)
from werkzeug.exceptions import BadRequest, HTTPException

from api.auth import audit_as
from api.context import database, now, passwords
from api.errors import status_for
from api.rate_limits import RateLimited, limit, limit_sign_in
from api.web.pages import (error_page, field_errors, http_error_page, is_whole, programme_zone, refusal_page, sentence,
                           unavailable_page)
from api.web import settings_form
from api.web.sessions import STAFF_TOKEN, drop_token, end_session, guard_pages, safe_next, start_session
from api.web.rule_form import (DAYS, EFFECT_LABELS, LIMITS, LIST_FIELDS, definition_from_form, describe,
                               empty_form, form_from_definition, place_problems, read_only_reason,
                               unsupported_conditions)
from engine import cards, reports, webhooks
from engine.access.authenticators import (authenticator_status, confirm_enrolment, renew_recovery_codes,
                                          start_enrolment)
from engine.access.member_logins import invite_member
from engine.access.principals import require_permission
from engine.access.staff import sign_in_staff, staff_principal
from engine.access.terminal_keys import issue_terminal_key, list_terminal_keys, revoke_terminal_key
from engine.audiences import audience_csv, segment_audience
from engine.audit import list_audit
from engine.database import TRANSIENT_ERRORS
from engine.errors import (Conflict, InvalidInput, InvalidState, LoyaltyError, NotAllowed, NotAuthenticated,
                           NotFound, Problem)
from engine.ledger.approvals import DecideAdjustment, decide_adjustment, list_adjustment_requests, request_adjustment
from engine.ledger.balances import get_balance, get_history
from engine.ledger.basket import CHANNELS, Basket, BasketLine
from engine.ledger.commands import AdjustPoints
from engine.member_closure import CloseMember, close_member
from engine.member_import import members_csv_text, write_mapping
from engine.member_suspension import ReinstateMember, SuspendMember, reinstate_member, suspend_member
from engine.member_import_requests import (AskToImport, DecideImport, ask_to_import, decide_import, imported_members,
                                           list_import_requests)
from engine.instants import RANGE_TEXT
from engine.members import find_members, get_member
from engine.points_grants import DecideGrant, GrantPoints, credit_grant, decide_grant, list_grants, request_grant
from engine.programme import end_of_day, last_day_before
from engine.rewards import (CancelVoucher, cancel_voucher, change_reward, create_reward, get_reward, get_voucher,
                            list_rewards, list_vouchers, usable_vouchers)
from engine.rules import campaigns, segments, versions
from engine.rules.backtest import backtest
from engine.rules.calculator import simulate
from engine.rules.facts import MemberFacts
from engine.rules.lift import campaign_lift
from engine.rules.referrals import record_referral, referral_facts
from engine.settings import get_settings, update_settings_from_text
from engine.stores import create_store, create_terminal, list_stores, list_terminals, retire_terminal
from engine.tiers.policy import TIER_REVIEWS, TIER_WINDOWS, TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, list_tiers, tier_history, tier_progress

bp = Blueprint("console", __name__, url_prefix="/console")
log = logging.getLogger("loyalty.web")

TOKEN_KEY = STAFF_TOKEN
SAMPLE_LINES = 5
SECTIONS = (("console.dashboard", "Dashboard", "reports.read"), ("console.liability", "Liability", "reports.read"),
            ("console.rules", "Rules", "programme.read"),
            ("console.simulator", "Simulate", "programme.read"), ("console.campaign_list", "Campaigns", "programme.read"),
            ("console.segment_list", "Segments", "programme.read"), ("console.tiers", "Tiers", "programme.read"),
            ("console.programme", "Rewards", "programme.read"), ("console.members", "Members", "members.read"),
            ("console.adjustments", "Approvals", "adjustments.approve"),
            ("console.grants", "Grants", "adjustments.request"), ("console.imports", "Imports", "adjustments.request"),
            ("console.checks", "Checks", "audit.read"),
            ("console.settings", "Settings", "programme.read"),
            ("console.store_list", "Stores", "terminals.write"),
            ("console.webhook_list", "Webhooks", "webhooks.write"),
            ("console.audit", "Audit log", "audit.read"))


# -- access -----------------------------------------------------------------------------------

guard_pages(bp)


def staff_page(permission: str | None):
    """The view runs for signed-in staff holding ``permission`` (None: any signed-in staff;
    others: sign-in, or a refusal page); ``g.principal`` is set, so the request is audited
    like an API call."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                g.principal = staff_principal(database(), session.get(TOKEN_KEY), now=now())
            except NotAuthenticated:
                drop_token(TOKEN_KEY)
                return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
            limit("staff", g.principal.name)
            if permission is not None and g.principal.two_step_missing:
                flash("The programme asks every staff member to sign in in two steps: set up an authenticator "
                      "app first, with the set-up code an admin gives you.")
                return redirect(url_for("console.authenticator"))
            if permission is not None:
                require_permission(g.principal, permission)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def may(permission: str) -> bool:
    principal = g.get("principal")
    return principal is not None and permission in principal.permissions


def one_time_key() -> str:
    """A key for a form that moves points: the same submitted form moves them once."""
    return uuid.uuid4().hex


@bp.app_context_processor
def console_helpers():
    return {"may": may, "sections": SECTIONS, "one_time_key": one_time_key, "read_only_reason": read_only_reason}


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    username, error = request.form.get("username", ""), None
    if request.method == "POST":
        try:
            limit_sign_in()
            signed_in = sign_in_staff(database(), username=username, password=request.form.get("password", ""),
                                      passwords=passwords(), now=now(), code=request.form.get("code") or None)
        except NotAuthenticated as refusal:
            error = sentence(refusal.message)
        except RateLimited as refusal:
            page = render_template("console/sign_in.html", username=username, error=sentence(refusal.description))
            return page, 429, refusal.data["headers"]
        else:
            start_session(TOKEN_KEY, signed_in.token)
            audit_as(signed_in.principal.actor)
            return redirect(safe_next(request.args.get("next"), bp.url_prefix, url_for("console.home")))
    return render_template("console/sign_in.html", username=username, error=error), 401 if error else 200


@bp.route("/authenticator")
@staff_page(None)
def authenticator():
    """My two-step sign-in: whether an authenticator app is set up, or the one being set up."""
    return _authenticator_page(authenticator_status(database(), g.principal.name))


@bp.route("/authenticator/start", methods=["POST"])
@staff_page(None)
def authenticator_start():
    try:
        start_enrolment(database(), g.principal.name, now=now(), setup_code=request.form.get("setup_code") or None)
    except NotAllowed:  # where two steps are required: the admin's set-up code
        errors = {"setup_code": ["Is not a set-up code an admin made for you (each works once, for a day)."]}
        return _authenticator_page(authenticator_status(database(), g.principal.name), errors), 403
    return redirect(url_for("console.authenticator"))


@bp.route("/authenticator/confirm", methods=["POST"])
@staff_page(None)
def authenticator_confirm():
    try:
        recovery_codes = confirm_enrolment(database(), g.principal.name, request.form.get("code", "").strip(),
                                           now=now())
    except InvalidInput as refusal:
        return _authenticator_page(authenticator_status(database(), g.principal.name), field_errors(refusal)), 422
    return render_template("console/recovery_codes.html", recovery_codes=recovery_codes)


@bp.route("/authenticator/recovery-codes", methods=["POST"])
@staff_page(None)
def authenticator_recovery_codes():
    """Ten new recovery codes for a code the authenticator shows now (the old ones are void)."""
    try:
        recovery_codes = renew_recovery_codes(database(), g.principal.name, request.form.get("code", "").strip(),
                                              passwords=passwords(), now=now())
    except InvalidInput as refusal:
        return _authenticator_page(authenticator_status(database(), g.principal.name), field_errors(refusal)), 422
    return render_template("console/recovery_codes.html", recovery_codes=recovery_codes, renewed=True)


def _authenticator_page(status, errors=None):
    qr = None if status.waiting is None else segno.make_qr(status.waiting.uri).svg_inline(
        scale=5, title="QR code of the authenticator's secret")
    return render_template("console/authenticator.html", status=status, qr=qr, errors=errors or {},
                           setup_code_needed=get_settings(database()).staff_two_step_required)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    end_session()
    flash("You are signed out.")
    return redirect(url_for("console.sign_in"))


@bp.route("/")
@staff_page("members.read")
def home():
    return redirect(url_for("console.dashboard" if may("reports.read") else "console.members"))


# -- dashboard --------------------------------------------------------------------------------

@bp.route("/dashboard")
@staff_page("reports.read")
def dashboard():
    board = reports.dashboard(database(), as_of=now(), days=30)
    tiers, _ = list_tiers(database())
    names = {tier.code: tier.name for tier in tiers} | {reports.NO_TIER: "No tier"}
    charts = {
        "flows": {"labels": [f.day.isoformat() for f in board.flows],
                  "issued": [f.issued for f in board.flows], "redeemed": [f.redeemed for f in board.flows],
                  "expired": [f.expired for f in board.flows], "adjusted": [f.adjusted for f in board.flows]},
        "tiers": {"labels": [names.get(code, code) for code, _ in board.tiers], "values": [n for _, n in board.tiers]},
        "rules": {"labels": [key for key, _ in board.top_rules], "values": [n for _, n in board.top_rules]},
        "campaigns": {"labels": [c.name for c in board.campaigns if c.budget],
                      "used": [c.budget_used for c in board.campaigns if c.budget],
                      "left": [c.budget - c.budget_used for c in board.campaigns if c.budget]},
    }
    return render_template("console/dashboard.html", board=board, charts=charts, tier_names=names,
                           settings=get_settings(database()),
                           reward_names={r.code: r.name for r in list_rewards(database(), as_of=now(), withdrawn_too=True)})


@bp.route("/liability")
@staff_page("reports.read")
def liability():
    """For finance: the points owed month by month (a page of its own: it reads the whole
    ledger, which takes seconds for a programme of a million members)."""
    return render_template("console/liability.html", settings=get_settings(database()),
                           statement=reports.liability_statement(database(), as_of=now(), months=12),
                           vouchers=reports.vouchers_outstanding(database(), as_of=now()))


@bp.route("/checks")
@staff_page("audit.read")
def checks():
    """The fraud checks: members earning on many sales at one till on one day, cards earning
    on many of one cashier's sales or on the cashier's own, each cashier's returns and
    payments with points."""
    values = {k: request.args.get(k, default).strip() for k, default in (("days", "7"), ("min_sales", "10"))}
    errors: dict[str, list[str]] = {}
    for field, low, high in (("days", 1, 92), ("min_sales", 2, 10_000)):
        if not (is_whole(values[field]) and low <= int(values[field]) <= high):
            errors[field] = [f"Must be a whole number from {low} to {high:,}."]
    query = {} if errors else dict(as_of=now(), days=int(values["days"]), min_sales=int(values["min_sales"]))
    return render_template("console/checks.html", values=values, errors=errors,
                           found=reports.frequent_earners(database(), **query) if query else [],
                           cashiers=reports.cashier_cards(database(), **query) if query else [],
                           refunds=reports.cashier_refunds(database(), as_of=query["as_of"], days=query["days"])
                           if query else [],
                           payments=reports.cashier_payments(database(), as_of=query["as_of"], days=query["days"])
                           if query else [], settings=get_settings(database())), \
        422 if errors else 200


AUDIT_PAGE = 50
LEDGER_PAGE = 50  # a member's postings on one page of their console page


@bp.route("/audit")
@staff_page("audit.read")
def audit():
    """The audit log, newest first, a page at a time, optionally one actor's, the actions that
    begin as asked, or the requests about one member, card or rule."""
    values = {k: request.args.get(k, "").strip() for k in ("actor", "action", "target", "page")}
    page = _page_number(values["page"])
    entries = list_audit(database(), actor=values["actor"] or None, action=values["action"] or None,
                         target=values["target"] or None, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
    return render_template("console/audit.html", values=values, entries=entries[:AUDIT_PAGE], page=page,
                           more=len(entries) > AUDIT_PAGE)


def _page_number(text: str) -> int:
    """A list's page asked for in the address (the first for anything else)."""
    return int(text) if is_whole(text) and 0 < int(text) <= 10_000 else 1


# -- rules ------------------------------------------------------------------------------------

def _rules_by_key() -> dict[str, list]:
    by_key: dict[str, list] = {}
    for version in versions.list_versions(database()):
        by_key.setdefault(version.rule_key, []).append(version)
    return by_key


def _draft_keys() -> list[str]:
    """The keys of the rules that have a draft, for the pages that try drafts."""
    return sorted(key for key, found in _rules_by_key().items() if any(v.status == "draft" for v in found))


@bp.route("/rules")
@staff_page("programme.read")
def rules():
    summary = []
    for key, found in sorted(_rules_by_key().items()):
        current = next((v for v in reversed(found) if v.status == "published"), None)
        draft = next((v for v in found if v.status == "draft"), None)
        latest = draft or current or found[-1]
        summary.append({"key": key, "name": latest.definition.get("name", key), "current": current, "draft": draft,
                        "status": latest.status})
    return render_template("console/rules.html", rules=summary)


def _rule_form_page(form, *, key: str | None, status: int = 200):
    options = [("", "None")] + [(c.code, f"{c.name} ({c.code})") for c in campaigns.list_campaigns(database())]
    return render_template("console/rule_form.html", form=form, key=key, list_fields=LIST_FIELDS, days=DAYS,
                           channels=CHANNELS, limits=LIMITS, effect_labels=EFFECT_LABELS, campaign_options=options,
                           currency=get_settings(database()).currency), status


def _save_draft(key: str | None):
    exponent = get_settings(database()).currency_exponent
    definition, errors, sources = definition_from_form(request.form, exponent=exponent)
    if key is not None:
        definition["key"] = key  # the key of an existing rule does not change
    problems = versions.validate_definition(definition)
    placed = place_problems(problems, sources)
    for name, messages in errors.items():  # a field that is not even a number: say that, not what followed
        placed[name] = messages
    if placed:
        return _refused_rule_form(key, placed, 422)
    try:
        saved = versions.create_draft(database(), definition, now=now(), actor=g.principal.actor,
                                      new_rule=key is None)
    except Conflict as refusal:
        if refusal.code != "duplicate_rule":  # saved by another request at the same moment: the refusal page
            raise
        placed, status = {"key": [sentence(refusal.message)]}, status_for(refusal)  # nothing saved
    else:
        flash(f"Draft {saved.version} of “{definition['name']}” is saved. Simulate it, then publish it.")
        return redirect(url_for("console.rule", key=saved.rule_key))
    return _refused_rule_form(key, placed, status)


def _refused_rule_form(key: str | None, placed: dict[str, list[str]], status: int):
    """The rule form again, as it was sent, with the problems at their fields."""
    form = empty_form()
    form.values = {name: (request.form.getlist(name) if name in ("cond_channel", "cond_days")
                          else request.form.get(name, "")) for name in request.form.keys()}
    if key is not None:
        form.values["key"] = key
    form.errors = placed
    return _rule_form_page(form, key=key, status=status)


@bp.route("/rules/new", methods=["GET", "POST"])
@staff_page("programme.read")
def rule_new():
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        return _save_draft(None)
    return _rule_form_page(empty_form(), key=None)


@bp.route("/rules/<key>/edit", methods=["GET", "POST"])
@staff_page("programme.read")
def rule_edit(key: str):
    found = _rules_by_key().get(key)
    if not found:
        raise NotFound(f"unknown rule {key}")
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        return _save_draft(key)
    latest = next((v for v in found if v.status == "draft"), found[-1])
    exponent = get_settings(database()).currency_exponent
    unsupported = unsupported_conditions(latest.definition, exponent=exponent)
    if unsupported:
        flash(read_only_reason(unsupported))
        return redirect(url_for("console.rule", key=key))
    return _rule_form_page(form_from_definition(latest.definition, exponent=exponent), key=key)


@bp.route("/rules/<key>")
@staff_page("programme.read")
def rule(key: str):
    found = _rules_by_key().get(key)
    if not found:
        raise NotFound(f"unknown rule {key}")
    draft = next((v for v in found if v.status == "draft"), None)
    current = next((v for v in reversed(found) if v.status == "published"), None)
    latest = draft or current or found[-1]
    settings = get_settings(database())
    return render_template("console/rule.html", key=key, versions=list(reversed(found)), draft=draft,
                           current=current, latest=latest,
                           unsupported=unsupported_conditions(latest.definition, exponent=settings.currency_exponent),
                           describe=lambda d: describe(d, exponent=settings.currency_exponent,
                                                       currency=settings.currency))


@bp.route("/rules/<key>/publish", methods=["POST"])
@staff_page("programme.write")
def rule_publish(key: str):
    [published] = versions.publish_rules(database(), [key], now=now(), actor=g.principal.actor)
    flash(f"Version {published.version} of {key} is published: sales from now on earn by it.")
    return redirect(url_for("console.rule", key=key))


@bp.route("/rules/<key>/retire", methods=["POST"])
@staff_page("programme.write")
def rule_retire(key: str):
    versions.retire_rule(database(), key, now=now())
    flash(f"{key} is retired: sales from now on no longer earn by it.")
    return redirect(url_for("console.rule", key=key))


@bp.route("/rules/<key>/rollback", methods=["POST"])
@staff_page("programme.write")
def rule_rollback(key: str):
    version = request.form.get("version", "")
    if not is_whole(version):
        raise InvalidInput([Problem("version", "choose a version")])
    restored = versions.rollback_rule(database(), key, int(version), now=now(), actor=g.principal.actor)
    draft = next((v for v in versions.list_versions(database(), key) if v.status == "draft"), None)
    flash(f"Version {version} of {key} is back in force as version {restored.version}."
          + ("" if draft is None else f" Draft {draft.version} is kept: publishing it replaces this version."))
    return redirect(url_for("console.rule", key=key))


# -- simulation -------------------------------------------------------------------------------

@bp.route("/simulate", methods=["GET", "POST"])
@staff_page("programme.read")
def simulator():
    stores = list_stores(database())
    drafts = _draft_keys()
    tiers, _ = list_tiers(database())
    settings = get_settings(database())
    values = {"store_code": stores[0].code if stores else "", "member": "hypothetical", "tier": "",
              "when": "", "draft_keys": request.args.getlist("draft")}
    errors: dict[str, list[str]] = {}
    results = None
    lines = [{"sku": "", "category": "", "brand": "", "quantity": "1", "amount": ""} for _ in range(SAMPLE_LINES)]
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in ("store_code", "member", "member_id", "tier",
                                                                    "when")})
        values["draft_keys"] = request.form.getlist("draft_keys")
        lines = [{field: request.form.get(f"line{n}_{field}", "").strip()
                  for field in ("sku", "category", "brand", "quantity", "amount")} for n in range(SAMPLE_LINES)]
        basket, errors = _sample_basket(values, lines, stores, settings)
        if not errors:
            member_kw = ({"member_id": values.get("member_id", "").upper()} if values["member"] == "member"
                         else {"member": MemberFacts(tier_code=values["tier"] or None)})
            try:
                published = simulate(database(), basket, now=now(), **member_kw)
                with_drafts = simulate(database(), basket, now=now(), draft_keys=tuple(values["draft_keys"]),
                                       **member_kw) if values["draft_keys"] else None
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"draft_keys": "draft_keys", "member": "member_id"})
            except NotFound as refusal:
                errors = {"member_id": [sentence(refusal.message)]}
            else:
                results = {"published": published, "drafts": with_drafts, "basket": basket}
    return render_template("console/simulate.html", store_options=[(s.code, s.name) for s in stores], drafts=drafts,
                           tier_options=[("", "No tier")] + [(t.code, t.name) for t in tiers], values=values,
                           lines=lines, errors=errors, results=results, currency=settings.currency), \
        422 if errors else 200


@bp.route("/backtest", methods=["GET", "POST"])
@staff_page("programme.read")
def backtest_page():
    """Drafts tried on the sales of the last days: what those sales earned and what the drafts
    would have given them, per rule; nothing is posted."""
    drafts = _draft_keys()
    values = {"days": request.form.get("days", "30").strip(),
              "draft_keys": request.form.getlist("draft_keys") or request.args.getlist("draft")}
    errors: dict[str, list[str]] = {}
    result = None
    if request.method == "POST":
        if not (is_whole(values["days"]) and 1 <= int(values["days"]) <= 92):
            errors["days"] = ["Must be a whole number of days from 1 to 92."]
        else:
            until = now()
            try:
                result = backtest(database(), since=until - timedelta(days=int(values["days"])), until=until,
                                  draft_keys=tuple(values["draft_keys"]))
            except InvalidInput as refusal:
                errors = field_errors(refusal)
    return render_template("console/backtest.html", drafts=drafts, values=values, errors=errors, result=result), \
        422 if errors else 200


def _sample_basket(values: dict, lines: list[dict], stores, settings) -> tuple[Basket | None, dict]:
    errors: dict[str, list[str]] = {}
    store = next((s for s in stores if s.code == values["store_code"]), None)
    if store is None:
        errors["store_code"] = ["Choose a store."]
    when = now()
    if values["when"]:
        try:
            local = datetime.fromisoformat(values["when"])
            when = local.replace(tzinfo=ZoneInfo(store.timezone)) if store and local.tzinfo is None else local
        except ValueError:
            errors["when"] = ["Give a date and time, such as 2026-12-05T10:30."]
    basket_lines = []
    for n, line in enumerate(lines):
        if not (line["sku"] or line["amount"]):
            continue
        try:
            quantity = Decimal(line["quantity"] or "1")
            amount = Decimal(line["amount"]).scaleb(settings.currency_exponent)
            if not (amount.is_finite() and quantity.is_finite()) or amount != amount.to_integral() or quantity <= 0:
                raise InvalidOperation
        except ArithmeticError:  # InvalidOperation, or 9e999999 overflowing as cents
            errors[f"line{n}"] = [f"Line {n + 1}: give a quantity above 0 and an amount such as 4.50."]
            continue
        basket_lines.append(BasketLine(len(basket_lines) + 1, line["sku"] or f"ITEM-{n + 1}", quantity, int(amount),
                                       category=line["category"] or None, brand=line["brand"] or None))
    if not basket_lines and not errors:
        errors["line0"] = ["Type at least one line: what was bought and what it cost."]
    if errors:
        return None, errors
    return Basket(store.code, "console", "SIMULATION", when, settings.currency, tuple(basket_lines)), errors


# -- campaigns, tiers, rewards ----------------------------------------------------------------

@bp.route("/campaigns", methods=["GET", "POST"])
@staff_page("programme.read")
def campaign_list():
    values, errors = {"holdout": "0"}, {}
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        values = {k: request.form.get(k, "").strip() for k in ("code", "name", "starts", "ends", "budget",
                                                                "member_cap", "segment", "holdout")}
        errors = {}
        parsed = {}
        for field, read in (("starts", _instant), ("ends", _end_instant)):
            try:
                parsed[field] = read(values[field])
            except ValueError as problem:
                errors[field] = [date_problem(problem)]
        budget, member_cap = values["budget"], values["member_cap"]
        for field in ("budget", "member_cap"):
            if values[field] and not is_whole(values[field]):
                errors[field] = ["Must be a whole number of points."]
        try:
            share = Decimal(values["holdout"] or "0") / 100
            # the engine's fraction (4 decimals, below 1) said as the percentage the form takes
            if not (share.is_finite() and 0 <= share < 1 and share == share.quantize(Decimal("0.0001"))):
                raise InvalidOperation
        except InvalidOperation:
            errors["holdout"] = ["Must be a percentage from 0 to below 100 with at most two decimals, such as 10."]
        if not errors:
            try:
                campaigns.create_campaign(database(), code=values["code"], name=values["name"],
                                          starts_at=parsed["starts"], ends_at=parsed["ends"],
                                          budget=int(budget) if budget else None, segment_code=values["segment"] or None,
                                          holdout_share=share, member_cap=int(member_cap) if member_cap else None,
                                          now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"starts_at": "starts", "ends_at": "ends",
                                                       "segment_code": "segment", "holdout_share": "holdout"})
            else:
                flash(f"Campaign {values['code']} is created. Give rules this campaign to count against its budget.")
                return redirect(url_for("console.campaign_list"))
    return render_template("console/campaigns.html", campaigns=campaigns.list_campaigns(database()), values=values,
                           errors=errors, now=now()), 422 if errors else 200


@bp.route("/campaigns/<code>", methods=["GET", "POST"])
@staff_page("programme.read")
def campaign_page(code: str):
    campaign = campaigns.get_campaign(database(), code)
    shown = {"name": campaign.name, "ends": _end_text(campaign.ends_at),
             "budget": "" if campaign.budget is None else str(campaign.budget),
             "member_cap": "" if campaign.member_cap is None else str(campaign.member_cap)}
    values, errors = dict(shown), {}
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        values = {k: request.form.get(k, "").strip() for k in shown}
        # only what differs from the campaign is a change (a date shown for an end is not
        # to move an end at another hour of that day)
        change: dict = {}
        if values["name"] != shown["name"]:
            change["name"] = values["name"]
        if values["ends"] != shown["ends"]:
            try:
                change["ends_at"] = _end_instant(values["ends"])
            except ValueError as problem:
                errors["ends"] = [date_problem(problem)]
        for field in ("budget", "member_cap"):
            if values[field] != shown[field]:
                if is_whole(values[field]):
                    change[field] = int(values[field])
                else:
                    errors[field] = ["Must be a whole number of points."]
        if not errors:
            try:
                changed = campaigns.change_campaign(database(), code, now=now(), **change)
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"ends_at": "ends", "campaign": "name"})
            else:
                flash(f"Campaign {changed.code} is changed.")
                return redirect(url_for("console.campaign_list"))
    lift = campaign_lift(database(), code, as_of=now()) if may("reports.read") and campaign.starts_at <= now() else None
    return render_template("console/campaign.html", campaign=campaign, values=values, errors=errors, lift=lift,
                           now=now()), 422 if errors else 200


def _end_text(instant: datetime) -> str:
    """An end as the forms take it (``_end_instant``): the last day alone for an end at
    midnight, programme time (the end of that day), else the instant."""
    local = instant.astimezone(programme_zone())
    return last_day_before(instant, programme_zone()).isoformat() if local.time() == datetime.min.time() \
        else instant.isoformat()


ATTRIBUTE_ROWS = 3  # empty rows on a form, for conditions to add
MAX_ATTRIBUTE_ROWS = 100


@bp.route("/segments", methods=["GET", "POST"])
@staff_page("programme.read")
def segment_list():
    """Segments with their size now; a new one from a predicate (tiers, attribute values) or
    from a list of member ids."""
    tiers = list_tiers(database())[0]
    values: dict = {"kind": "predicate"}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        values = {k: request.form.get(k, "").strip() for k in ("code", "kind", "member_ids")}
        predicate = _predicate_from_form(values, errors)
        member_ids = values["member_ids"].replace(",", " ").split()
        if values["kind"] == "list" and not member_ids:
            errors["member_ids"] = ["Give the member ids, one per line."]
        if not errors:
            try:
                segments.create_segment(database(), code=values["code"], now=now(),
                                        predicate=predicate if values["kind"] == "predicate" else None,
                                        member_ids=member_ids if values["kind"] == "list" else None)
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"predicate": "tiers", "predicate.tier": "tiers"})
            else:
                flash(f"Segment {values['code']} is created.")
                return redirect(url_for("console.segment_list"))
    return render_template("console/segments.html", segments=segments.list_segments(database()), tiers=tiers,
                           values=values, errors=errors, attribute_rows=ATTRIBUTE_ROWS), 422 if errors else 200


@bp.route("/segments/<code>", methods=["GET", "POST"])
@staff_page("programme.read")
def segment(code: str):
    """One segment: who is in it and how many; a predicate's conditions to change."""
    found = segments.get_segment(database(), code)
    values = _predicate_values(found.predicate or {})
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        values = {"kind": "predicate"}
        predicate = _predicate_from_form(values, errors)
        if not errors:
            try:
                members = segments.change_segment(database(), code, predicate=predicate)
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"predicate": "tiers", "predicate.tier": "tiers"})
            except InvalidState as refusal:  # an uploaded list
                flash(sentence(refusal.message))
                return redirect(url_for("console.segment", code=code))
            else:
                flash(f"Segment {code} is changed: {members:,} members now.")
                return redirect(url_for("console.segment", code=code))
    rows = max(ATTRIBUTE_ROWS, sum(1 for name in values if name.endswith("_name")) + 1)
    return render_template("console/segment.html", segment=found, tiers=list_tiers(database())[0], values=values,
                           errors=errors, attribute_rows=rows), 422 if errors else 200


@bp.route("/segments/<code>/remove", methods=["POST"])
@staff_page("programme.write")
def segment_remove(code: str):
    try:
        segments.remove_segment(database(), code, now=now())
    except InvalidInput as refusal:
        for problem in refusal.problems:
            flash(sentence(problem.message))
        return redirect(url_for("console.segment", code=code))
    flash(f"Segment {code} is removed.")
    return redirect(url_for("console.segment_list"))


def _predicate_from_form(values: dict, errors: dict[str, list[str]]) -> dict:
    """The predicate a segment form asks for (its tiers and attribute rows), with the form's
    fields copied into ``values`` and what is missing into ``errors``."""
    values["tiers"] = request.form.getlist("tiers")
    predicate: dict = {}
    if values["tiers"]:
        predicate["tier"] = values["tiers"]
    attributes = {}
    n = 0
    while n < MAX_ATTRIBUTE_ROWS and (f"attr{n}_name" in request.form or f"attr{n}_values" in request.form):
        name, listed = (request.form.get(f"attr{n}_{part}", "").strip() for part in ("name", "values"))
        values[f"attr{n}_name"], values[f"attr{n}_values"] = name, listed
        wanted = [v.strip() for v in listed.split(",") if v.strip()]
        if name and wanted:
            attributes[name] = wanted
        elif name or wanted:
            errors[f"attr{n}_values" if name else f"attr{n}_name"] = ["Give the attribute's name and its values."]
        n += 1
    if attributes:
        predicate["attributes"] = attributes
    if values.get("kind") == "predicate" and not predicate:
        errors["tiers"] = ["Choose tiers or give attribute values."]
    return predicate


def _predicate_values(predicate: dict) -> dict:
    """A predicate as a segment form's fields."""
    values: dict = {"kind": "predicate", "tiers": list(predicate.get("tier") or [])}
    for n, (name, wanted) in enumerate((predicate.get("attributes") or {}).items()):
        values[f"attr{n}_name"], values[f"attr{n}_values"] = name, ", ".join(wanted)
    return values


@bp.route("/campaigns/<code>/end", methods=["POST"])
@staff_page("programme.write")
def campaign_end(code: str):
    ended = campaigns.end_campaign(database(), code, now=now())
    flash(f"Campaign {ended.code} has ended: sales from now on no longer get its rules.")
    return redirect(url_for("console.campaign_list"))


class DateOutOfRange(ValueError):
    """A date the calendar has, but without an instant the engine can store (9999-12-31 ends in
    the year 10000): said as such, not as a date the form could not read."""


def date_problem(error: ValueError) -> str:
    # the engine's own bounds, as it says them of an instant outside them
    return f"Must be a date {RANGE_TEXT}." if isinstance(error, DateOutOfRange) else "Give a date, such as 2026-07-01."


def _instant(text: str) -> datetime:
    """``2026-07-01`` (midnight at its start, programme time: a campaign from 1 July starts
    when 1 July starts in the programme's stores) or a full ISO instant."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=programme_zone())


def _end_instant(text: str) -> datetime:
    """``2026-12-31`` as the last day of something (a campaign, a reward in the catalogue),
    so that day included: it ends when the day ends, programme time (midnight at the start of
    the next day); or a full ISO instant, as ``_instant`` reads it."""
    try:
        last = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        last = None
    if last is None:
        return _instant(text)
    try:
        return end_of_day(last, programme_zone())
    except OverflowError:  # 9999-12-31 ends in the year 10000, which datetime has not
        raise DateOutOfRange(text) from None


@bp.route("/settings", methods=["GET", "POST"])
@staff_page("programme.read")
def settings():
    """The programme settings, every one on one form; admins change them (``settings.write``):
    what differs from the saved value is checked together and saved together, or none is."""
    shown = settings_form.as_text(get_settings(database()))
    values, errors = dict(shown), {}
    if request.method == "POST":
        require_permission(g.principal, "settings.write")
        values = {name: request.form.get(name, shown[name]).strip() for name in shown}
        changed = {name: text for name, text in values.items() if text != shown[name]}
        try:
            if changed:
                update_settings_from_text(database(), changed, now=now())
        except InvalidInput as refusal:
            errors = field_errors(refusal)
        else:
            # the audit log says what changed, from what: the four-eyes limits are settings too
            g.audit_detail = {"settings": {name: {"from": shown[name], "to": text} for name, text in changed.items()}}
            flash(f"Saved: {', '.join(sorted(changed))}." if changed else "Nothing was changed.")
            return redirect(url_for("console.settings"))
    return render_template("console/settings.html", groups=settings_form.SETTING_GROUPS,
                           choices=settings_form.CHOICES, yes_or_no=settings_form.is_yes_or_no, values=values,
                           errors=errors), 422 if errors else 200


@bp.route("/programme", methods=["GET", "POST"])
@staff_page("programme.read")
def programme():
    values, errors = {}, {}
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        values = {k: request.form.get(k, "").strip() for k in ("code", "name", "points_price", "stock",
                                                                "per_member_limit", "voucher_valid_days")}
        numbers = {}
        for field in ("points_price", "stock", "per_member_limit", "voucher_valid_days"):
            if values[field] and not is_whole(values[field]):
                errors[field] = ["Must be a whole number."]
            numbers[field] = int(values[field]) if is_whole(values[field]) else None
        tier_prices = _tier_price_fields(values, errors)
        values["tier_only"] = request.form.get("tier_only") == "yes"
        if not errors:
            try:
                create_reward(database(), code=values["code"], name=values["name"],
                              points_price=numbers["points_price"] or 0, stock=numbers["stock"],
                              per_member_limit=numbers["per_member_limit"], tier_prices=tier_prices,
                              voucher_valid_days=numbers["voucher_valid_days"], tier_only=values["tier_only"],
                              valid_from=now(), now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename=_tier_price_names())
            else:
                flash(f"Reward {values['name']} is in the catalogue.")
                return redirect(url_for("console.programme"))
    tiers, policy = list_tiers(database())
    return render_template("console/programme.html", tiers=tiers, policy=policy,
                           rewards=list_rewards(database(), as_of=now(), withdrawn_too=True), values=values,
                           errors=errors, now=now()), \
        422 if errors else 200


@bp.route("/rewards/<code>", methods=["GET", "POST"])
@staff_page("programme.read")
def reward_page(code: str):
    reward = get_reward(database(), code)
    shown = {"name": reward.name, "points_price": str(reward.points_price),
             "per_member_limit": "" if reward.per_member_limit is None else str(reward.per_member_limit),
             "voucher_valid_days": "" if reward.voucher_valid_days is None else str(reward.voucher_valid_days),
             "ends": "" if reward.valid_until is None else _end_text(reward.valid_until), "restock": "",
             "tier_only": reward.tier_only}
    shown |= {f"tier_price_{tier}": str(price) for tier, price in reward.tier_prices.items()}
    values, errors = dict(shown), {}
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        values = {k: request.form.get(k, "").strip() for k in shown if not k.startswith("tier_price_")}
        values["tier_only"] = request.form.get("tier_only") == "yes"
        # only what differs from the reward is a change
        change: dict = {}
        if values["name"] != reward.name:
            change["name"] = values["name"]
        for field in ("points_price", "per_member_limit"):
            if values[field] != shown[field]:
                if is_whole(values[field]):
                    change[field] = int(values[field])
                else:
                    errors[field] = ["Must be a whole number." + (" A limit cannot be removed." if not values[field]
                                                                  else "")]
        if values["voucher_valid_days"] != shown["voucher_valid_days"]:  # empty: vouchers without end
            days = values["voucher_valid_days"] or "0"
            if is_whole(days):
                change["voucher_valid_days"] = int(days)
            else:
                errors["voucher_valid_days"] = ["Must be a whole number of days (empty: without end)."]
        restock = values["restock"]
        if restock:
            if is_whole(restock.removeprefix("-")):
                change["restock"] = int(restock)
            else:
                errors["restock"] = ["Must be a whole number of units, such as 10 (or -2 to write units off)."]
        if values["ends"] != shown["ends"]:
            try:
                change["valid_until"] = _end_instant(values["ends"])
            except ValueError as problem:
                errors["ends"] = [date_problem(problem)]
        tier_prices = _tier_price_fields(values, errors)
        if tier_prices != reward.tier_prices:
            change["tier_prices"] = tier_prices
        if values["tier_only"] != reward.tier_only:
            change["tier_only"] = values["tier_only"]
        if not errors:
            try:
                changed = change_reward(database(), code, now=now(), **change)
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"valid_until": "ends", "reward": "name"} | _tier_price_names())
            else:
                flash(f"Reward {changed.name} is changed.")
                return redirect(url_for("console.programme"))
    return render_template("console/reward.html", reward=reward, tiers=list_tiers(database())[0], values=values,
                           errors=errors, now=now()), 422 if errors else 200


@bp.route("/rewards/<code>/withdraw", methods=["POST"])
@staff_page("programme.write")
def reward_withdraw(code: str):
    withdrawn = change_reward(database(), code, valid_until=now(), now=now())
    flash(f"Reward {withdrawn.name} is withdrawn: members can no longer redeem it.")
    return redirect(url_for("console.programme"))


def _tier_price_fields(values: dict, errors: dict) -> dict[str, int]:
    """The form's tier price fields (one per tier; empty: none) into ``values`` and a dict."""
    tier_prices = {}
    for tier in list_tiers(database())[0]:
        given = request.form.get(f"tier_price_{tier.code}", "").strip()
        values[f"tier_price_{tier.code}"] = given
        if given:
            if is_whole(given):
                tier_prices[tier.code] = int(given)
            else:
                errors[f"tier_price_{tier.code}"] = ["Must be a whole number."]
    return tier_prices


def _tier_price_names() -> dict[str, str]:
    """The engine's names of tier prices to the form's fields."""
    return {f"tier_prices.{t.code}": f"tier_price_{t.code}" for t in list_tiers(database())[0]}


TIER_ROWS = 6  # at least, so that a short ladder has empty rows to add tiers in
EMPTY_TIER_ROWS = 2  # below a longer ladder: every tier gets its row, and there is room for more
# the row numbers the page writes (no leading zeros, none so long that reading it fails)
TIER_FIELD = re.compile(r"tier(0|[1-9]\d{0,5})_(?:code|name|threshold|earn_multiplier)")


@bp.route("/tiers", methods=["GET", "POST"])
@staff_page("programme.read")
def tiers():
    """The tier ladder as a form: a row for every tier, lowest first, and empty ones to add tiers
    in; and the qualification policy."""
    ladder, policy = list_tiers(database())
    policy = policy or TierPolicy()
    errors: dict[str, list[str]] = {}
    row_count = max(TIER_ROWS, len(ladder) + EMPTY_TIER_ROWS)
    if request.method == "POST":
        require_permission(g.principal, "programme.write")
        # every row the form was sent with is read: a row left out would delete its tier
        row_count = _tier_row_count(request.form)
        rows, errors = _tier_rows(request.form, row_count)
        row_count = max(TIER_ROWS, row_count)
        values = {k: request.form.get(k, "").strip() for k in ("window", "window_months", "review", "grace_months",
                                                                "measure")}
        for field in ("window_months", "grace_months"):
            if not is_whole(values[field]):
                errors[field] = ["Must be a whole number of months."]
        if not errors:
            try:
                define_tiers(database(), rows, TierPolicy(window=values["window"], window_months=int(values["window_months"]),
                                                          review=values["review"],
                                                          grace_months=int(values["grace_months"]),
                                                          measure=values["measure"] or "points"), now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal, rename={"tiers": "ladder"} |
                                      {f"tiers[{n}].{f}": f"tier{n}_{f}" for n in range(row_count)
                                       for f in ("code", "name", "threshold", "earn_multiplier")})
            else:
                flash("The tier ladder is saved. Members move at their next purchase or review.")
                return redirect(url_for("console.tiers"))
        form = {k: request.form.get(k, "") for k in request.form.keys()}
    else:
        form = {"window": policy.window, "window_months": str(policy.window_months), "review": policy.review,
                "grace_months": str(policy.grace_months), "measure": policy.measure}
        for n, tier in enumerate(ladder):
            form |= {f"tier{n}_code": tier.code, f"tier{n}_name": tier.name, f"tier{n}_threshold": str(tier.threshold),
                     f"tier{n}_earn_multiplier": str(tier.earn_multiplier.normalize())}
    return render_template("console/tiers.html", form=form, errors=errors, rows=range(row_count),
                           windows=TIER_WINDOWS, reviews=TIER_REVIEWS), 422 if errors else 200


def _tier_row_count(form) -> int:
    """How many tier rows ``form`` has (the highest row's number, plus one). A row number past
    the form's own number of fields is none of the page's rows (a hand-made post): ignored."""
    numbers = [int(found.group(1)) for key in form if (found := TIER_FIELD.fullmatch(key))]
    return 1 + max((n for n in numbers if n < len(form)), default=-1)


def _tier_rows(form, row_count: int) -> tuple[list[TierDefinition], dict[str, list[str]]]:
    rows, errors = [], {}
    for n in range(row_count):
        code, name = form.get(f"tier{n}_code", "").strip(), form.get(f"tier{n}_name", "").strip()
        threshold, multiplier = form.get(f"tier{n}_threshold", "").strip(), form.get(f"tier{n}_earn_multiplier", "").strip()
        if not (code or name or threshold):
            continue
        if not is_whole(threshold):
            errors[f"tier{n}_threshold"] = ["Must be a whole number of points."]
        try:
            factor = Decimal(multiplier or "1")
        except InvalidOperation:
            errors[f"tier{n}_earn_multiplier"] = ["Must be a number, such as 1.5."]
            factor = Decimal(1)
        rows.append(TierDefinition(code, name, int(threshold) if is_whole(threshold) else 0, factor))
    return rows, errors


# -- members and adjustments ------------------------------------------------------------------

MEMBERS_SHOWN = 20  # of a search by name; one more is asked for, to know whether there are more


@bp.route("/members")
@staff_page("members.read")
def members():
    query = request.args.get("q", "").strip()
    found = find_members(database(), query, limit=MEMBERS_SHOWN + 1) if query else []
    if len(found) == 1:
        return redirect(url_for("console.member", member_id=found[0].public_id))
    return render_template("console/members.html", query=query, found=found[:MEMBERS_SHOWN],
                           more=len(found) > MEMBERS_SHOWN)


@bp.route("/members/<member_id>", methods=["GET", "POST"])
@staff_page("members.read")
def member(member_id: str):
    db = database()
    if request.method == "POST":
        require_permission(g.principal, "adjustments.request")
        values = {k: request.form.get(k, "").strip() for k in ("points", "reason")}
        points = values["points"]
        if not is_whole(points.removeprefix("-")):
            return _member_page(member_id, values=values,
                                errors={"points": ["Must be a whole number of points; negative takes points away."]})
        try:
            made = request_adjustment(db, AdjustPoints(member_id, int(points), values["reason"], g.principal.name),
                                      caller=g.principal.actor,
                                      idempotency_key=request.form.get("form_key") or one_time_key(), now=now())
        except InvalidInput as refusal:
            return _member_page(member_id, values=values, errors=field_errors(refusal))
        flash(f"{points} points are applied." if made.status == "applied" else
              f"The adjustment of {points} points waits for a second person's approval.")
        return redirect(url_for("console.member", member_id=member_id))
    return _member_page(member_id)


@bp.route("/members/<member_id>/referral", methods=["POST"])
@staff_page("members.write")
def member_referral(member_id: str):
    """Record who referred this member (a friend who joined at a till): the programme's bonuses."""
    values = {"referrer_id": request.form.get("referrer_id", "").strip()}
    try:
        record_referral(database(), referrer_id=values["referrer_id"], referred_id=member_id, now=now())
    except InvalidInput as refusal:
        return _member_page(member_id, values=values, errors=field_errors(refusal, rename={"referred_id": "referrer_id"}))
    except LoyaltyError as refusal:  # already referred or bought, a cycle, not active, unknown
        return _member_page(member_id, values=values, errors={"referrer_id": [sentence(refusal.message)]})
    flash(f"{member_id} was referred by {values['referrer_id']}: each gets the referral bonus with the first purchase.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/attributes", methods=["POST"])
@staff_page("members.write")
def member_attribute_set(member_id: str):
    values = {k: request.form.get(k, "").strip() for k in ("attribute_name", "attribute_value")}
    try:
        segments.set_member_attribute(database(), member_id, values["attribute_name"], values["attribute_value"])
    except InvalidInput as refusal:
        return _member_page(member_id, values=values,
                            errors=field_errors(refusal, rename={"name": "attribute_name", "value": "attribute_value"}))
    flash(f"{values['attribute_name']} is now {values['attribute_value']!r}; rules see it from the next sale.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/invitation", methods=["POST"])
@staff_page("members.write")
def member_invite(member_id: str):
    """Send the member a link to set their password (their first sign-in)."""
    try:
        expires = invite_member(database(), member_id, now=now())
    except InvalidState as refusal:
        flash(sentence(refusal.message))
    else:
        flash(f"A link to set the password waits for the mailer; it works until {expires:%Y-%m-%d %H:%M} UTC.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/close", methods=["POST"])
@staff_page("members.write")
def member_close(member_id: str):
    """Close the account and erase the member's personal data, once the box is ticked."""
    values = {"close_reason": request.form.get("close_reason", "").strip(),
              "close_confirm": request.form.get("close_confirm", "")}
    errors = {}
    if values["close_confirm"] != "yes":
        errors["close_confirm"] = ["Tick the box: closing cannot be undone."]
    if not values["close_reason"]:
        errors["close_reason"] = ["Say why, e.g. the member asked for erasure."]
    if errors:
        return _member_page(member_id, values=values, errors=errors)
    try:
        closed = close_member(database(), CloseMember(member_id, values["close_reason"], g.principal.actor),
                              caller=g.principal.actor, idempotency_key=request.form.get("form_key") or one_time_key(),
                              now=now())
    except InvalidInput as refusal:
        return _member_page(member_id, values=values, errors=field_errors(refusal, rename={"reason": "close_reason"}))
    flash(f"The account of {closed.member_id} is closed: {closed.points_forfeited} points forfeited, "
          f"{closed.cards_retired} cards retired, personal data erased.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/suspend", methods=["POST"])
@staff_page("members.write")
def member_suspend(member_id: str):
    """Suspend the account while fraud is looked into (a reason is required)."""
    values = {"suspend_reason": request.form.get("suspend_reason", "").strip()}
    if not values["suspend_reason"]:
        return _member_page(member_id, values=values,
                            errors={"suspend_reason": ["Say why, e.g. the case being looked into."]})
    try:
        suspend_member(database(), SuspendMember(member_id, values["suspend_reason"], g.principal.actor),
                       caller=g.principal.actor, idempotency_key=request.form.get("form_key") or one_time_key(),
                       now=now())
    except InvalidInput as refusal:
        return _member_page(member_id, values=values,
                            errors=field_errors(refusal, rename={"reason": "suspend_reason"}))
    except InvalidState as refusal:  # suspended or closed meanwhile
        flash(sentence(refusal.message))
    else:
        flash(f"The account of {member_id} is suspended: it earns and spends no points until it is reinstated.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/reinstate", methods=["POST"])
@staff_page("members.write")
def member_reinstate(member_id: str):
    """Reinstate a suspended account: it earns and spends again at once."""
    try:
        reinstate_member(database(), ReinstateMember(member_id, g.principal.actor), caller=g.principal.actor,
                         idempotency_key=request.form.get("form_key") or one_time_key(), now=now())
    except InvalidState as refusal:  # reinstated or closed meanwhile
        flash(sentence(refusal.message))
    else:
        flash(f"The account of {member_id} is reinstated: it earns and spends points again.")
    return redirect(url_for("console.member", member_id=member_id))


def _member_vouchers(db, member_id: str, as_of: datetime) -> list:
    """What the member page lists: every voucher still usable (support may cancel any of
    them), and the newest used, cancelled or ended ones; newest first."""
    usable = usable_vouchers(db, member_id, at=as_of)
    codes = {v.voucher_code for v in usable}
    recent = [v for v in list_vouchers(db, member_id) if v.voucher_code not in codes]
    return sorted(usable + recent, key=lambda v: v.issued_at, reverse=True)


@bp.route("/members/<member_id>/vouchers/<code>/cancel", methods=["POST"])
@staff_page("members.write")
def voucher_cancel(member_id: str, code: str):
    """Cancel the member's unused voucher: its points and the reward's stock come back."""
    try:
        owner = get_voucher(database(), code).member_id
    except NotFound:
        owner = None
    if owner != member_id:  # (any of the member's vouchers, not only those the page lists)
        raise NotFound(f"member {member_id} has no voucher {code}", code="unknown_voucher")
    cancelled = cancel_voucher(database(), CancelVoucher(code, after_its_end=True), caller=g.principal.actor,
                               idempotency_key=request.form.get("form_key") or one_time_key(), now=now())
    flash(f"Voucher {cancelled.voucher_code} is cancelled: {cancelled.points} points are back.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/cards/<number>/<action>", methods=["POST"])
@staff_page("cards.write")
def member_card(member_id: str, number: str, action: str):
    """Block one of the member's cards (lost, stolen, misuse: a reason is required) or lift a
    block placed by mistake (a card found again: the member is told it works)."""
    if action not in ("block", "unblock") or number not in {
            c.number for c in cards.list_cards(database(), member_id=member_id)}:
        raise NotFound(f"member {member_id} has no card {number}", code="card_not_found")
    reason = request.form.get("block_reason", "").strip()
    if action == "block" and not reason:
        return _member_page(member_id, values={"block_reason": reason, "card": number},
                            errors={"block_reason": ["Say why, e.g. reported lost by the member."]})
    try:
        if action == "block":
            cards.block_card(database(), number, reason=reason, now=now())
        else:
            cards.unblock_card(database(), number, now=now())
    except InvalidInput as refusal:
        return _member_page(member_id, values={"block_reason": reason, "card": number},
                            errors=field_errors(refusal, rename={"reason": "block_reason"}))
    except InvalidState as refusal:  # blocked, unblocked or retired meanwhile
        flash(sentence(refusal.message))
    else:
        flash(f"Card {number} is blocked: it earns and pays no more." if action == "block" else
              f"Card {number} works again; the member is told so.")
    return redirect(url_for("console.member", member_id=member_id))


@bp.route("/members/<member_id>/attributes/<name>/remove", methods=["POST"])
@staff_page("members.write")
def member_attribute_remove(member_id: str, name: str):
    segments.remove_member_attribute(database(), member_id, name)
    flash(f"{name} is removed.")
    return redirect(url_for("console.member", member_id=member_id))


def _member_page(member_id: str, *, values: dict | None = None, errors: dict | None = None):
    db, as_of = database(), now()
    try:
        progress = tier_progress(db, member_id, as_of=as_of)
    except LoyaltyError:
        progress = None  # no tiers defined yet
    ledger_page = _page_number(request.args.get("ledger_page", ""))
    history = get_history(db, member_id, limit=LEDGER_PAGE + 1, offset=(ledger_page - 1) * LEDGER_PAGE)
    return render_template("console/member.html", member=get_member(db, member_id),
                           balance=get_balance(db, member_id, as_of=as_of), progress=progress,
                           tier_changes=tier_history(db, member_id), history=history[:LEDGER_PAGE],
                           ledger_page=ledger_page, more_history=len(history) > LEDGER_PAGE,
                           attributes=segments.member_attributes(db, member_id),
                           segments=segments.member_segments(db, member_id),
                           vouchers=_member_vouchers(db, member_id, as_of),
                           cards=cards.list_cards(db, member_id=member_id),
                           referrals=referral_facts(db, member_id),
                           as_of=as_of, values=values or {}, errors=errors or {}), 422 if errors else 200


@bp.route("/adjustments")
@staff_page("adjustments.approve")
def adjustments():
    return render_template("console/adjustments.html", pending=list_adjustment_requests(database()))


@bp.route("/adjustments/<request_id>/<decision>", methods=["POST"])
@staff_page("adjustments.approve")
def decide(request_id: str, decision: str):
    if decision not in ("approve", "reject"):
        raise NotFound("no such decision")
    try:
        decided = decide_adjustment(database(), DecideAdjustment(request_id, decision == "approve", g.principal.name),
                                    caller=g.principal.actor,
                                    idempotency_key=request.form.get("form_key") or one_time_key(), now=now())
    except NotAllowed as refusal:
        flash(sentence(refusal.message))
    else:
        flash(f"The adjustment of {decided.points} points for {decided.member_id} is {decided.status}.")
    return redirect(url_for("console.adjustments"))


@bp.route("/segments/<code>/audience.csv")
@staff_page("members.read")
def segment_audience_csv(code: str):
    """The segment's members who agreed to offers on ``channel``, as a CSV download."""
    channel = request.args.get("channel", "email")
    try:
        segment_audience(database(), code, channel=channel, limit=1)  # refuses before the download starts
    except InvalidInput as refusal:
        raise BadRequest(sentence(str(refusal.problems[0]))) from None

    # streamed, page by page: a segment may hold a million members
    return Response(stream_with_context(audience_csv(database(), code, channel=channel)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{code}-{channel}-audience.csv"'})


# -- member imports ---------------------------------------------------------------------------

@bp.route("/imports", methods=["GET", "POST"])
@staff_page("adjustments.request")
def imports():
    """Send a file of members from the old programme (checked now, imported when a second
    person approves); the imports, newest first."""
    problems: list[str] = []
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise InvalidInput([Problem("file", "choose the CSV file to import")])
            text = members_csv_text(upload.read())
            asked = ask_to_import(database(), AskToImport(upload.filename, text, g.principal.name),
                                  caller=g.principal.actor,
                                  idempotency_key=request.form.get("form_key") or one_time_key(), now=now())
        except InvalidInput as refusal:
            problems = [str(problem) for problem in refusal.problems]
        else:
            flash(f"The import of {asked.members:,} members with {asked.points:,} opening points from "
                  f"{asked.file_name} waits for a second person's approval.")
            return redirect(url_for("console.imports"))
    return render_template("console/imports.html", imports=list_import_requests(database(), limit=100),
                           problems=problems), 422 if problems else 200


@bp.route("/imports/<import_id>/<decision>", methods=["POST"])
@staff_page("adjustments.approve")
def decide_import_page(import_id: str, decision: str):
    if decision not in ("approve", "reject"):
        raise NotFound("no such decision")
    try:
        decided = decide_import(database(), DecideImport(import_id, decision == "approve", g.principal.name),
                                caller=g.principal.actor, idempotency_key=request.form.get("form_key")
                                or one_time_key(), now=now())
    except InvalidInput as refusal:
        flash("The file no longer fits, so nobody was imported: "
              + "; ".join(str(problem) for problem in refusal.problems[:5])
              + (" (and more)" if len(refusal.problems) > 5 else "") + ". Reject it and send a corrected file.")
    except (NotAllowed, InvalidState) as refusal:
        flash(sentence(refusal.message))
    else:
        flash(f"The import of {decided.members:,} members from {decided.file_name} is {decided.status}.")
    return redirect(url_for("console.imports"))


@bp.route("/imports/<import_id>/members.csv")
@staff_page("adjustments.request")
def imported_members_csv(import_id: str):
    """An approved import's lines with the member ids they got, as a CSV download."""
    try:
        imported = imported_members(database(), import_id)
    except InvalidState as refusal:
        raise BadRequest(sentence(refusal.message)) from None
    out = io.StringIO()
    write_mapping(out, imported)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{import_id}-members.csv"'})


# -- points grants ----------------------------------------------------------------------------

@bp.route("/grants", methods=["GET", "POST"])
@staff_page("adjustments.request")
def grants():
    """Ask for the same points for every active member of a segment; the grants, newest first,
    the pending ones with what approving them now would credit."""
    values: dict = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("segment", "points", "reason")}
        if not is_whole(values["points"]):
            errors["points"] = ["Must be a whole number of points for each member."]
        else:
            try:
                made = request_grant(database(), GrantPoints(values["segment"], int(values["points"]),
                                                             values["reason"], g.principal.name),
                                     caller=g.principal.actor,
                                     idempotency_key=request.form.get("form_key") or one_time_key(), now=now())
            except InvalidInput as refusal:
                errors = field_errors(refusal)
            except NotFound as refusal:
                errors = {"segment": [sentence(refusal.message)]}
            else:
                flash(f"The grant of {made.points} points to each of {made.members} members of {made.segment} "
                      "waits for a second person's approval.")
                return redirect(url_for("console.grants"))
    options = [(s.code, f"{s.code} ({s.members:,} members now)") for s in segments.list_segments(database())]
    return render_template("console/grants.html", grants=list_grants(database(), limit=100),
                           segments_options=options, values=values, errors=errors), 422 if errors else 200


@bp.route("/grants/<grant_id>/<decision>", methods=["POST"])
@staff_page("adjustments.approve")
def decide_grant_page(grant_id: str, decision: str):
    if decision not in ("approve", "reject", "credit"):
        raise NotFound("no such decision")
    try:
        seconds = current_app.config["GRANT_CREDIT_SECONDS"]
        if decision == "credit":  # go on where an approval or a stopped process left off
            decided = credit_grant(database(), grant_id, now=now(), seconds=seconds)
        else:
            decided = decide_grant(database(), DecideGrant(grant_id, decision == "approve", g.principal.name),
                                   caller=g.principal.actor, idempotency_key=request.form.get("form_key")
                                   or one_time_key(), now=now(), seconds=seconds)
    except (NotAllowed, InvalidState) as refusal:
        flash(sentence(refusal.message))
    else:
        if decided.status != "approved":
            flash(f"The grant to {decided.segment} is {decided.status}.")
        elif decided.credited < decided.members:
            flash(f"The grant to {decided.segment} is approved: {decided.credited:,} of {decided.members:,} members "
                  f"have their {decided.points:,} points so far. The scheduler credits the rest within a minute; "
                  "\u201cFinish crediting\u201d goes on at once.")
        else:
            flash(f"The grant to {decided.segment} is approved: {decided.members:,} members got {decided.points:,} "
                  "points each.")
    return redirect(url_for("console.grants"))


# -- webhooks ---------------------------------------------------------------------------------

WEBHOOK_DELIVERIES_SHOWN = 10
WEBHOOK_ACTIONS = ("deactivate", "activate", "test", "secret", "remove")


@bp.route("/webhooks", methods=["GET", "POST"])
@staff_page("webhooks.write")
def webhook_list():
    """The endpoints the programme's events are posted to, each with its latest deliveries;
    adding one answers with its secret, the only time it is shown (never flashed: the
    session cookie is signed, not encrypted)."""
    values: dict = {}
    errors: dict[str, list[str]] = {}
    refusal_message, status = None, 200
    if request.method == "POST":
        values = {"url": request.form.get("url", "").strip(), "kinds": request.form.getlist("kinds"),
                  "description": request.form.get("description", "").strip()}
        try:
            added = webhooks.add_endpoint(database(), actor=g.principal.actor, now=now(),
                                          allowed_private=current_app.config["WEBHOOK_PRIVATE_HOSTS"], **values)
        except InvalidInput as refusal:
            errors, status = field_errors(refusal), status_for(refusal)
        except Conflict as refusal:  # the URL is added already (the engine's message starts with it)
            errors, status = {"url": ["Receives webhooks already: see its endpoint above."]}, status_for(refusal)
        except InvalidState as refusal:  # too many endpoints
            refusal_message, status = sentence(refusal.message), status_for(refusal)
        else:
            return render_template("console/webhook_secret.html", added=added)
    endpoints = webhooks.list_endpoints(database())
    deliveries = {e.id: webhooks.list_deliveries(database(), e.id, limit=WEBHOOK_DELIVERIES_SHOWN) for e in endpoints}
    return render_template("console/webhooks.html", endpoints=endpoints, deliveries=deliveries,
                           kinds=webhooks.EVENT_KINDS, values=values, errors=errors,
                           refusal_message=refusal_message), status


@bp.route("/webhooks/<int:endpoint_id>/<action>", methods=["POST"])
@staff_page("webhooks.write")
def webhook_action(endpoint_id: int, action: str):
    """Deactivate, activate, test, give a new secret to (shown on the answer page, as when
    added) or remove an endpoint."""
    if action not in WEBHOOK_ACTIONS:
        raise NotFound("no such action")
    db = database()
    try:
        if action == "secret":
            return render_template("console/webhook_secret.html", added=webhooks.renew_secret(db, endpoint_id),
                                   renewed=True)
        if action == "test":
            webhooks.send_test_event(db, endpoint_id, now=now())
            flash("A test event is queued: it is sent within a minute while the endpoint is active.")
        elif action == "remove":
            webhooks.remove_endpoint(db, endpoint_id)
            flash("The endpoint is removed, with its deliveries: it receives no more events.")
        else:
            changed = webhooks.change_endpoint(db, endpoint_id, active=action == "activate",
                                               allowed_private=current_app.config["WEBHOOK_PRIVATE_HOSTS"])
            flash(f"{changed.url} receives its events again." if changed.active else
                  f"{changed.url} is deactivated: it gets no new events, and those waiting for it wait until it "
                  "is activated again.")
    except NotFound as refusal:  # removed meanwhile, by someone else or in another tab
        flash(sentence(refusal.message))
    return redirect(url_for("console.webhook_list"))


@bp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/send-again", methods=["POST"])
@staff_page("webhooks.write")
def webhook_send_again(endpoint_id: int, delivery_id: int):
    """Send a failed delivery again, with all its attempts ahead of it."""
    try:
        webhooks.send_again(database(), endpoint_id, delivery_id, now=now())
    except (NotFound, InvalidState) as refusal:
        flash(sentence(refusal.message))
    else:
        flash(f"Delivery {delivery_id} is sent again within a minute, with all its attempts ahead of it.")
    return redirect(url_for("console.webhook_list"))


# -- stores and terminals ---------------------------------------------------------------------

@bp.route("/stores", methods=["GET", "POST"])
@staff_page("terminals.write")
def store_list():
    """Every store with its terminals and their signing keys; adds a store (a shop with tills,
    or a web shop: ``online``)."""
    values: dict = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("code", "name", "timezone", "group")}
        values["online"] = request.form.get("online") == "yes"
        try:
            added = create_store(database(), code=values["code"], name=values["name"], timezone=values["timezone"],
                                 group=values["group"] or None, channel="online" if values["online"] else "store",
                                 now=now())
        except InvalidInput as refusal:
            errors, status = field_errors(refusal), status_for(refusal)
        except Conflict as refusal:  # the code is taken
            errors, status = {"code": [sentence(refusal.message)]}, status_for(refusal)
        else:
            flash(f"Store {added.code} ({added.name}) is added"
                  + (", selling online: add its web shop's backend as a terminal below." if added.channel == "online"
                     else ": add its tills below."))
            return redirect(url_for("console.store_list"))
    return _stores_page(store_values=values, store_errors=errors), status


@bp.route("/stores/terminals", methods=["POST"])
@staff_page("terminals.write")
def terminal_add():
    """Adds a terminal to a store: a till, or a web shop's backend."""
    values = {k: request.form.get(k, "").strip() for k in ("terminal_code", "store_code", "terminal_name")}
    try:
        added = create_terminal(database(), code=values["terminal_code"], store_code=values["store_code"],
                                name=values["terminal_name"] or None, now=now())
    except InvalidInput as refusal:
        errors = field_errors(refusal, rename={"code": "terminal_code", "name": "terminal_name"})
        status = status_for(refusal)
    except Conflict as refusal:  # the code is taken
        errors, status = {"terminal_code": [sentence(refusal.message)]}, status_for(refusal)
    except NotFound as refusal:  # not a store of the list
        errors, status = {"store_code": [sentence(refusal.message)]}, 422
    else:
        flash(f"Terminal {added.code} is added to store {added.store_code}: give it a signing key before it "
              "posts anything.")
        return redirect(url_for("console.store_list", _anchor=f"terminal-{added.code}"))
    return _stores_page(terminal_values=values, terminal_errors=errors), status


@bp.route("/stores/terminals/<terminal_code>/keys", methods=["POST"])
@staff_page("terminals.write")
def terminal_key_issue(terminal_code: str):
    """Issues a new signing key for a terminal and answers with its secret, the only time it is
    shown (never flashed: the session cookie is signed, not encrypted); its other keys stay live."""
    return render_template("console/terminal_key.html", key=issue_terminal_key(database(), terminal_code, now=now()))


@bp.route("/stores/keys/<key_id>/revoke", methods=["POST"])
@staff_page("terminals.write")
def terminal_key_revoke(key_id: str):
    """Revokes a terminal's signing key at once, once the box beside the button is ticked."""
    if request.form.get("confirm") != "yes":
        flash(f"Key {key_id} is not revoked: tick the box beside its button first (revoking cannot be undone).")
        return redirect(url_for("console.store_list"))
    revoked = revoke_terminal_key(database(), key_id, now=now())
    flash(f"Key {revoked.key_id} of terminal {revoked.terminal_code} is revoked: requests signed with it are "
          "refused from now on.")
    return redirect(url_for("console.store_list", _anchor=f"terminal-{revoked.terminal_code}"))


@bp.route("/stores/terminals/<terminal_code>/retire", methods=["POST"])
@staff_page("terminals.write")
def terminal_retire(terminal_code: str):
    """Retires a terminal for good, once the box beside the button is ticked: its keys stop at once."""
    if request.form.get("confirm") != "yes":
        flash(f"Terminal {terminal_code} is not retired: tick the box beside its button first (it cannot be undone).")
        return redirect(url_for("console.store_list"))
    retired = retire_terminal(database(), terminal_code)
    flash(f"Terminal {retired.code} is retired: requests signed with its keys are refused from now on.")
    return redirect(url_for("console.store_list", _anchor=f"terminal-{retired.code}"))


def _stores_page(*, store_values: dict | None = None, store_errors: dict | None = None,
                 terminal_values: dict | None = None, terminal_errors: dict | None = None) -> str:
    db = database()
    terminals: dict[str, list] = {}
    for terminal in list_terminals(db):
        terminals.setdefault(terminal.store_code, []).append(terminal)
    keys: dict[str, list] = {}
    for key in list_terminal_keys(db):
        keys.setdefault(key.terminal_code, []).append(key)
    every_store = list_stores(db)
    return render_template("console/stores.html", stores=every_store, terminals=terminals, keys=keys,
                           store_options=[(s.code, f"{s.code} ({s.name})") for s in every_store],
                           store_values=store_values or {}, store_errors=store_errors or {},
                           terminal_values=terminal_values or {}, terminal_errors=terminal_errors or {})


# -- errors -----------------------------------------------------------------------------------

@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return http_error_page(error, site="console")


@bp.errorhandler(LoyaltyError)
def refused(error: LoyaltyError):
    if isinstance(error, NotAuthenticated):
        drop_token(TOKEN_KEY)
        return redirect(url_for("console.sign_in"))
    if isinstance(error, NotAllowed):
        return error_page(403, site="console", title="Not for your role",
                          detail="Your role does not allow this. Ask an administrator if you need it.")
    if isinstance(error, NotFound):
        return error_page(404, site="console")
    if isinstance(error, InvalidInput):  # in the words of the console's forms, not the API's field names
        return error_page(status_for(error), site="console", title="That did not work",
                          detail=" ".join(_in_form_words(problem) for problem in error.problems))
    return refusal_page(error, site="console")


# the engine's names of the fields a console button sends without a form field to show a
# problem at, by the label of the form field the page shows for it
FORM_LABELS = {"valid_until": "In the catalogue until", "ends_at": "Last day", "version": "Version"}


def _in_form_words(problem: Problem) -> str:
    """A problem as a sentence: with the label of its field when the console shows one, else
    what it says (the engine's messages name their subject: a rule, a reward)."""
    label = FORM_LABELS.get(problem.field)
    return sentence(f"{label}: {problem.message}" if label else problem.message)


for _transient in TRANSIENT_ERRORS:
    bp.register_error_handler(_transient, lambda error: unavailable_page("console"))


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    log.exception("unhandled error in the console", extra={"request_id": g.get("request_id")})
    return error_page(500, site="console")

