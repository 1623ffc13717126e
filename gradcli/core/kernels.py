"""Scalar float64 kernels: total functions that return nan/inf instead of raising.

Python's ``math`` raises on domain errors and overflow; a calculator must instead
produce the IEEE result (``log(-1)`` is nan, ``1/0`` is inf) so that the report can
say where the non-finite value first appeared.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan


def add(x: float, y: float) -> float:
    return x + y


def sub(x: float, y: float) -> float:
    return x - y


def mul(x: float, y: float) -> float:
    return x * y


def neg(x: float) -> float:
    return -x


def div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0


def power(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0 and _is_odd_integer(y):
            return -INF
        return INF
    except ValueError:
        if x == 0:  # 0 ** negative
            if _is_odd_integer(y):
                return math.copysign(INF, x)
            return INF
        return NAN  # negative base, non-integer exponent


def exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    if x > 0:
        return math.log(x)
    if x == 0:
        return -INF
    return NAN


def log2(x: float) -> float:
    if x > 0:
        return math.log2(x)
    return -INF if x == 0 else NAN


def log10(x: float) -> float:
    if x > 0:
        return math.log10(x)
    return -INF if x == 0 else NAN


def sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else NAN


def _total(fn):
    """Wrap a math function so a domain error gives nan and overflow gives inf."""

    def safe(x: float) -> float:
        try:
            return fn(x)
        except ValueError:
            return NAN
        except OverflowError:
            return math.copysign(INF, x) if fn is math.sinh else INF

    safe.__name__ = fn.__name__
    return safe


sin = _total(math.sin)
cos = _total(math.cos)
tan = _total(math.tan)
asin = _total(math.asin)
acos = _total(math.acos)
atan = math.atan
sinh = _total(math.sinh)
cosh = _total(math.cosh)
tanh = math.tanh


def sigmoid(x: float) -> float:
    """Logistic function, evaluated without overflow for either sign."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    z = exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)), exact for large |x|."""
    if x != x:
        return NAN
    if x == INF:
        return INF
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan passes through


def absolute(x: float) -> float:
    return abs(x)


def sign(x: float) -> float:
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x  # 0.0, -0.0 or nan


def step(x: float) -> float:
    """Heaviside step with step(0) = 0: the derivative of relu."""
    if x > 0:
        return 1.0
    if x <= 0:
        return 0.0
    return NAN


def maximum(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x >= y else y


def minimum(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x <= y else y


def clamp(x: float, lo: float, hi: float) -> float:
    return minimum(maximum(x, lo), hi)


def xlogy(x: float, y: float) -> float:
    """x * log(y), defined as 0 where x == 0 (as scipy.special.xlogy)."""
    if x == 0 and y == y:
        return 0.0
    return x * log(y)


def identity(x: float) -> float:
    return x


def _whole(rounding):
    """A rounding function on floats that passes inf and nan through (``math.floor`` raises)."""

    def rounded(x: float) -> float:
        if not math.isfinite(x):
            return x
        whole = float(rounding(x))
        return math.copysign(whole, x) if whole == 0 else whole  # ceil(-0.5) is -0.0, as in IEEE and NumPy

    rounded.__name__ = rounding.__name__
    return rounded


round_half_even = _whole(round)  # Python's round: halves to the even neighbour, as numpy.round
floor = _whole(math.floor)
ceil = _whole(math.ceil)


def equal(x: float, y: float) -> float:
    return 1.0 if x == y else 0.0


def not_equal(x: float, y: float) -> float:
    return 1.0 if x != y else 0.0


def less(x: float, y: float) -> float:
    return 1.0 if x < y else 0.0


def less_equal(x: float, y: float) -> float:
    return 1.0 if x <= y else 0.0


def greater(x: float, y: float) -> float:
    return 1.0 if x > y else 0.0


def greater_equal(x: float, y: float) -> float:
    return 1.0 if x >= y else 0.0


def where(c: float, a: float, b: float) -> float:
    """a where c is true (not 0; nan counts as true, as in Python and NumPy), else b."""
    return a if c else b


def floor_divide(x: float, y: float) -> float:
    """x // y as Python computes it for floats (exact: 7 // 0.1 is 69, not floor(70.0)); for y = 0,
    x / y's infinity or nan, as NumPy gives."""
    return div(x, y) if y == 0.0 else x // y


def whole_distance(x):
    """x minus the nearest whole number: 0 at the jumps of floor and ceil (and, at x - 1/2, of
    round); it changes sign where x crosses one. Numbers (float or mpmath) and NumPy arrays."""
    if getattr(x, "ndim", 0):
        return x - x.round()
    if x != x or x in (INF, -INF):
        return NAN
    return x - round(x)


def quotient_whole_distance(x, y):
    """:func:`whole_distance` of x / y: 0 where x // y and x % y jump (nan where y = 0: no jump there)."""
    if getattr(x, "ndim", 0) or getattr(y, "ndim", 0):
        return whole_distance(x / y)
    return whole_distance(div(x, y))
