"""The POS's JSON-lines interface driving a whole sale on the real reader stack."""
import io
import json

from terminal.pos_interface import PosInterface

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700}]


def talk(interface, *requests):
    out = io.StringIO()
    interface.serve(io.StringIO("".join(json.dumps(r) + "\n" for r in requests) + "not json\n"), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_pos_runs_a_sale_with_points_over_json_lines(fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = talk(PosInterface(make_agent()),
                   {"cmd": "start", "receipt": "P-1"},
                   {"cmd": "tap", "timeout": 5},
                   {"cmd": "basket", "lines": LINES},
                   {"cmd": "pay_points", "points": 200},
                   {"cmd": "accrue"},
                   {"cmd": "status"},
                   {"cmd": "wait_removal", "timeout": 0.3})
    assert [a["ok"] for a in answers] == [True] * 6 + [False, False]
    assert answers[6]["error"] == "CardWaitTimeout"
    assert answers[1]["member"]["display_name"] == "Ada Lovelace"
    assert answers[3]["state"] == "points paid"
    assert (answers[4]["state"], answers[4]["points"], answers[4]["queued"], answers[4]["balance"]) == (
        "done", 7, False, 307)
    assert answers[4]["member"]["display_name"] == "Ada Lovelace"  # the member the tap read
    assert answers[-1]["error"] == "BadRequest"
    assert fake_server.points_of("M1") == 307


def test_a_foreign_card_is_named_and_the_sale_waits_for_the_next_tap(fake_server, make_card,
                                                                      make_agent):
    make_card("foreign").tap()
    answers = talk(PosInterface(make_agent()), {"cmd": "start", "receipt": "P-2"},
                   {"cmd": "tap", "timeout": 5}, {"cmd": "bogus"})
    assert answers[1] == {"ok": False, "error": "ForeignCard", "state": "idle",
                          "message": answers[1]["message"]}
    assert "foreign card" in answers[1]["message"]
    assert answers[2]["error"] == "UnknownCommand"


def test_offline_the_pos_is_told_the_sale_is_queued_and_points_cannot_pay(fake_server, make_card,
                                                                          make_agent):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    fake_server.down = True
    interface = PosInterface(make_agent())
    answers = talk(interface, {"cmd": "start", "receipt": "P-3"}, {"cmd": "tap", "timeout": 5},
                   {"cmd": "basket", "lines": LINES}, {"cmd": "pay_points", "points": 10},
                   {"cmd": "accrue"})
    assert answers[1]["offline"] is True and answers[1]["member"] is None
    assert answers[3]["error"] == "RedemptionNeedsServer"
    assert answers[4]["queued"] is True
    fake_server.down = False
    assert talk(interface, {"cmd": "flush"})[0]["sent"] == 1
    assert fake_server.points_of("M1") == 507


def test_a_sale_started_with_a_cashier_names_them_online_and_from_the_outbox(fake_server, make_card, make_agent):
    fake_server.add_member("M1", points=500)
    card = make_card(card_key=fake_server.add_card("6280001234567890", "M1"))
    interface = PosInterface(make_agent())
    card.tap()
    online = talk(interface, {"cmd": "start", "receipt": "P-4", "cashier": "0042"}, {"cmd": "tap", "timeout": 5},
                  {"cmd": "basket", "lines": LINES}, {"cmd": "accrue"})
    fake_server.down = True
    offline = talk(interface, {"cmd": "start", "receipt": "P-5", "cashier": "0042"}, {"cmd": "tap", "timeout": 5},
                   {"cmd": "basket", "lines": LINES}, {"cmd": "accrue"})
    assert online[3]["queued"] is False and offline[3]["queued"] is True
    fake_server.down = False
    assert talk(interface, {"cmd": "flush"})[0]["sent"] == 1
    assert [(a["receipt_number"], a["cashier"]) for a in fake_server.accruals] == [("P-4", "0042"), ("P-5", "0042")]


def test_the_pos_gives_the_pin_after_the_tap_when_the_card_needs_it_to_pay(fake_server, make_card, make_agent):
    fake_server.add_member("M2", "Grace Hopper", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    answers = talk(PosInterface(make_agent()), {"cmd": "start", "receipt": "P-7"}, {"cmd": "tap", "timeout": 5},
                   {"cmd": "pin", "pin": "0000"}, {"cmd": "pin", "pin": 1234}, {"cmd": "pin", "pin": "1234"},
                   {"cmd": "basket", "lines": LINES}, {"cmd": "pay_points", "points": 100}, {"cmd": "accrue"})
    tapped, wrong, not_text, right = answers[1:5]
    assert tapped["can_redeem"] is False
    assert (wrong["ok"], wrong["error"], wrong["state"]) == (False, "ApiError", "authenticated")
    assert (not_text["error"], right) == ("BadRequest", {"ok": True, "can_redeem": True, "state": "authenticated"})
    assert answers[6]["ok"] and answers[7]["points"] == 7
    assert fake_server.points_of("M2") == 300 - 100 + 7


def test_a_cashier_id_the_server_would_refuse_is_refused_at_the_start_of_the_sale(make_agent):
    for cashier in ("", " 0042", "x" * 33, 42):
        refused = talk(PosInterface(make_agent()), {"cmd": "start", "receipt": "P-6", "cashier": cashier},
                       {"cmd": "status"})
        assert (refused[0]["error"], refused[1]["receipt"]) == ("SessionError", None)
        assert "cashier id is a text of 1 to 32 characters" in refused[0]["message"]


def test_the_pos_command_speaks_json_lines_on_its_pipes(fake_server, make_card, till_config):
    import os
    import subprocess
    import sys
    from pathlib import Path

    fake_server.add_member("M1", "Ada Lovelace", "gold", points=10)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    env = {**os.environ, **{f"LOYALTY_TERMINAL_{name.upper()}": str(value) for name, value in
                            vars(till_config).items()}}
    requests = [{"cmd": "start", "receipt": "PIPE-1"}, {"cmd": "tap", "timeout": 5},
                {"cmd": "basket", "lines": LINES}, {"cmd": "accrue"}]
    result = subprocess.run([str(Path(sys.executable).parent / "loyalty-terminal"), "pos"],
                            input="".join(json.dumps(r) + "\n" for r in requests), env=env,
                            capture_output=True, text=True, timeout=60)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert answers[1]["member"]["display_name"] == "Ada Lovelace"
    assert (answers[3]["state"], answers[3]["points"]) == ("done", 7)


def test_a_refused_payment_with_points_leaves_the_pos_sale_at_its_basket(fake_server, make_card, make_agent):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    interface = PosInterface(make_agent())
    talk(interface, {"cmd": "start", "receipt": "P-5"}, {"cmd": "tap", "timeout": 5}, {"cmd": "basket", "lines": LINES})
    fake_server.members["M1"]["available"] = 50
    refused, accrued = talk(interface, {"cmd": "pay_points", "points": 200}, {"cmd": "accrue"})[:2]
    assert (refused["ok"], refused["error"], refused["state"]) == (False, "ApiError", "basket")
    assert (accrued["ok"], accrued["state"], accrued["points"]) == (True, "done", 7)


def test_a_pos_records_a_return_by_receipt(fake_server, make_card, make_agent):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    interface = PosInterface(make_agent())
    talk(interface, {"cmd": "start", "receipt": "P-6"}, {"cmd": "tap", "timeout": 5}, {"cmd": "basket", "lines": LINES},
         {"cmd": "accrue"})
    returned, unknown = talk(interface, {"cmd": "refund", "receipt": "P-6", "occurred_at": "2026-12-02T12:00:00+00:00",
                                         "lines": [{"line_no": 1, "quantity": 2}]},
                             {"cmd": "refund", "receipt": "NO-SUCH", "occurred_at": "2026-12-02T12:00:00+00:00",
                                         "lines": [{"line_no": 1, "quantity": 1}]})[:2]
    assert (returned["ok"], returned["state"], returned["result"]["points_reversed"]) == (True, "done", 7)
    assert (unknown["ok"], unknown["error"], unknown["state"]) == (False, "ApiError", "failed")
    assert unknown["message"] == "No sale with this receipt."
    assert fake_server.points_of("M1") == 500


def test_a_return_names_the_cashier_who_rang_it_up(fake_server, make_card, make_agent):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    interface = PosInterface(make_agent())
    talk(interface, {"cmd": "start", "receipt": "P-8"}, {"cmd": "tap", "timeout": 5}, {"cmd": "basket", "lines": LINES},
         {"cmd": "accrue"})
    returned = talk(interface, {"cmd": "refund", "receipt": "P-8", "occurred_at": "2026-12-02T12:00:00+00:00",
                                "cashier": "0042", "lines": [{"line_no": 1, "quantity": 1}]})[0]
    assert returned["ok"], returned
    assert fake_server.refunds[-1]["cashier"] == "0042"


def test_a_payment_with_points_names_the_cashier_of_the_sale(fake_server, make_card, make_agent):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = talk(PosInterface(make_agent()), {"cmd": "start", "receipt": "P-9", "cashier": "0042"},
                   {"cmd": "tap", "timeout": 5}, {"cmd": "basket", "lines": LINES},
                   {"cmd": "pay_points", "points": 200}, {"cmd": "accrue"})
    assert [answer["ok"] for answer in answers] == [True] * 5 + [False], answers  # the last: "not json"
    assert [hold["cashier"] for hold in fake_server.holds.values()] == ["0042"]


def test_offline_a_basket_the_till_cannot_take_is_refused_at_once_and_never_queued(fake_server, make_card,
                                                                                  make_agent):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    fake_server.down = True
    agent = make_agent()
    bad = [dict(LINES[0], amount_minor=-700)]
    answers = talk(PosInterface(agent), {"cmd": "start", "receipt": "P-7"}, {"cmd": "tap", "timeout": 5},
                   {"cmd": "basket", "lines": bad}, {"cmd": "accrue"},
                   {"cmd": "basket", "lines": LINES, "occurred_at": "2026-12-02T12:00:00"},
                   {"cmd": "basket", "lines": LINES}, {"cmd": "accrue"})
    refused, too_early, naive_time = answers[2], answers[3], answers[4]
    assert (refused["ok"], refused["error"], refused["state"]) == (False, "InvalidBasket", "authenticated")
    assert "line 1: amount_minor must be a whole number of cents from 0 to 100000000000" in refused["message"]
    assert (too_early["ok"], too_early["error"]) == (False, "SessionError")
    assert (naive_time["error"], naive_time["state"]) == ("InvalidBasket", "authenticated")
    assert (answers[6]["ok"], answers[6]["queued"]) == (True, True)
    assert [entry.body["lines"] for entry in agent.outbox.pending()] == [LINES]


def test_a_request_missing_what_its_command_needs_is_answered_in_words_and_changes_nothing(make_agent):
    interface = PosInterface(make_agent())
    before_start, no_receipt, started, no_lines, points_as_words = talk(
        interface, {"cmd": "accrue"}, {"cmd": "start"}, {"cmd": "start", "receipt": "P-8"}, {"cmd": "basket"},
        {"cmd": "pay_points", "points": "ten"})[:5]
    assert (before_start["error"], before_start["message"]) == ("SessionError", "Start a sale first (cmd 'start').")
    assert (no_receipt["error"], no_receipt["message"]) == ("BadRequest", "Bad request: 'start' needs 'receipt'.")
    assert started["ok"] and started["state"] == "idle"
    assert (no_lines["message"], no_lines["state"]) == ("Bad request: 'basket' needs 'lines'.", "idle")
    assert (points_as_words["error"], points_as_words["state"]) == ("BadRequest", "idle")
