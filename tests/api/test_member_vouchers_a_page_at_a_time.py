"""A member's vouchers come a page at a time (``limit`` and ``offset``, as the history does),
newest first, so that every voucher, the oldest unused one too, can be reached."""
from engine.rewards import RedeemReward, create_reward, redeem_reward


def redeemed(database, clock, member, count: int) -> list[str]:
    create_reward(database, code="PEN", name="Pen", points_price=1, valid_from=clock(), now=clock())
    return [redeem_reward(database, RedeemReward("PEN", member.public_id), caller="web",
                          idempotency_key=f"k-{number}", now=clock()).voucher_code for number in range(count)]


def codes(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [voucher["voucher_code"] for voucher in response.json]


def test_a_limit_and_an_offset_page_through_every_voucher_newest_first(client, member_headers, make_member,
                                                                        database, clock):
    member = make_member(points=10)
    oldest, middle, newest = redeemed(database, clock, member, 3)
    headers = member_headers(member)
    assert codes(client.get("/v1/member/vouchers?limit=2", headers=headers)) == [newest, middle]
    assert codes(client.get("/v1/member/vouchers?limit=2&offset=2", headers=headers)) == [oldest]
    assert codes(client.get("/v1/member/vouchers", headers=headers)) == [newest, middle, oldest]


def test_more_vouchers_than_the_default_page_are_reached_with_a_larger_limit(client, member_headers, make_member,
                                                                               database, clock):
    member = make_member(points=60)
    made = redeemed(database, clock, member, 55)
    headers = member_headers(member)
    assert codes(client.get("/v1/member/vouchers?limit=100", headers=headers)) == made[::-1]
    assert codes(client.get("/v1/member/vouchers?offset=50", headers=headers)) == made[4::-1]


def test_a_limit_out_of_range_is_refused_naming_it(client, member_headers, make_member):
    response = client.get("/v1/member/vouchers?limit=0", headers=member_headers(make_member()))
    assert (response.status_code, list(response.json["errors"])) == (422, ["limit"]), response.json


def test_the_openapi_document_shows_the_vouchers_paging(client):
    listed = client.get("/openapi.json").json["paths"]["/v1/member/vouchers"]["get"]
    assert {p["name"] for p in listed["parameters"] if p["in"] == "query"} == {"limit", "offset"}
