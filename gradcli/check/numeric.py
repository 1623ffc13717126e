"""Finite differences: the numerical derivative, its step, and one-sided slopes at kinks."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from gradcli.core.graph import Program
from gradcli.core.numbers import relative_error  # noqa: F401 - part of the gradient check's vocabulary
from gradcli.core.values import forward_values

EPSILON = sys.float_info.epsilon

PASS, WARNING, FAIL = "PASS", "WARNING", "FAIL"
PASS_BELOW = 1e-5
WARN_BELOW = 1e-3


def verdict(error: float) -> str:
    """PASS below 1e-5, WARNING below 1e-3, FAIL otherwise (a nan error included)."""
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


class ClearStep(NamedTuple):
    """A central-difference step checked against the kinks around the point."""

    step: float  # the step to use
    kink: int | None  # the node whose kink the first step tried crossed (None: it crossed none)
    clear: bool  # whether [x - step, x + step] crosses no kink


def step_clear_of_kinks(
    program: Program, point: dict[str, float], name: str, h: float, kinks: Sequence[int], shorten: bool = True
) -> ClearStep:
    """``h``, halved (when ``shorten``) until ``[x - h, x + h]`` crosses none of the kinks of the
    ``kinks`` nodes, but not below ``sqrt(eps) * max(1, |x|)``, where rounding swamps the difference."""
    if not kinks:
        return ClearStep(h, None, True)
    values, x = values_along(program, point, name), point[name]
    here = values(x)
    shortest = EPSILON**0.5 * max(1.0, abs(x))
    first = _crossed_kink(program, kinks, (values(x - h), here, values(x + h)))
    crossed = first
    while crossed is not None and shorten and h / 2 >= shortest:
        h /= 2
        crossed = _crossed_kink(program, kinks, (values(x - h), here, values(x + h)))
    return ClearStep(h, first, crossed is None)


def _crossed_kink(program: Program, kinks: Sequence[int], samples: Sequence[list[float]]) -> int | None:
    """The first node whose kink distances change sign between consecutive samples."""
    g = program.graph
    for node in kinks:
        op, args = g.ops[node], g.args[node]
        distances = [op.kink(*[values[a] for a in args]) for values in samples]
        for side in zip(*distances):
            if any(d != d for d in side):
                continue
            signs = [math.copysign(1.0, d) if d != 0 else 0.0 for d in side]
            if any(a != b for a, b in zip(signs, signs[1:])) and 0.0 not in signs[1:2]:
                return node
    return None
