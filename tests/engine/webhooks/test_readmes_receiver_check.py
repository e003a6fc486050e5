"""The receiver's check the README shows accepts what the sender signs, and nothing else."""
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine import webhooks

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_check():
    text = README.read_text()
    code = re.search(r"A receiver's check, in Python.*?```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # the README's own words, run as they are printed
    return namespace["genuine"]


def test_the_readmes_receiver_check_accepts_a_signed_post_and_refuses_others():
    genuine = readme_check()
    body = b'{"id":"evt_1","kind":"points.earned"}'
    now = datetime.now(UTC)
    assert genuine("whsec_a", webhooks.signature("whsec_a", body, now), body)
    assert not genuine("whsec_b", webhooks.signature("whsec_a", body, now), body)
    assert not genuine("whsec_a", webhooks.signature("whsec_a", body, now), body + b" ")
    assert not genuine("whsec_a", webhooks.signature("whsec_a", body, now - timedelta(minutes=6)), body)
