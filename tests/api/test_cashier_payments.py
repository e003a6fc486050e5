"""A till names the cashier who took a payment with points; an auditor reads each cashier's
payments next to their sales. A cashier that is no short text is refused and changes
nothing; the report is for auditors and admins, not marketers."""
import pytest

from tests.support.assertions import unchanged

HOLDS = "/v1/terminal/holds"
REPORT = "/v1/staff/reports/cashier-payments"


def test_an_auditor_reads_the_payments_a_cashier_took(terminal, make_member, make_our_card, card_session, client,
                                                      staff_headers):
    session = card_session(make_our_card(make_member(points=1000)))["card_session"]
    hold = terminal.post(HOLDS, {"card_session": session, "points": 100, "cashier": "0042"})
    assert hold.status_code == 201, hold.json
    assert terminal.post(f"{HOLDS}/{hold.json['hold_id']}/capture", {}).status_code == 200

    report = client.get(REPORT, query_string={"days": 1}, headers=staff_headers("auditor"))

    assert report.status_code == 200, report.json
    assert report.json == [{"store_code": terminal.store_code, "cashier": "0042", "payments": 1, "points": 100,
                            "own_card": 0, "sales": 0}]


@pytest.mark.parametrize("cashier", ["", "x" * 33, 42])
def test_a_hold_naming_a_cashier_that_is_no_short_text_is_refused(terminal, make_member, make_our_card, card_session,
                                                                   database, cashier):
    session = card_session(make_our_card(make_member(points=1000)))["card_session"]
    with unchanged(database):
        refused = terminal.post(HOLDS, {"card_session": session, "points": 100, "cashier": cashier})
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["cashier"])


def test_the_cashiers_payments_are_for_auditors_not_marketers_and_bound_their_query(client, staff_headers):
    assert client.get(REPORT, headers=staff_headers("marketer")).status_code == 403
    refused = client.get(REPORT, query_string={"days": 0, "limit": 1001}, headers=staff_headers("admin"))
    assert (refused.status_code, sorted(refused.json["errors"])) == (422, ["days", "limit"])
