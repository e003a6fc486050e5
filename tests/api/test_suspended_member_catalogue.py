"""A suspended member's catalogue offers nothing as redeemable (redeeming is refused
``member_not_active``), though it still says what they could afford; reinstated, it does again."""
from engine.member_suspension import ReinstateMember, SuspendMember, reinstate_member, suspend_member
from engine.rewards import create_reward
from tests.conftest import new_key


def test_a_suspended_member_sees_no_reward_as_redeemable_until_reinstated(client, member_headers, make_member,
                                                                          database, clock):
    create_reward(database, code="MUG", name="Coffee mug", points_price=500, valid_from=clock(), now=clock())
    member = make_member(points=800)
    headers = member_headers(member)

    def listed():
        [mug] = client.get("/v1/member/rewards", headers=headers).json
        return mug["affordable"], mug["redeemable"]

    assert listed() == (True, True)
    suspend_member(database, SuspendMember(member.public_id, "under investigation", "staff:sam"), caller="staff:sam",
                   idempotency_key=new_key(), now=clock())
    assert listed() == (True, False)
    refused = client.post("/v1/member/rewards/MUG/redeem", json={}, headers=headers | {"Idempotency-Key": new_key()})
    assert (refused.status_code, refused.json["error"]) == (409, "member_not_active")
    reinstate_member(database, ReinstateMember(member.public_id, "staff:sam"), caller="staff:sam",
                     idempotency_key=new_key(), now=clock())
    assert listed() == (True, True)
