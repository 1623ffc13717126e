"""Finite differences: the numerical derivative, its step, and one-sided slopes at kinks."""

from __future__ import annotations

import sys

from gradcli.forward import forward_values
from gradcli.graph import Program

EPSILON = sys.float_info.epsilon


def default_step(x: float) -> float:
    """Central differences balance truncation (h**2) against cancellation (eps/h):
    h = eps**(1/3) * max(1, |x|), about 6e-6 at |x| <= 1."""
    return EPSILON ** (1 / 3) * max(1.0, abs(x))


def _value_at(program: Program, point: dict[str, float], name: str, x: float) -> float:
    moved = dict(point)
    moved[name] = x
    return forward_values(program, moved)[program.output]


def central_difference(program: Program, point: dict[str, float], name: str, h: float) -> float:
    """(f(x + h) - f(x - h)) / 2h, error O(h**2)."""
    x = point[name]
    return (_value_at(program, point, name, x + h) - _value_at(program, point, name, x - h)) / (2 * h)


def forward_difference(program: Program, point: dict[str, float], name: str, h: float) -> float:
    """(f(x + h) - f(x)) / h, error O(h)."""
    x = point[name]
    return (_value_at(program, point, name, x + h) - _value_at(program, point, name, x)) / h


def one_sided(program: Program, point: dict[str, float], name: str, h: float) -> tuple[float, float]:
    """The slopes just left and just right of the point: what a kink's convention chooses between."""
    x = point[name]
    here = _value_at(program, point, name, x)
    left = (here - _value_at(program, point, name, x - h)) / h
    right = (_value_at(program, point, name, x + h) - here) / h
    return left, right
