"""The signed HTTP client against the fake server: signatures, errors, outages."""
import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from terminal.api_client import ApiClient, Credentials, signature
from terminal.errors import ApiError, ApiUnreachable


def test_the_signature_covers_method_path_time_key_and_body():
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", "\n".join([
        "POST", "/v1/terminal/holds?x=1", "1700000000", "key-1",
        hashlib.sha256(body).hexdigest()]).encode(), hashlib.sha256).hexdigest()
    assert signature("s3cret", "post", "/v1/terminal/holds?x=1", "1700000000", "key-1",
                     body) == expected
    assert signature("s3cret", "POST", "/p", "1", None, b"") != signature(
        "s3cret", "POST", "/p", "1", "k", b"")


def test_a_correctly_signed_request_is_accepted(fake_server):
    fake_server.add_member("M1")
    fake_server.add_card("6280001234567890", "M1")
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret))
    answer = client.card_challenge("6280001234567890")
    assert len(bytes.fromhex(answer["challenge"])) == 16


def test_a_wrong_secret_is_refused_with_the_servers_message(fake_server):
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, "not-the-secret"))
    with pytest.raises(ApiError) as raised:
        client.card_challenge("6280001234567890")
    assert (raised.value.status, raised.value.error) == (401, "bad_signature")
    assert raised.value.message == "signature does not match"


def test_a_clock_too_far_off_is_refused(fake_server):
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret),
                       clock=lambda: 1_000_000_000)
    with pytest.raises(ApiError, match="clock skew"):
        client.card_challenge("6280001234567890")


def test_a_server_that_drops_the_connection_is_unreachable(fake_server):
    fake_server.down = True
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret))
    with pytest.raises(ApiUnreachable, match="cannot be reached"):
        client.card_challenge("6280001234567890")


def test_nobody_listening_is_unreachable():
    client = ApiClient("http://127.0.0.1:9", Credentials("k", "s"), timeout=0.5)
    with pytest.raises(ApiUnreachable):
        client.card_challenge("6280001234567890")


def test_a_till_credential_cannot_issue_cards(fake_server):
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret))
    with pytest.raises(ApiError) as raised:
        client.issue_card("not-a-staff-token", "M1")
    assert raised.value.status == 401


def test_a_till_over_its_rate_is_told_to_come_back_not_refused(fake_server):
    fake_server.rate_limited = 1
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret))
    with pytest.raises(ApiUnreachable, match="slow down for 7 s; it will be sent again"):
        client.card_challenge("6280001234567890")


def test_a_server_whose_database_is_away_is_unreachable_for_now_and_says_so(fake_server):
    fake_server.database_down = 1
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret))
    with pytest.raises(ApiUnreachable, match="cannot reach its database just now"):
        client.card_challenge("6280001234567890")
    with pytest.raises(ApiError, match="not known"):  # the next request is judged again
        client.card_challenge("6280001234567890")


@pytest.fixture
def proxy_page():
    """A proxy in front of the server answering every request with its own HTML page:
    ``proxy_page(status)`` gives its URL."""
    servers = []

    def serve(status: int) -> str:
        class Page(BaseHTTPRequestHandler):
            def _answer(self):
                body = b"<html><body>Request Timeout</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [404, 408, 413])
def test_a_page_from_something_in_between_is_not_the_servers_refusal(proxy_page, status):
    client = ApiClient(proxy_page(status), Credentials("k", "s"))
    with pytest.raises(ApiUnreachable, match=f"answered HTTP {status}; it will be sent again"):
        client.card_challenge("6280001234567890")
