"""JSON answers are never cached and never sniffed: a sign-in's token, a member's balance
and a refusal alike carry ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``."""
from engine.access.member_logins import set_member_password
from tests.api.conftest import PASSWORD, PASSWORDS


def test_a_tokens_a_balance_and_a_refusal_are_neither_cached_nor_sniffed(client, make_member, database, clock):
    member = make_member()
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    signed_in = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD})
    balance = client.get("/v1/member/balance", headers={"Authorization": f"Bearer {signed_in.json['token']}"})
    refused = client.get("/v1/member/balance")
    for answer, status in ((signed_in, 201), (balance, 200), (refused, 401)):
        assert answer.status_code == status
        assert (answer.headers["Cache-Control"], answer.headers["X-Content-Type-Options"]) == ("no-store", "nosniff")
