"""Where an op's arguments are valid, as data: intervals per argument and points drawn from them.

Every op in the op table carries a :class:`Domain`. Its ``text`` is what messages say
("log needs a positive argument"); its intervals say the same for programs (the tests draw
each op's points from them, as JAX's lax tests carry a sampler per op). A Domain lists one
interval per argument (a parameter, such as the exponent of ``x**3``, counts as the last
argument); arguments past the listed ones may be any real number.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import NamedTuple

SAMPLE_WIDTH = 4.0  # samples of an unbounded interval come from [-4, 4]: every op's values stay moderate
SAMPLE_MARGIN = 0.01  # and keep this far inside a finite end, where derivatives may be infinite


class Interval(NamedTuple):
    """The numbers from ``lo`` to ``hi``, with their finite ends when ``closed``, except ``holes``;
    only the whole ones when ``whole`` (the order n of polygamma(n, x))."""

    lo: float = -math.inf
    hi: float = math.inf
    closed: bool = True
    holes: tuple[float, ...] = ()
    whole: bool = False

    def contains(self, x: float) -> bool:
        inside = self.lo <= x <= self.hi if self.closed else self.lo < x < self.hi
        return inside and x not in self.holes and (not self.whole or x == math.floor(x))

    def noun(self) -> str:
        """What a number of the interval is, for messages: "a non-negative whole number"."""
        if self.whole:
            return "a non-negative whole number" if self.lo == 0 else "a whole number"
        if self.lo == 0 and not self.closed:
            return "a positive number"
        return "a nonzero number" if self.holes == (0.0,) else "a number"

    def window(self, width: float = SAMPLE_WIDTH) -> tuple[float, float]:
        """The part of the interval that samples come from: within ``width`` of 0, clear of finite ends."""
        lo = max(self.lo, -width) if math.isinf(self.lo) else self.lo + SAMPLE_MARGIN
        hi = min(self.hi, width) if math.isinf(self.hi) else self.hi - SAMPLE_MARGIN
        return lo, hi

    def clear_of_holes(self, x: float) -> bool:
        return all(abs(x - hole) > SAMPLE_MARGIN for hole in self.holes)

    def sample(self, rng: random.Random) -> float:
        """One number of the window, clear of the holes."""
        lo, hi = self.window()
        while True:
            x = float(round(rng.uniform(lo, hi))) if self.whole else rng.uniform(lo, hi)
            if self.clear_of_holes(x):
                return x


REAL = Interval()


class Domain(NamedTuple):
    """Valid arguments of an op: one :class:`Interval` per argument, and a condition on them together.

    ``box`` (default: the intervals themselves) is where samples are drawn: a part of the
    domain where the op is smooth, such as a positive base for ``pow``. Where ``joint`` is
    given it decides :meth:`contains` (``pow``: a positive base, or an integer exponent), and
    the box must lie inside it.
    """

    text: str = ""
    args: tuple[Interval, ...] = ()
    joint: Callable[..., bool] | None = None
    box: tuple[Interval, ...] | None = None

    def interval(self, k: int) -> Interval:
        """The interval of argument ``k``."""
        return self.args[k] if k < len(self.args) else REAL

    def sampling_interval(self, k: int) -> Interval:
        """The interval that argument ``k``'s samples come from."""
        box = self.args if self.box is None else self.box
        return box[k] if k < len(box) else REAL

    def contains(self, *args: float) -> bool:
        """Whether the op is defined (gives a real number) at these arguments."""
        if any(math.isnan(a) for a in args):
            return False
        if self.joint is not None:
            return self.joint(*args)
        return all(self.interval(k).contains(a) for k, a in enumerate(args))

    def sample(
        self, rng: random.Random, arity: int, n: int, away_from: Callable[..., tuple[float, ...]] | None = None
    ) -> list[tuple[float, ...]]:
        """``n`` points of ``arity`` numbers from the box; with ``away_from`` (an op's signed
        distances to its kinks), only points clear of every kink."""
        points: list[tuple[float, ...]] = []
        while len(points) < n:
            point = tuple(self.sampling_interval(k).sample(rng) for k in range(arity))
            if away_from is None or all(abs(d) > SAMPLE_MARGIN for d in away_from(*point)):
                points.append(point)
        return points


def _real_power(x: float, y: float) -> bool:
    """Whether x ** y is a real number: a positive base, a zero base with a non-negative
    exponent, or a negative base with an integer exponent."""
    if x > 0:
        return True
    if x == 0:
        return y >= 0
    return math.isfinite(y) and y == math.floor(y)


POSITIVE = Interval(0.0, math.inf, closed=False)

ANYWHERE = Domain()
POSITIVE_ARGUMENT = Domain("a positive argument", (POSITIVE,))
NON_NEGATIVE_ARGUMENT = Domain("a non-negative argument", (Interval(0.0, math.inf),))
UNIT_ARGUMENT = Domain("an argument in [-1, 1]", (Interval(-1.0, 1.0),))
NONZERO_DIVISOR = Domain("a nonzero divisor", (REAL, Interval(holes=(0.0,))))
POWER_BASE = Domain("a positive base, or an integer exponent", joint=_real_power, box=(POSITIVE, REAL))
CONSTANT_POWER_BASE = Domain(
    "a non-negative base unless the exponent is an integer", joint=_real_power, box=(POSITIVE, REAL)
)
# xlogy(0, y) is 0 for every y; the message has nothing to add to log's.
LOG_OF_SECOND_ARGUMENT = Domain(joint=lambda x, y: y > 0 or x == 0, box=(REAL, POSITIVE))


def _not_a_pole(x: float) -> bool:
    """Whether x is not a pole of the gamma function (0, -1, -2, ...)."""
    return not (x <= 0 and x == math.floor(x))


NONZERO = Interval(holes=(0.0,))
NON_NEGATIVE = Interval(0.0, math.inf)
ORDER = Interval(0.0, math.inf, whole=True)  # polygamma's n: 0, 1, 2, ...
SAMPLED_ORDER = Interval(0.0, 3.0, whole=True)

NONZERO_ARGUMENT = Domain("a nonzero argument", (NONZERO,))
PROBABILITY = Domain("an argument in (0, 1)", (Interval(0.0, 1.0, closed=False),))
LOG1P_OF_SECOND_ARGUMENT = Domain(
    "a second argument > -1, or a first argument 0",
    joint=lambda x, y: y > -1 or x == 0,
    box=(REAL, Interval(-1.0, math.inf, closed=False)),
)
OPEN_UNIT_ARGUMENT = Domain("an argument in (-1, 1)", (Interval(-1.0, 1.0, closed=False),))
AT_LEAST_ONE = Domain("an argument >= 1", (Interval(1.0, math.inf),))
ABOVE_MINUS_ONE = Domain("an argument > -1", (Interval(-1.0, math.inf, closed=False),))
NONZERO_PARAMETER = Domain(args=(REAL, NONZERO))
NOT_A_POLE = Domain("an argument that is not 0 or a negative whole number", joint=_not_a_pole, box=(POSITIVE,))
POLYGAMMA = Domain(
    "a non-negative whole n and an x that is not 0 or a negative whole number",
    (REAL, ORDER),
    joint=lambda x, n: _not_a_pole(x) and ORDER.contains(n),
    box=(POSITIVE, SAMPLED_ORDER),
)
BESSEL_ORDER = Domain("a whole order n", (REAL, Interval(whole=True)), box=(REAL, SAMPLED_ORDER))
SPHERICAL_BESSEL_ORDER = Domain("a non-negative whole order n", (REAL, ORDER), box=(POSITIVE, SAMPLED_ORDER))
DERIVATIVE_ORDER = Domain("a non-negative whole order n", (REAL, ORDER), box=(REAL, SAMPLED_ORDER))
INCOMPLETE_GAMMA = Domain("a positive a and a non-negative x", (NON_NEGATIVE, POSITIVE))

# Samples clear of y = 0, where atan2(y, x) jumps for x < 0 (from pi to -pi); it is defined there all the same.
FIRST_NONZERO = Domain(box=(NONZERO, REAL))
