"""The "Close my account" page tells a member in debt after a refund that they give up no
points and that the debt goes with the account (it said "your -30 points ... are given up"),
and a member without points that there are none to give up."""
from decimal import Decimal

from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance
from engine.ledger.commands import AdjustPoints, RefundLine, RefundReceipt
from engine.ledger.refunds import refund_receipt
from tests.conftest import new_key
from tests.web.conftest import text_of


def test_a_member_in_debt_is_told_no_points_are_given_up_and_the_debt_goes(browser, member_with_login, earn, till,
                                                                          database, clock):
    member = member_with_login(points=10)
    earn(member, 5000, receipt="R1")  # 50 points, pending
    adjust_points(database, AdjustPoints(member.public_id, -40, "spent elsewhere", "tests"), caller="tests",
                  idempotency_key=new_key(), now=clock())
    refund_receipt(database, RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert get_balance(database, member.public_id, as_of=clock()).balance == -30
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/account/close"))
    assert "-30" not in page
    assert ("you have no points to give up: you owe 30 points after a refund, and closing your account lets that "
            "debt go (you pay nothing back); your cards stop working") in page


def test_a_member_without_points_is_told_there_are_none_to_give_up(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/account/close"))
    assert "you have no points to give up; your cards stop working" in page and "your 0 points" not in page
