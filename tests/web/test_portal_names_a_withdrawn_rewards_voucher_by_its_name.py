"""A voucher outlives its reward's time in the catalogue: "My vouchers" names it by the
reward's name after the reward is withdrawn, as before."""
from engine.rewards import RedeemReward, change_reward, create_reward, redeem_reward
from tests.web.conftest import text_of


def test_a_voucher_of_a_withdrawn_reward_is_still_named_by_the_rewards_name(browser, member_with_login, database,
                                                                          clock):
    create_reward(database, code="MUG", name="Enamel mug", points_price=10, valid_from=clock(), now=clock())
    member = member_with_login(points=100)
    voucher = redeem_reward(database, RedeemReward("MUG", member.public_id), caller="web", idempotency_key="k",
                            now=clock()).voucher_code
    clock.advance(days=1)
    change_reward(database, "MUG", valid_until=clock(), now=clock())  # withdrawn
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    assert f"Enamel mug · code {voucher}" in page
