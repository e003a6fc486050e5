"""A real HTTP/1.1 server on 127.0.0.1 that receives webhook posts, for tests: it keeps every
request (with the connection it came on) and answers with the statuses it is told, one per
request (then 200), keeping the connection open unless told otherwise."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCAL = frozenset({"127.0.0.1"})  # the receivers' host, listed as a private host the operator allows
PUBLIC_ADDRESS = "93.184.216.34"


def public_resolver(host: str, port: int) -> list[str]:
    """DNS as a public receiver's host would answer, without asking the network."""
    return [PUBLIC_ADDRESS]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    connection: tuple  # the sender's address and port


class WebhookReceiver:
    def __init__(self):
        self.received: list[Received] = []
        self.answers: list[int] = []  # the statuses of the next requests, in order
        self.hang_up = False  # close each connection after answering, without saying so
        self.answer_body = b"ok"
        self.before_answer: Callable[[], None] | None = None  # called with each post, before its answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # (Nagle's algorithm left on, as in many receivers: the answer's headers and body go
            # in two writes, and the body waits for the sender's acknowledgement of the headers)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers), body, self.client_address))
                if receiver.before_answer is not None:
                    receiver.before_answer()
                status = receiver.answers.pop(0) if receiver.answers else 200
                if status == 0:  # no answer: the connection is dropped
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(status)
                self.send_header("Content-Length", str(len(receiver.answer_body)))
                self.end_headers()
                self.wfile.write(receiver.answer_body)
                self.close_connection = receiver.hang_up

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/loyalty"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
