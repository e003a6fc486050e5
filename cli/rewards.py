"""``loyalty rewards list | create | change | redeem`` and ``loyalty vouchers use | cancel | show``:
the rewards catalogue by hand. Redeem and cancel carry an idempotency key (``--key``; a
new one is printed when none is given)."""
from __future__ import annotations

import click

from cli.ledger import IsoInstant, cli_caller, idempotency_key
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine.rewards import (CancelVoucher, RedeemReward, UseVoucher, cancel_voucher, change_reward, create_reward,
                            get_voucher, list_rewards, redeem_reward, use_voucher)


@click.group("rewards")
def rewards_group() -> None:
    """The rewards catalogue: list, create, change, redeem."""


@rewards_group.command("list")
@click.option("--member", "member_id", help="Show the price this member pays (tier prices)")
@json_option
@pass_runtime
def list_command(runtime: Runtime, member_id: str | None, as_json: bool) -> None:
    """Rewards that can be redeemed now."""
    emit(list_rewards(runtime.db, as_of=runtime.now(), member_id=member_id),
         ["code", "name", "points_price", "price_for_member", "stock", "per_member_limit", "valid_until",
          "tier_prices"], as_json=as_json, title="rewards")


@rewards_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--price", "points_price", type=int, required=True, help="Points price")
@click.option("--stock", type=int, help="Units available (default: unlimited)")
@click.option("--per-member-limit", type=int, help="Redemptions per member (default: unlimited)")
@click.option("--valid-from", type=IsoInstant(), help="Default: now")
@click.option("--valid-until", type=IsoInstant())
@click.option("--tier-price", "tier_prices", multiple=True, metavar="TIER=POINTS", help="A tier's price")
@click.option("--voucher-days", "voucher_valid_days", type=int,
              help="Each voucher is usable through this many days after its issue (default: without end)")
@click.option("--tier-only", is_flag=True, help="Only for members of the tiers given a --tier-price")
@json_option
@pass_runtime
def create(runtime: Runtime, code, name, points_price, stock, per_member_limit, valid_from, valid_until,
           tier_prices, voucher_valid_days, tier_only, as_json) -> None:
    """Add reward CODE to the catalogue."""
    emit_one(create_reward(runtime.db, code=code, name=name, points_price=points_price, stock=stock,
                           per_member_limit=per_member_limit, valid_from=valid_from or runtime.now(),
                           valid_until=valid_until, tier_prices=_tier_prices(tier_prices),
                           voucher_valid_days=voucher_valid_days, tier_only=tier_only, now=runtime.now()),
             as_json=as_json)


@rewards_group.command("change")
@click.argument("code")
@click.option("--name")
@click.option("--price", "points_price", type=int, help="A new points price")
@click.option("--restock", type=int, help="Units added to the stock (negative: units written off)")
@click.option("--per-member-limit", type=int)
@click.option("--valid-until", type=IsoInstant(), help="A new end; now withdraws the reward")
@click.option("--tier-price", "tier_prices", multiple=True, metavar="TIER=POINTS",
              help="Replaces all tier prices with those given")
@click.option("--no-tier-prices", is_flag=True, help="Remove every tier price")
@click.option("--voucher-days", "voucher_valid_days", type=int,
              help="Days the next vouchers are usable (0: without end); issued vouchers keep theirs")
@click.option("--tier-only/--every-member", "tier_only", default=None,
              help="Only for members of its tiers, or for every member again")
@json_option
@pass_runtime
def change(runtime: Runtime, code, name, points_price, restock, per_member_limit, valid_until, tier_prices,
           no_tier_prices, voucher_valid_days, tier_only, as_json) -> None:
    """Change reward CODE for the redemptions from now on; what is not given stays."""
    if no_tier_prices and tier_prices:
        raise click.UsageError("give --tier-price or --no-tier-prices, not both")
    prices = {} if no_tier_prices else _tier_prices(tier_prices) if tier_prices else None
    emit_one(change_reward(runtime.db, code, name=name, points_price=points_price, restock=restock,
                           per_member_limit=per_member_limit, valid_until=valid_until, tier_prices=prices,
                           voucher_valid_days=voucher_valid_days, tier_only=tier_only, now=runtime.now()),
             as_json=as_json)


def _tier_prices(items: tuple[str, ...]) -> dict[str, int]:
    prices = {}
    for item in items:
        tier, _, points = item.partition("=")
        if not points.isdecimal():
            raise click.BadParameter(f"{item!r} is not TIER=POINTS", param_hint="'--tier-price'")
        prices[tier] = int(points)
    return prices


@rewards_group.command("redeem")
@click.argument("reward_code")
@click.argument("member_id")
@click.option("--key", help="Idempotency key (repeat it to retry safely)")
@json_option
@pass_runtime
def redeem(runtime: Runtime, reward_code: str, member_id: str, key: str | None, as_json: bool) -> None:
    """Spend MEMBER_ID's points on REWARD_CODE; prints the voucher."""
    emit_one(redeem_reward(runtime.db, RedeemReward(reward_code, member_id), caller=cli_caller(),
                           idempotency_key=idempotency_key(key), now=runtime.now()), as_json=as_json)


@click.group("vouchers")
def vouchers_group() -> None:
    """Vouchers: show, use once, cancel (points returned)."""


@vouchers_group.command("show")
@click.argument("code")
@json_option
@pass_runtime
def show(runtime: Runtime, code: str, as_json: bool) -> None:
    """A voucher and its state."""
    emit_one(get_voucher(runtime.db, code), as_json=as_json)


@vouchers_group.command("use")
@click.argument("code")
@click.option("--key", help="Idempotency key (repeat it to retry safely)")
@json_option
@pass_runtime
def use(runtime: Runtime, code: str, key: str | None, as_json: bool) -> None:
    """Use voucher CODE (once)."""
    emit_one(use_voucher(runtime.db, UseVoucher(code), caller=cli_caller(), idempotency_key=idempotency_key(key),
                         now=runtime.now()), as_json=as_json)


@vouchers_group.command("cancel")
@click.argument("code")
@click.option("--key", help="Idempotency key (repeat it to retry safely)")
@json_option
@pass_runtime
def cancel(runtime: Runtime, code: str, key: str | None, as_json: bool) -> None:
    """Cancel unused voucher CODE: its points and stock come back."""
    emit_one(cancel_voucher(runtime.db, CancelVoucher(code, after_its_end=True), caller=cli_caller(), idempotency_key=idempotency_key(key),
                            now=runtime.now()), as_json=as_json)


COMMANDS = (rewards_group, vouchers_group)
