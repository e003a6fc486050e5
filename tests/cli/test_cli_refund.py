import pytest

from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from tests.support.assertions import contents_without_traces
from tests.support.snapshot import contents_but_audit

pytestmark = pytest.mark.usefixtures("cli_clock", "till")

OF_THE_SALE = ("--store", "S1", "--terminal", "S1-T1", "--receipt", "R1")


def test_returning_a_line_takes_back_exactly_what_it_earned(run_json, database, clock, make_member, earn):
    member = make_member()
    earn(member, 1999, 3001, receipt="R1")
    refunded = run_json("refund", *OF_THE_SALE, "--line", "2:1", "--key", "refund-1")
    assert (refunded["points_reversed"], refunded["amount_minor"], refunded["balance"]) == (30, 3001, 20)
    assert get_balance(database, member.public_id, as_of=clock()).balance == 20
    assert check_ledger(database) == []


def test_lines_returned_in_parts_with_decimal_quantities_end_at_what_they_earned(run_json, database, make_member,
                                                                                earn):
    earned = earn(make_member(), 1000, 2000, quantities=["1.5", 3], receipt="R1")
    assert earned.points == 30
    first = run_json("refund", *OF_THE_SALE, "--line", "1:0.5", "--line", "2:1", "--key", "refund-1")
    rest = run_json("refund", *OF_THE_SALE, "--line", "1:1.000", "--line", "2:2", "--key", "refund-2")
    assert first["points_reversed"] + rest["points_reversed"] == 30
    assert rest["balance"] == 0
    assert check_ledger(database) == []


def test_a_refund_keeps_the_time_the_goods_came_back(run_json, database, make_member, earn, clock):
    member = make_member()
    earn(member, 1000, receipt="R1")
    clock.advance(days=2)
    run_json("refund", *OF_THE_SALE, "--line", "1:1", "--occurred-at", "2026-03-03T18:30:00+01:00",
             "--key", "refund-1")
    (refund, *_) = run_json("history", member.public_id)
    assert (refund["kind"], refund["occurred_at"]) == ("refund", "2026-03-03T17:30:00+00:00")
    assert check_ledger(database) == []


def test_returning_more_than_was_bought_is_refused_and_changes_nothing(run_cli, database, make_member, earn):
    earn(make_member(), 1000, quantities=[2], receipt="R1")
    assert run_cli("refund", *OF_THE_SALE, "--line", "1:1.5", "--key", "refund-1").exit_code == 0
    before = contents_without_traces(database)
    result = run_cli("refund", *OF_THE_SALE, "--line", "1:1", "--key", "refund-2")
    assert result.exit_code == 1
    assert "line 1 (SKU1): 2.000 bought, 1.500 already returned, 1.000 cannot be returned " \
           "[refund_exceeds_purchase]" in result.output
    assert contents_without_traces(database) == before


def test_a_refund_of_a_receipt_that_never_earned_is_refused(run_cli, database, make_member, earn):
    earn(make_member(), 1000, receipt="R1")
    before = contents_without_traces(database)
    result = run_cli("refund", "--store", "S1", "--terminal", "S1-T1", "--receipt", "R404", "--line", "1:1",
                     "--key", "refund-1")
    assert result.exit_code == 1
    assert "no receipt R404 of terminal S1-T1 in store S1 earned points [unknown_receipt]" in result.output
    assert contents_without_traces(database) == before


def test_a_line_the_receipt_does_not_have_or_named_twice_is_refused(run_cli, database, make_member, earn):
    earn(make_member(), 1000, receipt="R1")
    before = contents_without_traces(database)
    missing = run_cli("refund", *OF_THE_SALE, "--line", "7:1", "--key", "refund-1")
    assert missing.exit_code == 1 and "lines: receipt R1 has no line 7 [invalid_input]" in missing.output
    twice = run_cli("refund", *OF_THE_SALE, "--line", "1:0.5", "--line", "1:0.5", "--key", "refund-2")
    assert twice.exit_code == 1 and "lines.1.line_no: line 1 is named twice" in twice.output
    assert contents_without_traces(database) == before


@pytest.mark.parametrize("line, message", [
    ("1", "'1' is not LINE_NO:QTY, e.g. 2:1 or 3:0.5"),
    ("one:1", "'one:1' is not LINE_NO:QTY"),
    ("1:some", "'1:some': quantity: Not a valid number."),
    ("1:0.0005", "'1:0.0005': quantity: Must have at most 3 decimal places."),
], ids=["no quantity", "a line that is not a number", "a quantity that is not a number", "four decimals"])
def test_a_returned_line_that_cannot_be_read_is_a_usage_error_and_nothing_is_refunded(
        run_cli, database, make_member, earn, line, message):
    earn(make_member(), 1000, receipt="R1")
    before = contents_but_audit(database)
    result = run_cli("refund", *OF_THE_SALE, "--line", line, "--key", "refund-1")
    assert result.exit_code == 2 and message in result.output
    assert contents_but_audit(database) == before


def test_a_refund_without_lines_is_a_usage_error(run_cli):
    result = run_cli("refund", *OF_THE_SALE)
    assert result.exit_code == 2 and "Missing option '--line'" in result.output


def test_the_same_key_with_other_lines_is_refused(run_cli, database, make_member, earn):
    earn(make_member(), 1000, 2000, receipt="R1")
    assert run_cli("refund", *OF_THE_SALE, "--line", "1:1", "--key", "refund-1").exit_code == 0
    before = contents_but_audit(database)
    other = run_cli("refund", *OF_THE_SALE, "--line", "2:1", "--key", "refund-1")
    assert other.exit_code == 1 and "[idempotency_key_reused]" in other.output
    assert contents_but_audit(database) == before


def test_a_refund_without_a_key_prints_how_to_retry_it_later_as_the_same_request(run_cli, database, clock,
                                                                                  make_member, earn):
    earn(make_member(), 1000, receipt="R1")
    first = run_cli("refund", *OF_THE_SALE, "--line", "1:1")
    assert first.exit_code == 0, first.output
    (hint,) = [line for line in first.stderr.splitlines() if line.startswith("idempotency key: ")]
    retry_options = hint.split("repeat it with ")[1].rstrip(")").split()
    assert retry_options[2:] == ["--occurred-at", "2026-03-02T10:00:00+00:00"]
    clock.advance(minutes=5)
    before = contents_but_audit(database)
    retry = run_cli("refund", *OF_THE_SALE, "--line", "1:1", *retry_options)
    assert retry.exit_code == 0 and retry.stdout == first.stdout
    assert contents_but_audit(database) == before
