"""Staff API for programme reports (``reports.read``: admins, marketers, auditors) and the
fraud checks (``audit.read``: admins, auditors)."""
from __future__ import annotations

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now
from api.json_body import Blueprint
from api.schemas.reports import (CampaignLiftSchema, CashierCardSchema, CashierCardsQuerySchema,
                                 CashierPaymentsSchema, CashierRefundsSchema, ChecksQuerySchema, DashboardQuerySchema,
                                 DashboardSchema, FrequentEarnerSchema, FrequentEarnersQuerySchema,
                                 LiabilityQuerySchema, MonthStatementSchema, VouchersOutstandingSchema)
from engine import reports
from engine.rules.lift import campaign_lift

blp = Blueprint("reports", __name__, url_prefix="/v1/staff/reports",
                description="Programme reports from the ledger (staff: reports.read).")


@blp.route("/dashboard", methods=["GET"])
@staff_only("reports.read")
@blp.doc(security=[BEARER_AUTH])
@blp.arguments(DashboardQuerySchema(), location="query")
@blp.response(200, DashboardSchema)
def dashboard(query):
    """Points issued, redeemed and expired per day; outstanding liability; members per tier;
    top rules by points given; campaign budgets used."""
    return reports.dashboard(database(), as_of=now(), days=query["days"])


@blp.route("/liability", methods=["GET"])
@staff_only("reports.read")
@blp.doc(security=[BEARER_AUTH])
@blp.arguments(LiabilityQuerySchema(), location="query")
@blp.response(200, MonthStatementSchema(many=True))
def liability(query):
    """For finance: the points owed to members month by month (calendar months in the
    programme's time zone, by posting time, this one so far), with what was issued, redeemed, expired and adjusted in
    each and the closing amount's worth at the redemption rate."""
    return reports.liability_statement(database(), as_of=now(), months=query["months"])


@blp.route("/vouchers", methods=["GET"])
@staff_only("reports.read")
@blp.doc(security=[BEARER_AUTH])
@blp.response(200, VouchersOutstandingSchema)
def vouchers():
    """For finance: reward vouchers neither used nor cancelled, those still usable (rewards
    owed) and those whose end passed unused, each with the points paid for them."""
    return reports.vouchers_outstanding(database(), as_of=now())


@blp.route("/frequent-earners", methods=["GET"])
@staff_only("audit.read")
@blp.doc(security=[BEARER_AUTH])
@blp.arguments(FrequentEarnersQuerySchema(), location="query")
@blp.response(200, FrequentEarnerSchema(many=True))
def frequent_earners(query):
    """Members who earned on at least ``min_sales`` sales at one till on one day, most first:
    the trace of a cashier putting customers' purchases on their own card."""
    return reports.frequent_earners(database(), as_of=now(), **query)


@blp.route("/cashier-cards", methods=["GET"])
@staff_only("audit.read")
@blp.doc(security=[BEARER_AUTH])
@blp.arguments(CashierCardsQuerySchema(), location="query")
@blp.response(200, CashierCardSchema(many=True))
def cashier_cards(query):
    """Cards that earned on at least ``min_sales`` of one cashier's sales (tills send the
    cashier's operator id), and every sale a cashier rang up on their own membership (a
    member's ``cashier`` attribute names them), own cards first: the trace of a cashier putting
    customers' purchases on their own card or a friend's."""
    return reports.cashier_cards(database(), as_of=now(), **query)


@blp.route("/cashier-refunds", methods=["GET"])
@staff_only("audit.read")
@blp.doc(security=[BEARER_AUTH])
@blp.arguments(ChecksQuerySchema(), location="query")
@blp.response(200, CashierRefundsSchema(many=True))
def cashier_refunds(query):
    """Each cashier's returns in a store (tills send the cashier's operator id with a return),
    most first, with the cashier's own sales of the same days and how many returns were of
    sales they rang up: the trace of a cashier refunding to their own card or a friend's."""
    return reports.cashier_refunds(database(), as_of=now(), **query)


@blp.route("/cashier-payments", methods=["GET"])
@staff_only("audit.read")
@blp.doc(security=[BEARER_AUTH])
@blp.arguments(ChecksQuerySchema(), location="query")
@blp.response(200, CashierPaymentsSchema(many=True))
def cashier_payments(query):
    """Each cashier's payments with points in a store (tills send the cashier's operator id
    with a hold), those with the cashier's own card first, then most points, with the
    cashier's own sales of the same days: the trace of a cashier spending points earned on
    customers' purchases with their own card."""
    return reports.cashier_payments(database(), as_of=now(), **query)


@blp.route("/campaigns/<code>/lift", methods=["GET"])
@staff_only("reports.read")
@blp.doc(security=[BEARER_AUTH])
@blp.response(200, CampaignLiftSchema)
def lift(code):
    """A campaign's targeted members against its holdout group over its window so far: members,
    buyers, purchases and spend of each; the spend lift; the buyer-share difference with its
    95 % confidence interval."""
    return campaign_lift(database(), code, as_of=now())
