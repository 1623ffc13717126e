"""Shared by the property tests: bookkeeping while an mpmath oracle evaluates a tree."""

from __future__ import annotations

import math


class Tracker:
    """Records the closest kink and the largest magnitude while a tree is evaluated."""

    def __init__(self) -> None:
        self.margin = math.inf
        self.magnitude = 0.0

    def kink(self, distance) -> None:
        self.margin = min(self.margin, float(abs(distance)))

    def value(self, v) -> None:
        self.magnitude = max(self.magnitude, float(abs(v)))
