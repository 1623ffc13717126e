"""How numbers are written for people (tables, labels) and for machines (JSON)."""

from __future__ import annotations

import math
from typing import Any

from gradcli.core.lazy_numpy import is_array, np

LABEL_DIGITS = 6  # significant digits in drawings, steps and the step-through page


def format_number(value: float, digits: int = 12) -> str:
    """Shortest faithful text for a number, for people: ``42``, ``0.5``, ``1e-08``, ``nan``,
    ``-inf``; ``0`` for -0 as well (JSON keeps the sign: see :func:`json_number`). An array is
    written whole when small (:func:`format_array`)."""
    if is_array(value):
        return format_array(value, digits)
    if value != value:
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


SHOWN_ELEMENTS = 8  # an array of up to this many numbers is written out; a larger one is summarised


def format_array(value: np.ndarray, digits: int = 12) -> str:
    """``[1, 2, 3]`` and ``[[1, 2], [3, 4]]`` for small arrays; shape, min, max and norm for larger ones."""
    if value.size > SHOWN_ELEMENTS:
        finite = value[np.isfinite(value)]
        spread = (
            f"min {format_number(float(finite.min()), 4)}, max {format_number(float(finite.max()), 4)}, "
            f"norm {format_number(magnitude(finite), 4)}"
            if finite.size
            else "no finite element"
        )
        bad = value.size - finite.size
        return f"{value.shape} array: {spread}" + (f", {bad} not finite" if bad else "")
    return _nested(value.tolist(), digits)


def _nested(items: Any, digits: int) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(item, digits) for item in items) + "]"
    return format_number(items, digits)


def json_number(value: float | np.ndarray) -> Any:
    """A value strict JSON can hold: non-finite numbers become ``"nan"``, ``"inf"``, ``"-inf"``;
    an array becomes nested lists; None (no such number) stays None."""
    if value is None:
        return None
    if is_array(value):
        if np.all(np.isfinite(value)):
            return value.tolist()
        cells = value.astype(object)
        for where in np.argwhere(~np.isfinite(value)):
            cells[tuple(where)] = format_number(float(value[tuple(where)]))
        return cells.tolist()
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


def magnitude(value: float | np.ndarray) -> float:
    """A number's absolute value; an array's norm (inf or nan where an element is)."""
    if is_array(value):
        if not value.size:
            return 0.0
        with np.errstate(all="ignore"):
            scale = float(np.max(np.abs(value)))
            if not 0 < scale < math.inf:
                return scale  # 0, inf or nan
            return scale * float(np.linalg.norm(value / scale))  # no overflow for elements near 1e308
    return abs(value)
