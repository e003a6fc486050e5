"""The nightly warnings announce each unused voucher whose end falls within the programme's
warning window once, with its code, reward and end (a reward name with quotes stays JSON);
used, cancelled, already expired and closed members' vouchers are not announced."""
import json
import uuid

import sqlalchemy as sa

from engine.jobs.runs import run_job
from engine.member_closure import CloseMember, close_member
from engine.rewards import (CancelVoucher, RedeemReward, UseVoucher, cancel_voucher, create_reward, redeem_reward,
                            use_voucher)


def redeem(database, clock, member, code):
    return redeem_reward(database, RedeemReward(code, member.public_id), caller="web",
                         idempotency_key=str(uuid.uuid4()), now=clock())


def test_each_unused_voucher_ending_within_the_window_is_announced_once(database, clock, make_member):
    create_reward(database, code="MUG", name='The "big" mug', points_price=100, valid_from=clock(),
                  voucher_valid_days=20, now=clock())
    create_reward(database, code="CUP", name="Cup", points_price=100, valid_from=clock(), voucher_valid_days=60,
                  now=clock())
    ada, bo, cy, di = (make_member(points=1000) for _ in range(4))
    announced = redeem(database, clock, ada, "MUG")
    redeem(database, clock, ada, "CUP")  # ends beyond the 30-day window
    used, cancelled = redeem(database, clock, bo, "MUG"), redeem(database, clock, bo, "MUG")
    use_voucher(database, UseVoucher(used.voucher_code), caller="S1-T1", idempotency_key="u", now=clock())
    cancel_voucher(database, CancelVoucher(cancelled.voucher_code), caller="web", idempotency_key="c", now=clock())
    redeem(database, clock, cy, "MUG")
    close_member(database, CloseMember(cy.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key="close", now=clock())
    [done] = run_job(database, "expiry_warnings", as_of=clock(), now=clock(), worker="test")
    assert done.summary == {"messages": 0, "vouchers": 1}
    with database.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT kind, member_id, payload FROM outbox_messages")).all()
        ada_pk = connection.scalar(sa.text("SELECT id FROM members WHERE public_id = :id"), {"id": ada.public_id})
    [(kind, member_pk, payload)] = rows
    assert (kind, member_pk) == ("voucher_expiry_warning", ada_pk)
    assert json.loads(payload) == {"voucher_code": announced.voucher_code, "reward_code": "MUG",
                                   "reward": 'The "big" mug',
                                   "expires_at": announced.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    clock.advance(days=1)
    assert run_job(database, "expiry_warnings", as_of=clock(), now=clock(), worker="test")[-1].summary == {
        "messages": 0, "vouchers": 0}
    # a month on, catching up day by day: ada's cup and di's new mug come within the window, once
    # each; ada's mug has ended unannounced again
    clock.advance(days=30)
    redeem(database, clock, di, "MUG")
    runs = run_job(database, "expiry_warnings", as_of=clock(), now=clock(), worker="test")
    assert (len(runs), sum(r.summary["vouchers"] for r in runs)) == (30, 2)
