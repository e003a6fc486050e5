"""The portal's "My vouchers" lists every voucher the member can still use, however many
(the newest 50 alone hid the oldest unused ones), and none used, cancelled or past its end."""
from engine.rewards import (CancelVoucher, RedeemReward, UseVoucher, cancel_voucher, create_reward, redeem_reward,
                            use_voucher)
from tests.web.conftest import text_of

MANY = 52  # more than a page of the member's vouchers


def test_the_home_page_lists_every_unused_voucher_and_none_used_or_cancelled(browser, member_with_login, database,
                                                                             clock):
    create_reward(database, code="PEN", name="Pen", points_price=1, valid_from=clock(), now=clock())
    member = member_with_login(points=MANY + 2)

    def redeem(number: int) -> str:
        return redeem_reward(database, RedeemReward("PEN", member.public_id), caller="web",
                             idempotency_key=f"k-{number}", now=clock()).voucher_code
    used, cancelled = redeem(0), redeem(1)
    unused = [redeem(number) for number in range(2, MANY + 2)]
    use_voucher(database, UseVoucher(used), caller="till", idempotency_key="use", now=clock())
    cancel_voucher(database, CancelVoucher(cancelled), caller="web", idempotency_key="cancel", now=clock())
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    assert [code for code in unused if code not in page] == []
    assert used not in page and cancelled not in page


def test_the_home_page_leaves_out_a_voucher_past_its_end(browser, member_with_login, database, clock):
    create_reward(database, code="CUP", name="Cup", points_price=1, valid_from=clock(), voucher_valid_days=1,
                  now=clock())
    create_reward(database, code="PEN", name="Pen", points_price=1, valid_from=clock(), now=clock())
    member = member_with_login(points=10)
    ended = redeem_reward(database, RedeemReward("CUP", member.public_id), caller="web", idempotency_key="k-1",
                          now=clock()).voucher_code
    clock.advance(days=2)
    kept = redeem_reward(database, RedeemReward("PEN", member.public_id), caller="web", idempotency_key="k-2",
                         now=clock()).voucher_code
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    assert kept in page and ended not in page
