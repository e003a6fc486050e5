"""A marketer reads the e-mail audience of a segment for a campaign's mailing: only members who
agreed, with their address; people without members.read cannot; bad queries are refused."""
from engine.rules.segments import create_segment


def test_a_marketer_reads_who_agreed_to_e_mails(client, staff_headers, database, clock, make_member):
    agreed = make_member(email="ada@example.org", consents={"marketing_email": True})
    declined = make_member(email="bo@example.org")
    create_segment(database, code="all", member_ids=[agreed.public_id, declined.public_id], now=clock())
    response = client.get("/v1/staff/segments/all/audience", query_string={"channel": "email"},
                          headers=staff_headers("marketer"))
    assert response.status_code == 200, response.json
    assert response.json == [{"member_id": agreed.public_id, "full_name": agreed.full_name,
                               "address": "ada@example.org"}]


def test_only_staff_who_read_members_reach_it_and_bad_queries_are_refused(client, staff_headers, member_headers,
                                                                          database, clock, make_member):
    member = make_member(consents={"marketing_email": True})
    create_segment(database, code="all", member_ids=[member.public_id], now=clock())
    path = "/v1/staff/segments/all/audience"
    assert client.get(path, query_string={"channel": "email"}, headers=staff_headers("mailer")).status_code == 403
    assert client.get(path, query_string={"channel": "email"}, headers=member_headers(member)).status_code == 401
    marketer = staff_headers("marketer")
    for query, field in (({}, "channel"), ({"channel": "fax"}, "channel"), ({"channel": "email", "limit": 0}, "limit")):
        response = client.get(path, query_string=query, headers=marketer)
        assert (response.status_code, list(response.json["errors"])) == (422, [field]), query
    assert client.get("/v1/staff/segments/nobody/audience", query_string={"channel": "sms"},
                      headers=marketer).status_code == 404
