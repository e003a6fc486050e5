"""Splitting points over lines by largest remainder: exact, whole, and the same as the
exact-fraction method it stands for."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ledger.allocation import split_proportionally


def by_exact_fractions(total: int, weights: list[int]) -> list[int]:
    """The method as written down: exact shares, rounded down, one more point each to the
    largest fractional remainders, ties to the earlier weight."""
    whole = sum(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    parts = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=30).filter(any))
def test_the_split_is_the_exact_fraction_largest_remainder_split(total, weights):
    assert split_proportionally(total, weights) == by_exact_fractions(total, weights)


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_the_parts_add_up_to_the_total_and_a_zero_weight_gets_nothing(total, weights):
    parts = split_proportionally(total, weights)
    assert sum(parts) == (total if any(weights) else 0)
    assert all(p == 0 for p, w in zip(parts, weights) if w == 0)


def test_a_tie_goes_to_the_earlier_weight():
    assert split_proportionally(1, [1, 1, 1]) == [1, 0, 0]
    assert split_proportionally(2, [1, 1, 1]) == [1, 1, 0]


def test_a_negative_total_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        split_proportionally(-1, [1, 2])
