"""An https post goes to the address that was checked, and its TLS certificate is verified
against the host the URL names: a certificate the system does not trust, or one for another
host, fails the attempt."""
import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine import webhooks

HOST = "crm.example.test"


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, names=()):
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A certificate authority of the test's own and a server certificate for HOST signed by it."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test CA", ca_key, "Test CA", ca_key, ca=True)
    server = _certificate(HOST, server_key, "Test CA", ca_key, ca=False, names=[HOST])
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder


@pytest.fixture
def tls_receiver(authority):
    received, connections = [], set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            received.append((self.headers["Host"], self.rfile.read(int(self.headers["Content-Length"]))))
            connections.add(self.client_address)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(authority / "server.pem", authority / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received, connections
    server.shutdown()
    server.server_close()
    thread.join(5)


def trusting(authority) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.load_verify_locations(authority / "ca.pem")
    return context


def test_a_post_reaches_the_checked_address_with_the_urls_host(authority, tls_receiver):
    port, received, _ = tls_receiver
    status = webhooks.post(f"https://{HOST}:{port}/hooks", "127.0.0.1", b'{"id":"evt_1"}',
                           {"Content-Type": "application/json"}, tls=trusting(authority))
    assert status == 204
    assert received == [(f"{HOST}:{port}", b'{"id":"evt_1"}')]


def test_a_certificate_no_trusted_authority_signed_fails_the_attempt(tls_receiver):
    port, received, _ = tls_receiver
    with pytest.raises(ssl.SSLCertVerificationError):
        webhooks.post(f"https://{HOST}:{port}/hooks", "127.0.0.1", b"{}", {})
    assert received == []


def test_a_certificate_for_another_host_fails_the_attempt(authority, tls_receiver):
    port, received, _ = tls_receiver
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch|doesn't match"):
        webhooks.post(f"https://other.example.test:{port}/hooks", "127.0.0.1", b"{}", {}, tls=trusting(authority))
    assert received == []


def test_kept_posts_share_one_tls_connection(authority, tls_receiver):
    port, received, connections = tls_receiver
    with webhooks.Connections(trusting(authority)) as kept:
        for n in range(3):
            assert kept(f"https://{HOST}:{port}/hooks", "127.0.0.1", b'{"n":%d}' % n, {}) == 204
    assert [body for _, body in received] == [b'{"n":0}', b'{"n":1}', b'{"n":2}'] and len(connections) == 1
