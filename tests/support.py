"""Shared by the tests: the command to run, mpmath precision, and oracle bookkeeping."""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import strategies as st
from mpmath import mp

# The installed console script next to this Python, or the module when it is not there.
_SCRIPT = Path(sys.executable).with_name("gradcli")
GRADCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "gradcli"]

DIGITS = 40  # significant digits for every mpmath oracle


@pytest.fixture(autouse=True, scope="module")
def high_precision():
    """mpmath at :data:`DIGITS` digits for the module that imports this fixture, restored afterwards."""
    saved = mp.dps
    mp.dps = DIGITS
    yield
    mp.dps = saved


class Tracker:
    """Records the closest kink and the largest magnitude while a tree is evaluated."""

    def __init__(self) -> None:
        self.margin = math.inf
        self.magnitude = 0.0

    def kink(self, distance) -> None:
        self.margin = min(self.margin, float(abs(distance)))

    def value(self, v) -> None:
        self.magnitude = max(self.magnitude, float(abs(v)))


def tree_strategy(arity: dict[str, int], numbers, number_odds: int):
    """Random expression trees: ``("num", text)``, ``("var", name)`` or ``(op, *children)``;
    a leaf is a number one time in ``number_odds``."""

    @st.composite
    def trees(draw, ops, leaves, depth):
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            if draw(st.integers(0, number_odds - 1)) == 0:
                return ("num", draw(st.sampled_from(sorted(numbers))))
            return ("var", draw(st.sampled_from(leaves)))
        op = draw(st.sampled_from(ops))
        return (op, *[draw(trees(ops, leaves, depth - 1)) for _ in range(arity[op])])

    return trees


@contextmanager
def shallow_stack(frames: int = 200) -> Iterator[None]:
    """Allow only ``frames`` more Python frames than the caller has: any traversal that recursed
    once per node of a graph deeper than that raises RecursionError, whatever the machine's speed."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)
