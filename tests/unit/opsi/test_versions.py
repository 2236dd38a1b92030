"""opsi's version ordering and conditions."""

from __future__ import annotations

import pytest

from fleet.opsi.versions import compare, parse_condition, satisfies


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1.0-1", "1.0-1", 0),
        ("1.10-1", "1.9-1", 1),  # numbers compare as numbers
        ("1.0-10", "1.0-9", 1),  # the package version counts after the product version
        ("2.0-1", "1.9-99", 1),
        ("1.0-1", "1.0.0-1", 0),  # padded with zeros
        ("1.0a-1", "1.0-1", 1),  # letters sort after numbers
        ("1.0-1~custom", "1.0-1", 0),  # ~custom ignored
        ("2024.8-3", "2024.10-1", -1),
    ],
)
def test_ordering(a, b, order):
    assert compare(a, b) == order
    assert compare(b, a) == -order


def test_conditions():
    assert satisfies("17.1.4-5", "= 17.1.4-5")
    assert satisfies("17.1.4-5", "17.1.4-5")  # bare version means =
    assert satisfies("17.1.4-5", "= 17.1.4")  # a product version alone ignores the package
    assert satisfies("17.2-1", ">= 17.1.4-5")
    assert not satisfies("17.1-1", ">= 17.1.4-5")
    assert satisfies("1.0-1", "< 1.0-2") and not satisfies("1.0-2", "< 1.0-2")
    assert parse_condition("==1.0") == ("=", "1.0")
    with pytest.raises(ValueError, match="malformed version condition"):
        parse_condition(">> 1.0")
