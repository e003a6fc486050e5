from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers


def test_a_reward_is_created_redeemed_used_once(run_cli, run_json, cli_clock, make_member):
    member = make_member(points=1000)
    created = run_json("rewards", "create", "MUG", "--name", "Mug", "--price", "300", "--stock", "3")
    assert created["stock"] == 3
    voucher = run_json("rewards", "redeem", "MUG", member.public_id, "--key", "k1")
    assert voucher["points"] == 300
    assert run_json("rewards", "list")[0]["stock"] == 2
    assert run_json("vouchers", "use", voucher["voucher_code"], "--key", "k2")["status"] == "used"
    again = run_cli("vouchers", "use", voucher["voucher_code"])
    assert again.exit_code == 1 and "voucher_not_usable" in again.output


def test_a_cancelled_voucher_gives_the_points_back(run_json, cli_clock, make_member):
    member = make_member(points=1000)
    run_json("rewards", "create", "BAG", "--name", "Bag", "--price", "400")
    voucher = run_json("rewards", "redeem", "BAG", member.public_id, "--key", "k2")
    assert run_json("vouchers", "cancel", voucher["voucher_code"], "--key", "c2")["status"] == "cancelled"
    assert run_json("balance", member.public_id)["available"] == 1000


def test_a_reward_is_restocked_and_repriced_and_a_write_off_below_zero_is_refused(run_cli, run_json, cli_clock):
    run_json("rewards", "create", "MUG", "--name", "Mug", "--price", "300", "--stock", "3")
    changed = run_json("rewards", "change", "MUG", "--restock", "5", "--price", "350")
    assert (changed["stock"], changed["points_price"]) == (8, 350)
    assert run_json("rewards", "change", "MUG", "--restock", "-2")["stock"] == 6
    refused = run_cli("rewards", "change", "MUG", "--restock", "-7")
    assert refused.exit_code == 1 and "would leave -1 units; there are 6" in refused.output
    both = run_cli("rewards", "change", "MUG", "--tier-price", "gold=5", "--no-tier-prices")
    assert both.exit_code == 2 and "not both" in both.output


def test_vouchers_get_an_end_from_the_rewards_days_and_zero_takes_it_away(run_cli, run_json, cli_clock, make_member):
    member = make_member(points=1000)
    assert run_json("rewards", "create", "MUG", "--name", "Mug", "--price", "300",
                    "--voucher-days", "30")["voucher_valid_days"] == 30
    assert run_json("rewards", "redeem", "MUG", member.public_id, "--key", "k1")["expires_at"] is not None
    assert run_json("rewards", "change", "MUG", "--voucher-days", "0")["voucher_valid_days"] is None
    assert run_json("rewards", "redeem", "MUG", member.public_id, "--key", "k2")["expires_at"] is None
    refused = run_cli("rewards", "change", "MUG", "--voucher-days", "-1")
    assert refused.exit_code == 1 and "voucher_valid_days" in refused.output


def test_a_reward_for_its_tiers_only_is_made_and_opened_again_on_the_command_line(run_cli, run_json, database, clock):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 5000)], TierPolicy(),
                 now=clock())
    made = run_json("rewards", "create", "LOUNGE", "--name", "Lounge", "--price", "900", "--tier-price", "gold=200",
                    "--tier-only")
    assert made["tier_only"] is True
    assert run_json("rewards", "change", "LOUNGE", "--every-member")["tier_only"] is False
