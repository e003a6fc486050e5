"""A payment code is kept for a retry of the request that asked for it only sealed with the
data keys: a copy of the database holds no code a shop would take, and the retry still gets
the code it asked for."""
import sqlalchemy as sa

from engine.payment_codes import IssuePaymentCode, issue_payment_code
from engine.sealing import DataKeys, use_data_keys
from tests.conftest import new_key

KEYS = DataKeys({1: bytes(range(32))})


def kept_answers(database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(sa.text(
            "SELECT response FROM idempotency_keys WHERE command = 'issue_payment_code'")))


def issue(database, clock, member, key):
    return issue_payment_code(database, IssuePaymentCode(member.public_id, 300), password=None, passwords=None,
                              caller=member.public_id, idempotency_key=key, now=clock())


def test_with_data_keys_the_kept_answer_holds_no_code_and_a_retry_gets_the_same_code(database, clock, make_member):
    use_data_keys(KEYS)
    ada, key = make_member(points=1000), new_key()
    issued = issue(database, clock, ada, key)
    [answer] = kept_answers(database)
    assert issued.code not in answer and "sealed:v1:1:" in answer
    assert issue(database, clock, ada, key) == issued


def test_without_data_keys_the_code_is_kept_as_it_is_as_every_sealed_secret(database, clock, make_member):
    ada, key = make_member(points=1000), new_key()
    issued = issue(database, clock, ada, key)
    assert issued.code in kept_answers(database)[0]
    use_data_keys(KEYS)  # keys turned on later: the answer kept before still replays
    assert issue(database, clock, ada, key) == issued
