"""A mailer working with a staff account fetches the expiry warnings over HTTP, marks them
delivered, and gets only the rest next time; members and marketers cannot read them, and the
mailer's own role reaches nothing else."""
from datetime import timedelta

from engine.jobs.catalogue import JOBS
from engine.settings import update_settings


def test_a_mailer_fetches_and_marks_the_expiry_warnings(client, staff_headers, make_member, earn, database, clock):
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none", "pending_days": 0}, now=clock())
    members = [make_member() for _ in range(2)]
    for member in members:
        earn(member, 3000, occurred_at=clock() - timedelta(days=20))
    JOBS["expiry_warnings"].run(database, clock(), None)
    support = staff_headers("mailer")
    page = client.get("/v1/staff/messages", query_string={"limit": 1}, headers=support)
    assert page.status_code == 200, page.json
    [first] = page.json
    assert (first["kind"], first["member_id"], first["email"], first["payload"]["points"]) == (
        "expiry_warning", members[0].public_id, members[0].email, 30)
    marked = client.post("/v1/staff/messages/delivered", json={"ids": [first["id"]]}, headers=support)
    assert (marked.status_code, marked.json) == (200, {"marked": 1})
    rest = client.get("/v1/staff/messages", headers=support).json
    assert [m["member_id"] for m in rest] == [members[1].public_id]
    assert client.post("/v1/staff/messages/delivered", json={"ids": []}, headers=support).status_code == 422
    assert client.get("/v1/staff/messages", headers=staff_headers("marketer")).status_code == 403


def test_the_mailer_role_reads_no_member_and_support_still_reads_the_messages(client, staff_headers, make_member):
    member = make_member()
    mailer = staff_headers("mailer")
    for path in ("/v1/staff/members", f"/v1/staff/members/{member.public_id}", "/v1/staff/reports/dashboard",
                 "/v1/staff/audit", "/v1/staff/rules/versions"):
        assert client.get(path, headers=mailer).status_code == 403, path
    assert client.post(f"/v1/staff/members/{member.public_id}/close", json={"reason": "x"},
                       headers={**mailer, "Idempotency-Key": "k1"}).status_code == 403
    assert client.get("/v1/staff/messages", headers=staff_headers("support")).status_code == 200
