"""A till names the cashier who rang a return up; an auditor reads each cashier's returns next
to their sales. A cashier that is no short text is refused and changes nothing; the report is
for auditors and admins, not marketers."""
import pytest

from tests.api.conftest import refund_body
from tests.support.assertions import unchanged

REPORT = "/v1/staff/reports/cashier-refunds"


def test_an_auditor_reads_the_returns_a_cashier_rang_up(terminal, earned, client, staff_headers, clock):
    returned = terminal.post("/v1/terminal/refunds", refund_body(terminal, clock, cashier="0042"))
    assert returned.status_code == 201, returned.json

    report = client.get(REPORT, query_string={"days": 1}, headers=staff_headers("auditor"))

    assert report.status_code == 200, report.json
    assert report.json == [{"store_code": terminal.store_code, "cashier": "0042", "refunds": 1, "amount_minor": 1000,
                            "points_reversed": 10, "sales": 0, "own_sales_refunded": 0}]


@pytest.mark.parametrize("cashier", ["", "x" * 33, 42])
def test_a_return_naming_a_cashier_that_is_no_short_text_is_refused(terminal, earned, database, clock, cashier):
    with unchanged(database):
        refused = terminal.post("/v1/terminal/refunds", refund_body(terminal, clock, cashier=cashier))
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["cashier"])


def test_the_cashiers_returns_are_for_auditors_not_marketers_and_bound_their_query(client, staff_headers):
    assert client.get(REPORT, headers=staff_headers("marketer")).status_code == 403
    refused = client.get(REPORT, query_string={"days": 0, "limit": 1001}, headers=staff_headers("admin"))
    assert (refused.status_code, sorted(refused.json["errors"])) == (422, ["days", "limit"])
