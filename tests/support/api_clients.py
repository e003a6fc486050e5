"""Clients for API tests: a terminal that signs its requests, and bearer-token callers."""
from __future__ import annotations

import json
import uuid

from api.auth import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature


class SignedTerminal:
    """A till calling the API through Flask's test client, signing like the real agent does."""

    def __init__(self, client, *, key_id: str, secret: str, terminal_code: str, store_code: str, clock):
        self.client, self.key_id, self.secret, self.clock = client, key_id, secret, clock
        self.terminal_code, self.store_code = terminal_code, store_code

    def headers(self, method: str, path: str, body: bytes, key: str | None, *,
                timestamp: int | str | None = None) -> dict:
        stamp = str(int(self.clock().timestamp()) if timestamp is None else timestamp)
        headers = {KEY_HEADER: self.key_id, TIMESTAMP_HEADER: stamp, "Content-Type": "application/json",
                   SIGNATURE_HEADER: signature(self.secret, method, path, stamp, key or "", body)}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, path: str, body: dict | None = None, *, key: str | None = "new", raw: bytes | None = None,
             timestamp: int | None = None):
        """POST ``body`` signed; ``key="new"`` sends a fresh Idempotency-Key, None sends none."""
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        key = str(uuid.uuid4()) if key == "new" else key
        return self.client.post(path, data=data, headers=self.headers("POST", path, data, key, timestamp=timestamp))

    def get(self, path: str):
        return self.client.get(path, headers=self.headers("GET", path, b"", None))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
