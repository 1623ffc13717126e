"""How numbers are written for people (tables, labels) and for machines (JSON)."""

from __future__ import annotations

import math

LABEL_DIGITS = 6  # significant digits in drawings, steps and the step-through page


def format_number(value: float, digits: int = 12) -> str:
    """Shortest faithful text for a number, for people: ``42``, ``0.5``, ``1e-08``, ``nan``,
    ``-inf``; ``0`` for -0 as well (JSON keeps the sign: see :func:`json_number`)."""
    if value != value:
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def json_number(value: float) -> float | str:
    """A value strict JSON can hold: non-finite numbers become ``"nan"``, ``"inf"``, ``"-inf"``."""
    if math.isfinite(value):
        return value
    return format_number(value)


def relative_error(a: float, n: float) -> float:
    """|a - n| / max(|a|, |n|, 1e-8): the gradient check's measure of agreement.

    The same infinity agrees (0); a nan on either side is no agreement: the error is nan.
    """
    if a == n:
        return 0.0
    return abs(a - n) / max(abs(a), abs(n), 1e-8)
