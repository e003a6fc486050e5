import json

import pytest
from click.testing import CliRunner

from cli.ledger import cli_caller
from cli.main import loyalty
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from tests.support.assertions import contents_without_traces
from tests.support.snapshot import contents_but_audit

pytestmark = pytest.mark.usefixtures("cli_clock", "till")


def basket(member=None, **changes) -> dict:
    """A sale of 49.99 at the test till (store S1, terminal S1-T1), an hour before the clock's now.

    A change to ``...`` leaves the field out."""
    data = {
        "store_code": "S1", "terminal_code": "S1-T1", "receipt_number": "R1",
        "occurred_at": "2026-03-02T10:00:00+01:00", "currency": "EUR",
        "lines": [{"line_no": 1, "sku": "COFFEE-1KG", "quantity": "2", "amount_minor": 1999,
                   "category": "coffee", "brand": "Roastery"},
                  {"line_no": 2, "sku": "MUG", "quantity": 1.5, "amount_minor": 3001}],
        "member_id": member.public_id if member else ...,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.fixture
def basket_file(tmp_path):
    def write(data, name: str = "basket.json"):
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)
    return write


def test_a_basket_file_earns_points_per_line_for_the_member_it_names(run_cli, database, clock, make_member,
                                                                      basket_file):
    member = make_member()
    result = run_cli("earn", basket_file(basket(member)), "--key", "k-1")
    assert result.exit_code == 0, result.output
    assert "line 1: 20, line 2: 30" in result.output
    assert "points" in result.output and "50" in result.output
    assert "2026-03-16T09:00:00+00:00" in result.output  # pending for 14 days from the sale, told in UTC
    balance = get_balance(database, member.public_id, as_of=clock())
    assert (balance.balance, balance.pending, balance.available) == (50, 50, 0)
    assert check_ledger(database) == []


def test_a_basket_read_from_stdin_earns_for_the_holder_of_the_card(database, cli_clock, make_card):
    card = make_card()
    data = basket(card_number=card.number)
    result = CliRunner().invoke(loyalty, ["--database-url", str(database.url), "earn", "-", "--key", "k-1",
                                          "--json"], input=json.dumps(data), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    earned = json.loads(result.stdout)
    assert (earned["points"], earned["receipt_number"]) == (50, "R1")
    assert [line["points"] for line in earned["lines"]] == [20, 30]


def test_without_a_key_one_is_generated_and_printed_and_retrying_with_it_posts_nothing_twice(
        run_cli, database, make_member, basket_file):
    member = make_member()
    path = basket_file(basket(member))
    first = run_cli("earn", path)
    assert first.exit_code == 0, first.output
    printed = [line for line in first.stderr.splitlines() if line.startswith("idempotency key: ")]
    assert len(printed) == 1 and "--key" in printed[0]
    key = printed[0].split()[2]
    before = contents_but_audit(database)
    retry = run_cli("earn", path, "--key", key)
    assert retry.exit_code == 0, retry.output
    assert retry.stdout == first.stdout
    assert contents_but_audit(database) == before


def test_malformed_json_is_refused_saying_where_it_breaks_and_nothing_is_posted(run_cli, database, make_member,
                                                                                basket_file):
    make_member()
    before = contents_but_audit(database)
    result = run_cli("earn", basket_file('{"store_code": "S1", "lines": [}'), "--key", "k-1")
    assert result.exit_code == 1
    assert "basket: is not valid JSON: Expecting value at line 1 column 32 [invalid_input]" in result.output
    assert contents_but_audit(database) == before


def test_fields_of_the_wrong_type_are_each_named_and_nothing_is_posted(run_cli, database, make_member,
                                                                        basket_file):
    member = make_member()
    data = basket(member, occurred_at="2026-03-02T10:00:00", paid_with_points_minor="0", coupon="SAVE10")
    data["lines"][0].update(amount_minor=1999.0, quantity="two")
    data["lines"][1].update(quantity="1.2345", line_no=True)
    before = contents_but_audit(database)
    result = run_cli("earn", basket_file(data), "--key", "k-1")
    assert result.exit_code == 1
    assert "the input is not valid [invalid_input]" in result.output
    for problem in ("occurred_at: Must include a time zone", "paid_with_points_minor: Not a valid integer.",
                    "coupon: Unknown field.", "lines.0.amount_minor: Not a valid integer.",
                    "lines.0.quantity: Not a valid number.",
                    "lines.1.quantity: Must have at most 3 decimal places.",
                    "lines.1.line_no: Not a valid integer."):
        assert f"  - {problem}" in result.output
    assert contents_but_audit(database) == before


@pytest.mark.parametrize("document, problem", [
    ("[1, 2]", "basket: Must be a JSON object."),
    ('{"lines": "none"}', "lines: Not a valid list."),
], ids=["a list instead of an object", "lines that are not a list"])
def test_a_document_of_the_wrong_shape_is_refused_naming_the_field(run_cli, database, basket_file, document,
                                                                    problem):
    before = contents_but_audit(database)
    result = run_cli("earn", basket_file(document), "--key", "k-1")
    assert result.exit_code == 1 and problem in result.output
    assert contents_but_audit(database) == before


def test_a_basket_must_name_the_member_by_exactly_one_of_member_id_and_card_number(run_cli, database, make_card,
                                                                                   basket_file):
    card = make_card()
    before = contents_but_audit(database)
    both = run_cli("earn", basket_file(basket(member_id=card.member_id, card_number=card.number)),
                   "--key", "k-1")
    neither = run_cli("earn", basket_file(basket()), "--key", "k-2")
    for result in (both, neither):
        assert result.exit_code == 1
        assert "member_id: Give exactly one of member_id and card_number." in result.output
    assert contents_but_audit(database) == before


def test_a_basket_for_an_unknown_member_is_refused_and_only_the_refusal_is_remembered(
        run_cli, database, make_member, basket_file):
    member = make_member()
    data = basket(member, member_id="MNOSUCHMEMBER")
    before = contents_without_traces(database)
    result = run_cli("earn", basket_file(data), "--key", "k-1")
    assert result.exit_code == 1 and "unknown member 'MNOSUCHMEMBER' [unknown_member]" in result.output
    assert contents_without_traces(database) == before
    (answer,) = contents_but_audit(database)["idempotency_keys"]
    assert answer[1:3] == (cli_caller(), "k-1") and "refused" in answer


def test_a_basket_the_engine_finds_meaningless_is_refused_with_every_problem(run_cli, database, make_member,
                                                                             basket_file):
    member = make_member()
    data = basket(member, currency="USD", occurred_at="2026-03-03T10:00:00Z")
    data["lines"][1]["line_no"] = 1
    before = contents_without_traces(database)
    result = run_cli("earn", basket_file(data), "--key", "k-1")
    assert result.exit_code == 1
    assert "currency: the programme runs in EUR, not 'USD'" in result.output
    assert "occurred_at: lies in the future" in result.output
    assert "lines.1.line_no: must be a whole number from 1 to 2147483647, unique in the basket" in result.output
    assert contents_without_traces(database) == before


def test_a_receipt_earns_once_even_under_a_new_key(run_cli, database, make_member, basket_file):
    path = basket_file(basket(make_member()))
    assert run_cli("earn", path, "--key", "k-1").exit_code == 0
    before = contents_without_traces(database)
    again = run_cli("earn", path, "--key", "k-2")
    assert again.exit_code == 1
    assert "receipt R1 of terminal S1-T1 in store S1 has already earned points [receipt_already_earned]" \
        in again.output
    assert contents_without_traces(database) == before


def test_the_same_key_with_a_different_basket_is_refused_and_changes_nothing(run_cli, database, make_member,
                                                                              basket_file):
    member = make_member()
    assert run_cli("earn", basket_file(basket(member)), "--key", "k-1").exit_code == 0
    before = contents_but_audit(database)
    other = run_cli("earn", basket_file(basket(member, receipt_number="R2"), "other.json"), "--key", "k-1")
    assert other.exit_code == 1
    assert "idempotency key 'k-1' was already used for a different earn request" in other.output
    assert "[idempotency_key_reused]" in other.output
    assert contents_but_audit(database) == before


def test_a_basket_file_that_does_not_exist_is_a_usage_error(run_cli, tmp_path):
    result = run_cli("earn", str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "missing.json': No such file or directory" in result.output
