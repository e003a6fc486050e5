"""``loyalty-terminal``: the till agent's commands.

    loyalty-terminal [--config till.toml] readers      # the connected card readers
    loyalty-terminal doctor                             # pcscd, reader, server, credentials
    loyalty-terminal pos                                # JSON lines for POS software (stdin/stdout)
    loyalty-terminal cashier [--cashier-id 0042]        # interactive cashier screen
    loyalty-terminal flush                              # replay the offline outbox now
    loyalty-terminal outbox [--resend SEQ]              # what waits in the outbox; a refused entry again
    loyalty-terminal issue-card --member-id M --username clerk   # issuing station (staff)

Configuration: see ``terminal.config`` (a TOML file and ``LOYALTY_TERMINAL_*`` variables).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from terminal.api_client import ApiClient, Credentials
from terminal.basket import has_decimals
from terminal.config import TerminalConfig
from terminal.errors import ApiError, ApiUnreachable, TerminalError

CENT = Decimal("0.01")


def build_agent(config: TerminalConfig, *, with_reader: bool = True):
    """The till agent; without the reader for what needs none (sending the outbox: a till
    whose reader is unplugged, or whose pcscd is down, still sends its queued sales)."""
    from terminal.agent import TillAgent
    from terminal.outbox import Outbox
    from terminal.reader import Reader

    return TillAgent(config, reader=Reader(config.reader or None) if with_reader else None, api=api_for(config),
                     outbox=Outbox(config.outbox))


def api_for(config: TerminalConfig) -> ApiClient:
    return ApiClient(config.api_url, Credentials(config.key_id, config.secret),
                     timeout=config.api_timeout)


def doctor(config: TerminalConfig, out=print) -> bool:
    """Check every part the till needs; print one line per check; True when all pass."""
    from terminal.reader import list_readers, pick_reader

    ok = True

    def check(name, run):
        nonlocal ok
        try:
            detail = run()
            out(f"ok    {name}: {detail}")
        except (TerminalError, OSError, ValueError) as error:
            ok = False
            out(f"FAIL  {name}: {getattr(error, 'message', error)}")

    readers: list[str] = []

    def pcscd():
        readers.extend(list_readers())
        return f"running, {len(readers)} reader(s)"

    check("card reader service (pcscd)", pcscd)
    check("reader", lambda: pick_reader(config.reader or None, readers))
    api = api_for(config)

    def reachable():
        response = api.http.get(config.api_url.rstrip("/") + "/health", timeout=config.api_timeout)
        return f"{config.api_url} answers HTTP {response.status_code}"

    def credentials():
        if not (config.key_id and config.secret):
            raise ValueError("no key_id/secret configured")
        try:
            api.card_challenge("0000000000000000")
        except ApiError as error:
            if error.status in (401, 403):
                raise
            return f"accepted for key '{config.key_id}'"
        return f"accepted for key '{config.key_id}'"

    def wrap(run):
        def inner():
            try:
                return run()
            except Exception as error:  # requests errors -> a line, not a traceback
                if isinstance(error, TerminalError):
                    raise
                raise ApiUnreachable(f"The loyalty server cannot be reached ({type(error).__name__}).")
        return inner

    check("loyalty server", wrap(reachable))
    check("terminal credentials", wrap(credentials))
    api.close()
    return ok


def cashier(agent, console=None, ask=input, cashier_id: str | None = None, ask_secret=getpass.getpass) -> None:
    """The interactive cashier screen: one sale after another until Ctrl-D / Ctrl-C / 'q'; each
    sale names ``cashier_id`` (the operator signed on) when given. A card that pays with points
    only with the member's PIN asks for it (``ask_secret``: typed unseen). Ctrl-D or Ctrl-C in
    the middle of a sale calls it off (points paid go back) and ends the screen. At its start,
    points paid for sales the till left unfinished when it stopped are given back."""
    from rich.console import Console
    from rich.panel import Panel

    from terminal.basket import checked_receipt_number
    from terminal.errors import ForeignCard, InvalidBasket
    from terminal.session import PosSession, State

    console = console or Console()
    console.print(Panel("Loyalty till - cashier mode. Enter a receipt number to start a sale, "
                        "'r' for a return, 'v' for a reward voucher, 'f' to send queued sales, 'q' to quit.",
                        title="loyalty-terminal", subtitle=f"cashier {cashier_id}" if cashier_id else None))
    for said in payments_given_back(agent):
        console.print(Panel(said, title="points paid, sale unfinished", style="yellow"))
    last_card_left = False  # the last sale's card still lay on the reader when it ended
    while True:
        try:
            receipt = ask("receipt> ").strip()
        except (EOFError, KeyboardInterrupt):  # Ctrl-D / Ctrl-C: the cashier leaves the screen
            return
        if receipt in ("q", "quit"):
            return
        if not receipt:
            continue
        if receipt == "f":
            report = agent.flush_outbox()
            console.print(f"Sent {report.sent}, refused {report.rejected}, still waiting {report.left}.")
            continue
        try:
            if receipt == "r":
                _cashier_return(agent, console, ask, cashier_id)
                continue
            if receipt == "v":
                _cashier_voucher(agent, console, ask)
                continue
        except (EOFError, KeyboardInterrupt):  # the cashier leaves the screen: no sale is open
            return
        try:  # now, before the member taps and the cashier types the basket for nothing
            checked_receipt_number(receipt)
        except InvalidBasket as error:
            console.print(f"[red]{error.message}[/red]")
            continue
        session = PosSession(receipt, cashier=cashier_id)
        try:
            if last_card_left:  # the last customer's card would earn this sale at once
                _reader_emptied(agent, console)
            console.print("[bold]Please tap the loyalty card...[/bold]")
            while True:
                try:
                    member = agent.tap(session)
                    break
                except ForeignCard as error:
                    console.print(f"[yellow]{error.message}[/yellow] Waiting for a loyalty card...")
                    agent.reader.wait_for_removal(timeout=agent.config.tap_timeout)
            if member is None:
                console.print(Panel(f"{session.offline_reason or 'The loyalty server cannot be reached.'} "
                                    "This sale will earn points later; paying with points is not possible.",
                                    title="offline", style="yellow"))
            else:
                console.print(Panel(f"[bold]{member.display_name}[/bold]   tier: {member.tier}\n"
                                    f"points: {member.available}  (pending {member.pending})",
                                    title="member", style="green"))
            agent.give_basket(session, _ask_lines(console, ask))
            if session.can_redeem or _pin_given(agent, session, console, ask_secret):
                _ask_points_to_pay(agent, session, console, ask)
            if session.paid is not None and not _rest_of_the_bill_paid(console, ask):
                _call_off(agent, session, console)
            else:
                _earn(agent, session, console)
        except (TerminalError, ValueError) as error:
            if session.hold is not None:
                agent.abort(session, getattr(error, "message", str(error)))
            console.print(Panel(getattr(error, "message", str(error)), title="not done",
                                style="red"))
        except (EOFError, KeyboardInterrupt):
            # the input ended (Ctrl-D) or the cashier broke off (Ctrl-C) mid-sale: the sale is
            # called off, so points paid go back to the member now rather than with the process
            if session.state not in (State.DONE, State.FAILED):
                _call_off(agent, session, console)
            return
        last_card_left = session.card is not None and _card_on_reader(agent)


def payments_given_back(agent) -> list[str]:
    """At the till's start: give back the points paid for sales it left unfinished when it
    stopped (a crash, kill -9, a power cut); what became of each, for the cashier."""
    said = []
    for payment, entry in agent.give_back_unfinished_payments():
        what = (f"The {payment.points} points paid for sale {payment.receipt_number}, left unfinished when the "
                "till stopped,")
        if entry.status == "sent":
            said.append(f"{what} were given back to the member.")
        elif entry.status == "pending":
            said.append(f"{what} will be given back to the member once the loyalty server can be reached.")
        else:
            said.append(f"{what} were not given back ({entry.last_error}): call support.")
    return said


def _card_on_reader(agent) -> bool:
    """Whether a card lies on the reader now (False when the reader cannot say: the next tap
    tells the cashier what is wrong with it)."""
    from terminal.errors import CardWaitTimeout, TerminalError

    try:
        agent.reader.wait_for_removal(timeout=0.05)
    except CardWaitTimeout:
        return True
    except TerminalError:
        return False
    return False


def _reader_emptied(agent, console) -> None:
    """Return once no card is on the reader (CardWaitTimeout when one stays): the card the
    last sale read, still lying there, would earn this sale at once."""
    if _card_on_reader(agent):
        console.print("[yellow]A card is still on the reader: take it off for the next customer.[/yellow]")
        agent.reader.wait_for_removal(timeout=agent.config.tap_timeout)


def _pin_given(agent, session, console, ask_secret) -> bool:
    """For a card that pays with points only with the member's PIN: the PIN, asked until it
    is right or the member types none; whether the card may now pay with points. A refusal
    (a wrong PIN, a lockout) is shown; the sale goes on and earns whatever happens."""
    if session.offline or session.member is None:
        return False
    while True:
        pin = ask_secret("member PIN to pay with points (enter = no points)> ").strip()
        if not pin:
            return False
        try:
            return agent.give_pin(session, pin)
        except TerminalError as error:
            console.print(f"[red]{error.message}[/red]")


def _ask_points_to_pay(agent, session, console, ask) -> None:
    """Pay part of the bill with points if the member wants to; a refusal (a typo, more
    points than the member has) is shown and the question asked again: the sale goes on."""
    from terminal.session import State

    while True:
        typed = ask("pay with points (enter = none)> ").strip()
        if not typed:
            return
        if not typed.isdecimal():
            console.print("[red]Type a whole number of points, or press enter to pay none.[/red]")
            continue
        try:
            hold = agent.pay_with_points(session, int(typed))
        except TerminalError as error:
            if session.state is not State.BASKET:
                raise  # the sale itself failed
            console.print(f"[red]{error.message}[/red]")
            continue
        console.print(f"Paid {hold.points} points = {hold.value_minor / 100:.2f} {agent.config.currency}.")
        return


def _earn(agent, session, console) -> None:
    from rich.panel import Panel

    result = agent.accrue(session)
    if result is None:
        console.print(f"[yellow]{session.message}[/yellow]")
    else:
        console.print(Panel(f"Points earned: [bold]{result.get('points')}[/bold]\n"
                            f"Balance now: {result.get('balance', '?')} (pending points included)",
                            title="done", style="green"))


def _rest_of_the_bill_paid(console, ask) -> bool:
    """After a payment with points: whether the customer paid the rest, so that the sale
    earns; False when the cashier calls the sale off (the customer cannot pay, or changed
    their mind)."""
    while True:
        typed = ask("rest of the bill paid? (enter = yes, the sale earns; 'x' = call the sale off)> ").strip()
        if not typed:
            return True
        if typed.lower() == "x":
            return False
        console.print("[red]Press enter once the rest is paid, or type 'x' to call the sale off.[/red]")


def _call_off(agent, session, console) -> None:
    """Call the sale off and say what became of the points paid with: given back, or to be
    given back once the server can be reached (the return waits in the outbox)."""
    from rich.panel import Panel

    try:
        agent.cancel(session, "Sale called off.")
    except TerminalError:
        console.print(Panel(session.message, title="called off", style="red"))
        return
    console.print(Panel(session.message, title="called off", style="yellow"))


def _ask_lines(console, ask) -> list[dict]:
    console.print("Basket lines as 'SKU PRICE [QUANTITY]' (price in major units), empty line to finish.")
    lines = []
    while True:
        text = ask(f"line {len(lines) + 1}> ").strip()
        if not text:
            if lines:
                return lines
            continue
        try:
            lines.append(_basket_line(text, len(lines) + 1))
        except ValueError as error:
            console.print(f"[red]{error}[/red]")


def _basket_line(text: str, line_no: int) -> dict:
    """``"COFFEE 3.50 2"`` -> a basket line: the price is per unit in major units, the quantity
    1 when left out (3 decimals for weighed goods), the line's amount rounded half up to the
    cent. Anything else is a ValueError that says how to write it."""
    parts = text.split()
    example = "write e.g. 'COFFEE 3.50 2' (SKU, unit price, quantity if not 1)"
    if len(parts) not in (2, 3):
        raise ValueError(f"{text!r}: {example}.")
    try:
        price, quantity = Decimal(parts[1]), Decimal(parts[2] if len(parts) == 3 else 1)
    except InvalidOperation:
        raise ValueError(f"{text!r}: price and quantity are numbers; {example}.") from None
    if not (has_decimals(price, 2) and price >= 0):
        raise ValueError(f"{parts[1]!r} is not a price: 0 or more, with at most two decimals.")
    if not (has_decimals(quantity, 3) and quantity > 0):
        raise ValueError(f"{parts[2]!r} is not a quantity: more than 0, with at most three decimals.")
    amount = (price * quantity).quantize(CENT, ROUND_HALF_UP)
    return {"line_no": line_no, "sku": parts[0], "quantity": f"{quantity:f}", "amount_minor": int(amount * 100)}


def _cashier_return(agent, console, ask, cashier_id: str | None = None) -> None:
    from rich.panel import Panel

    from terminal.session import PosSession

    receipt = ask("original receipt> ").strip()
    till = ask(f"till of the sale [{agent.config.terminal_code}]> ").strip() or None
    try:
        lines = _returned_lines(ask("returned lines as LINE or LINE:QUANTITY (e.g. '1 3:2')> "))
    except ValueError as error:
        console.print(Panel(str(error), title="not done", style="red"))
        return
    session = PosSession(f"return-of-{receipt}", cashier=cashier_id)
    try:
        result = agent.refund(session, original_receipt=receipt, occurred_at=datetime.now(timezone.utc), lines=lines,
                              original_till=till)
    except TerminalError as error:
        console.print(Panel(error.message, title="not done", style="red"))
        return
    if result is None:  # behind its sale, which still waits in this till's outbox
        console.print(Panel(session.message, title="return saved", style="yellow"))
        return
    told = [f"Points taken back: {result['points_reversed']}"]
    if result.get("points_expired"):  # (a server before 2026-12-07 does not say)
        told.append(f"Of those, expired already (not taken from the member again): {result['points_expired']}")
    if result["points_returned"]:
        told.append(f"Points paid with, given back: {result['points_returned']}")
    if result["debt_created"]:
        told.append(f"Points the member now owes: {result['debt_created']}")
    told.append(f"New balance: {result['balance']}")
    console.print(Panel("\n".join(told), title="return recorded", style="green"))


def _cashier_voucher(agent, console, ask) -> None:
    """Take a reward voucher the member shows (redeemed online): used once, then the reward
    is handed over. Needs the server: offline the cashier is told so and nothing is used."""
    from rich.panel import Panel

    try:
        taken = agent.take_voucher(ask("voucher code> "))
    except TerminalError as error:
        console.print(Panel(error.message, title="not done", style="red"))
        return
    console.print(Panel(f"Hand over the reward [bold]{taken['reward_code']}[/bold] "
                        f"(voucher {taken['voucher_code']}, now used).", title="reward", style="green"))


def _returned_lines(text: str) -> list[dict]:
    """``"1 3:2"`` -> line 1 (quantity 1) and line 3 (quantity 2); a clear error otherwise."""
    lines = []
    for item in text.split():
        number, _, quantity = item.partition(":")
        try:
            line = {"line_no": int(number), "quantity": str(Decimal(quantity or "1"))}
        except (ValueError, InvalidOperation):
            raise ValueError(f"{item!r} is not a line: write the line number, or LINE:QUANTITY as in '3:2'.") from None
        if not Decimal(line["quantity"]).is_finite():  # 'nan', 'inf': no count of goods (and NaN cannot be compared)
            raise ValueError(f"{item!r} is not a line: write the line number, or LINE:QUANTITY as in '3:2'.")
        if line["line_no"] < 1 or Decimal(line["quantity"]) <= 0:
            raise ValueError(f"{item!r}: line numbers start at 1 and a quantity is more than 0.")
        lines.append(line)
    if not lines:
        raise ValueError("No line to return: write the numbers of the returned lines.")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loyalty-terminal", description="The loyalty till agent.")
    parser.add_argument("--config", help="TOML configuration file (or $LOYALTY_TERMINAL_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("readers", "list the card readers"), ("doctor", "check pcscd, reader, server"),
                       ("pos", "JSON lines for POS software on stdin/stdout"), ("flush", "replay the outbox")):
        commands.add_parser(name, help=text)
    outbox = commands.add_parser("outbox", help="list the outbox")
    outbox.add_argument("--resend", type=int, metavar="SEQ",
                        help="put an entry the server refused back in line (once its cause is put right); "
                             "the next flush sends it")
    screen = commands.add_parser("cashier", help="interactive cashier screen")
    screen.add_argument("--cashier-id", help="the operator signed on: every sale names them (fraud checks)")
    issue = commands.add_parser("issue-card", help="issuing station: write a new card (staff)")
    issue.add_argument("--member-id", required=True)
    issue.add_argument("--username", required=True)
    issue.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args(argv)
    try:
        config = TerminalConfig.load(args.config)
        if args.command == "readers":
            from terminal.reader import list_readers
            for name in list_readers():
                print(name)
            return 0
        if args.command == "doctor":
            return 0 if doctor(config) else 1
        if args.command == "issue-card":
            from terminal.issuing import issue_card
            from terminal.reader import Reader
            password = os.environ.get("LOYALTY_STAFF_PASSWORD") or getpass.getpass("staff password: ")
            print("Put the blank card on the reader...", file=sys.stderr)
            issued = issue_card(api_for(config), Reader(config.reader or None),
                                username=args.username, password=password,
                                member_id=args.member_id, timeout=args.timeout)
            print(f"card {issued.card_number} (key version {issued.key_version}) written and locked")
            return 0
        if args.command == "outbox":
            from terminal.agent import new_key
            from terminal.outbox import Outbox
            if args.resend is not None:
                entry = Outbox(config.outbox).resend(args.resend, new_key())
                print(f"entry {entry.seq} waits again; `loyalty-terminal flush` sends it")
                return 0
            for entry in Outbox(config.outbox).entries():
                print(f"{entry.seq:6d} {entry.status:8s} {entry.kind:14s} {entry.body.get('receipt_number', ''):20s} "
                      f"attempts={entry.attempts} {entry.last_error or ''}")
            return 0
        agent = build_agent(config, with_reader=args.command != "flush")
        if args.command == "flush":
            report = agent.flush_outbox()
            print(f"sent {report.sent}, refused {report.rejected}, waiting {report.left}")
            return 0 if report.left == 0 else 1
        if args.command == "pos":
            from terminal.pos_interface import PosInterface
            for said in payments_given_back(agent):  # stdout is the POS's: JSON lines only
                print(said, file=sys.stderr)
            PosInterface(agent).serve()
            return 0
        if args.command == "cashier":
            from terminal.session import cashier_id
            cashier(agent, cashier_id=cashier_id(args.cashier_id))
            return 0
    except TerminalError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
