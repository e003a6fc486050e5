"""Fixtures of the rule tests."""
import pytest

from tests.support.rules import evaluate


@pytest.fixture
def fired():
    """``fired(rules, basket, ...)``: keys of the rules that gave points."""
    def run(rules, the_basket, **kwargs):
        return [a.rule_key for a in evaluate(rules, the_basket, **kwargs)[1] if a.applied]
    return run
