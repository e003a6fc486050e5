"""DEVELOPMENT AND DEMO TOOL: an order from the demo's web shop, and one paid with points.

``python -m terminal.devtools.demo_web_order --instance DIR --api-url URL`` posts an order of
the demo's online store (``WEB``) for Ada, as a web shop's backend posts its orders: signed
with the key of the store's terminal ``WEB-BACKEND`` (from ``DIR/demo-credentials.json``,
which ``loyalty demo load`` writes), naming the member instead of a card. Then Ada, signed
in to the member API, asks for a payment code, and the shop holds points of a second order
with it, then voids the hold as if the order were cancelled (so that running the demo again
finds Ada's points as they were). It prints what happened and exits 0, or says why not and
exits 1.
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from terminal.api_client import ApiClient, Credentials
from terminal.errors import ApiError, ApiUnreachable

SHOP_TERMINAL = "WEB-BACKEND"
CUSTOMER = "ada@example.org"
PAID_WITH_POINTS = 20  # the demo's Ada has a few dozen points to spend
ORDER_LINES = [{"line_no": 1, "sku": "COFFEE-GRINDER", "quantity": "1", "amount_minor": 4990, "category": "coffee"}]


def place_order(instance: Path, api_url: str) -> int:
    credentials = json.loads((instance / "demo-credentials.json").read_text())
    shop = credentials["terminals"][SHOP_TERMINAL]
    member_id = credentials["members"][CUSTOMER]["member_id"]
    order = {"store_code": shop["store_code"], "terminal_code": SHOP_TERMINAL,
             "receipt_number": f"WEB-{uuid.uuid4().hex[:8]}", "occurred_at": datetime.now(UTC).isoformat(),
             "currency": "EUR", "member_id": member_id, "lines": ORDER_LINES}
    api = ApiClient(api_url, Credentials(shop["key_id"], shop["secret"]))
    member_api = ApiClient(api_url, None)
    try:
        earned = api.accrue(order, idempotency_key=str(uuid.uuid4()))
        print(f"demo web shop ok: order {order['receipt_number']} earned {earned['points']} points for {member_id}")
        # the customer pays part of the next order with points: a code from the member API, typed at checkout
        token = member_api.request("POST", "/v1/member/sessions", {
            "email": CUSTOMER, "password": credentials["members"][CUSTOMER]["password"]}, signed=False)["token"]
        code = member_api.request("POST", "/v1/member/payment-codes", {"points": PAID_WITH_POINTS},
                                  idempotency_key=str(uuid.uuid4()), bearer=token, signed=False)["code"]
        paid_order = f"WEB-{uuid.uuid4().hex[:8]}"
        hold = api.request("POST", "/v1/terminal/holds", {
            "member_id": member_id, "payment_code": code, "points": PAID_WITH_POINTS, "receipt_number": paid_order},
            idempotency_key=str(uuid.uuid4()))
        api.void_hold(hold["hold_id"], idempotency_key=str(uuid.uuid4()))
    except (ApiError, ApiUnreachable) as failure:
        print(f"demo web shop check failed: {failure}", file=sys.stderr)
        return 1
    finally:
        api.close()
        member_api.close()
    print(f"demo web shop ok: order {paid_order} held {hold['points']} points with {member_id}'s payment code "
          f"{code}, then let them go (the order was cancelled)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.devtools.demo_web_order",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True, help="the demo's instance folder")
    parser.add_argument("--api-url", required=True, help="the running service, e.g. http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    return place_order(args.instance, args.api_url)


if __name__ == "__main__":
    raise SystemExit(main())
