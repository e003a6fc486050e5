"""Operator commands that change data are written to the audit log with the operator, the
arguments (never a password) and the outcome; commands that only read are not."""
import getpass

from engine.audit import list_audit


def test_a_command_that_changes_data_is_audited_with_its_arguments_and_outcome(run_cli, database):
    run_cli("campaigns", "create", "summer", "--name", "Summer", "--starts", "2026-01-01T00:00:00Z",
            "--ends", "2099-01-01T00:00:00Z")
    run_cli("campaigns", "end", "summer")
    refused = run_cli("campaigns", "end", "summer")
    assert refused.exit_code == 1
    entries = list_audit(database)
    assert [(e.actor, e.action, e.outcome) for e in entries] == [
        (f"cli:{getpass.getuser()}", "loyalty campaigns end", "refused campaign_ended"),
        (f"cli:{getpass.getuser()}", "loyalty campaigns end", "ok"),
        (f"cli:{getpass.getuser()}", "loyalty campaigns create", "ok")]
    assert entries[0].target == "summer" and entries[2].detail["name"] == "Summer"


def test_commands_that_only_read_leave_no_entry(run_cli, database):
    run_cli("campaigns", "list")
    run_cli("stores", "list")
    run_cli("rules", "versions")
    assert list_audit(database) == []


def test_a_password_given_to_a_command_is_never_written_to_the_audit_log(run_cli, database):
    made = run_cli("staff", "create", "mia", "--name", "Mia", "--role", "marketer",
                   "--password", "a long secret password")
    assert made.exit_code == 0, made.output
    (entry,) = list_audit(database)
    assert entry.action == "loyalty staff create" and entry.detail["password"] == "(hidden)"
    assert "a long secret password" not in str(entry)
