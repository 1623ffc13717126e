"""Finite differences: the numerical derivative, its step, and one-sided slopes at kinks."""

from __future__ import annotations

import sys
from collections.abc import Callable

from gradcli.forward import forward_values
from gradcli.graph import Program

EPSILON = sys.float_info.epsilon

PASS, WARNING, FAIL = "PASS", "WARNING", "FAIL"
PASS_BELOW = 1e-5
WARN_BELOW = 1e-3


def relative_error(a: float, n: float) -> float:
    """|a - n| / max(|a|, |n|, 1e-8): the gradient check's measure of agreement."""
    if a == n or (a != a and n != n):
        return 0.0  # agreeing, also on the same infinity or on nan
    return abs(a - n) / max(abs(a), abs(n), 1e-8)


def verdict(error: float) -> str:
    """PASS below 1e-5, WARNING below 1e-3, FAIL otherwise."""
    if error < PASS_BELOW:
        return PASS
    return WARNING if error < WARN_BELOW else FAIL


def default_step(x: float) -> float:
    """Central differences balance truncation (h**2) against cancellation (eps/h):
    h = eps**(1/3) * max(1, |x|), about 6e-6 at |x| <= 1."""
    return EPSILON ** (1 / 3) * max(1.0, abs(x))


def choose_step(program: Program, point: dict[str, float], name: str) -> float:
    """:func:`default_step`, unless |x| > 1 and the unscaled step eps**(1/3) looks better.

    Scaling the step with |x| suits functions that vary on the scale of x (polynomials);
    ``sin(x)`` at x = 1e6 varies on the scale of 1, and h = 6 would be far too coarse. Each
    candidate's error is estimated from the data alone (Richardson: |D(h) - D(h/2)| / 3
    for truncation, eps*|f|/h for rounding), and the smaller estimate wins.
    """
    scaled = default_step(point[name])
    if abs(point[name]) <= 1:
        return scaled
    value = abs(along(program, point, name)(point[name]))
    return min((scaled, default_step(1.0)), key=lambda h: _estimated_error(program, point, name, h, value))


def _estimated_error(program: Program, point: dict[str, float], name: str, h: float, value: float) -> float:
    coarse = central_difference(program, point, name, h)
    fine = central_difference(program, point, name, h / 2)
    error = abs(coarse - fine) / 3 + EPSILON * value / h
    return error if error == error else float("inf")


def along(program: Program, point: dict[str, float], name: str) -> Callable[[float], float]:
    """f as a function of one input, the others fixed at ``point``."""
    values = values_along(program, point, name)
    output = program.output
    return lambda x: values(x)[output]


def values_along(program: Program, point: dict[str, float], name: str) -> Callable[[float], list[float]]:
    """Every node's value as a function of one input, the others fixed at ``point``.

    Every stop_gradient keeps its value at ``point`` (a constant, as automatic
    differentiation treats it); those values are computed once, here.
    """
    g = program.graph
    held = [n for n in program.nodes if g.ops[n].name == "stop_gradient"]
    frozen = {}
    if held:
        base = forward_values(program, point)
        frozen = {n: base[n] for n in held}

    def values(x: float) -> list[float]:
        moved = dict(point)
        moved[name] = x
        return forward_values(program, moved, frozen=frozen)

    return values


def central_difference(program: Program, point: dict[str, float], name: str, h: float) -> float:
    """(f(x + h) - f(x - h)) / 2h, error O(h**2)."""
    f, x = along(program, point, name), point[name]
    return (f(x + h) - f(x - h)) / (2 * h)


def forward_difference(program: Program, point: dict[str, float], name: str, h: float) -> float:
    """(f(x + h) - f(x)) / h, error O(h)."""
    f, x = along(program, point, name), point[name]
    return (f(x + h) - f(x)) / h


def one_sided(program: Program, point: dict[str, float], name: str, h: float) -> tuple[float, float]:
    """The slopes just left and just right of the point: what a kink's convention chooses between."""
    f, x = along(program, point, name), point[name]
    here = f(x)
    left = (here - f(x - h)) / h
    right = (f(x + h) - here) / h
    return left, right
