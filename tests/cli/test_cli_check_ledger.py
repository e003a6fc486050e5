import sqlalchemy as sa

from tests.support.snapshot import contents_but_audit


def test_an_empty_ledger_is_sound(run_cli):
    result = run_cli("check-ledger")
    assert result.exit_code == 0 and result.output == "ledger sound: 0 transactions checked\n"


def test_a_sound_ledger_is_reported_with_the_number_of_transactions_checked(run_cli, cli_clock, make_member,
                                                                            earn):
    member = make_member(points=100)
    earn(member, 2500)
    result = run_cli("check-ledger")
    assert result.exit_code == 0 and result.output == "ledger sound: 2 transactions checked\n"


def test_a_balance_changed_behind_the_engine_is_named_and_the_check_exits_1(run_cli, database, make_member):
    member = make_member(points=100)
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE accounts SET balance = balance + 7 WHERE code = :code"),
                           {"code": f"member:{member.public_id}"})
    before = contents_but_audit(database)
    result = run_cli("check-ledger")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "ledger NOT sound: 2 problems in 1 transactions",
        f"  - account member:{member.public_id}: cached balance 107, entries sum to 100",
        f"  - account member:{member.public_id}: lots hold 100 points and debt is 0, but the balance is 107",
    ]
    assert contents_but_audit(database) == before, "the check only reads"


def test_a_ledger_table_that_accepts_updates_is_named(run_cli, database, make_member):
    make_member(points=100)
    with database.engine.begin() as connection:
        connection.execute(sa.text("DROP TRIGGER ledger_entries_no_update"))
    result = run_cli("check-ledger")
    assert result.exit_code == 1
    assert "  - table ledger_entries accepts update: its immutability trigger is missing" in result.output
