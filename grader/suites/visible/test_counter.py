"""Visible checks of counter.py: the API of SPEC section 2, one thread at a time."""

from __future__ import annotations

from types import ModuleType

import pytest

from grader.testing import submission


@pytest.fixture
def mod() -> ModuleType:
    return submission("counter")


def test_counts_up_and_down_and_resets(mod: ModuleType) -> None:
    assert mod.Counter().value == 0, "Counter() should start at 0"
    counter = mod.Counter(5)
    assert counter.value == 5, "Counter(5).value should be 5"
    assert counter.increment() == 6, "increment() should return the new value (5 + 1 = 6)"
    assert counter.increment(4) == 10, "increment(4) should return the new value (6 + 4 = 10)"
    assert counter.decrement() == 9, "decrement() should return the new value (10 - 1 = 9)"
    assert counter.decrement(9) == 0, "decrement(9) should return the new value (9 - 9 = 0)"
    counter.increment(7)
    assert counter.reset() == 7, "reset() should return the value it had before (7)"
    assert counter.value == 0, "after reset() the value should be 0"
    assert counter.increment(0) == 0, "increment(0) is allowed and changes nothing"


def test_add_if_below_adds_only_within_the_limit(mod: ModuleType) -> None:
    counter = mod.Counter()
    assert counter.add_if_below(5, 10) is True, "add_if_below(5, 10) on 0 should add and return True"
    assert counter.value == 5
    assert counter.add_if_below(6, 10) is False, "5 + 6 > 10: add_if_below(6, 10) should return False"
    assert counter.value == 5, "a refused add_if_below must not change the value"
    assert counter.add_if_below(5, 10) is True, "5 + 5 == 10 is allowed: value + amount <= limit"
    assert counter.value == 10


BAD_AMOUNTS = [
    ("1", TypeError),
    (1.0, TypeError),
    (None, TypeError),
    (True, TypeError),
    (-1, ValueError),
]


@pytest.mark.parametrize(("amount", "error"), BAD_AMOUNTS, ids=["str", "float", "None", "bool", "negative"])
def test_bad_amounts_are_refused_and_change_nothing(mod: ModuleType, amount: object, error: type) -> None:
    counter = mod.Counter(3)
    calls = {
        "increment": lambda: counter.increment(amount),
        "decrement": lambda: counter.decrement(amount),
        "add_if_below": lambda: counter.add_if_below(amount, 100),
    }
    for name, call in calls.items():
        with pytest.raises(error):
            call()
            pytest.fail(f"{name}({amount!r}) should raise {error.__name__}")
        assert counter.value == 3, f"a refused {name}({amount!r}) changed the value from 3 to {counter.value}"
