"""Gradient descent on a program: plain steps, momentum or Adam, from a starting point.

Each step evaluates the program and its gradient at the current point (one forward and one
reverse sweep of the parsed program) and moves the inputs being descended; the others stay at
their values. The path stops early where the value or the gradient stops being finite: a
learning rate too large diverges, and the path shows where.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any, NamedTuple

from gradcli.ad.evaluation import resolve_point
from gradcli.ad.reverse import adjoints, array_adjoints
from gradcli.core import limits
from gradcli.core.errors import InputProblem
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.values import forward_values, has_arrays
from gradcli.syntax.parser import parse

OPTIMIZERS = ("sgd", "momentum", "adam")
MAX_STEPS = 1_000_000
MOMENTUM = 0.9  # the velocity kept from one step to the next (PyTorch's SGD with momentum)
ADAM_BETAS = (0.9, 0.999)  # Adam's decay of the mean and of the mean square of the gradient
ADAM_EPSILON = 1e-8


class Descent(NamedTuple):
    """The path: ``points[k]`` holds the descended inputs after k steps, ``values[k]`` f there."""

    names: tuple[str, ...]
    optimizer: str
    learning_rate: float
    points: Any  # (steps taken + 1, len(names))
    values: Any  # (steps taken + 1,)
    steps: int  # steps asked for
    stopped: str | None  # why the path ended early: "f is inf after 37 steps"

    @property
    def final(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.names, self.points[-1])}

    @property
    def final_value(self) -> float:
        return float(self.values[-1])


def descend(
    program: Program | str,
    start: Mapping[str, float],
    learning_rate: float,
    iterations: int,
    optimizer: str = "sgd",
    at: Mapping[str, Any] | None = None,
) -> Descent:
    """``iterations`` steps of ``optimizer`` from ``start`` (the inputs to move, by name), the other
    inputs held at ``at``."""
    if isinstance(program, str):
        program = parse(program)
    _check(program, start, learning_rate, iterations, optimizer)
    names = tuple(start)
    point = dict(resolve_point(program, {**(at or {}), **start}))
    if any(is_array(point[name]) for name in names):
        raise InputProblem("only inputs that are numbers can be descended", "start")
    nodes = [program.inputs[name] for name in names]
    update = _OPTIMIZERS[optimizer](learning_rate)
    x = [float(point[name]) for name in names]
    points, values = [list(x)], []
    stopped = None
    arrays = has_arrays(program, point)
    with paused_gc(), np.errstate(all="ignore") if arrays else nullcontext():
        for step in range(iterations + 1):
            point.update(zip(names, x))
            node_values = forward_values(program, point)
            value = node_values[program.output]
            if is_array(value):
                raise InputProblem("descent needs an output that is one number; take sum(...) or an element")
            values.append(float(value))
            if not math.isfinite(value):
                stopped = f"f is {value} after {step} steps"
                break
            if step == iterations:
                break
            grads = (array_adjoints if arrays else adjoints)(program, node_values)
            gradient = [float(grads[node]) for node in nodes]
            if not all(map(math.isfinite, gradient)):
                stopped = f"the gradient is not finite after {step} steps"
                break
            x = update(x, gradient)
            points.append(list(x))
    return Descent(names, optimizer, learning_rate, np.array(points, dtype=np.float64),
                   np.array(values, dtype=np.float64), iterations, stopped)  # fmt: skip


def _check(program: Program, start: Mapping[str, float], learning_rate: float, iterations: int, optimizer: str) -> None:
    if optimizer not in OPTIMIZERS:
        raise InputProblem(f"{optimizer!r} is not an optimizer; choose {', '.join(OPTIMIZERS)}", "optimizer")
    if not 0 < learning_rate < math.inf:
        raise InputProblem(f"{learning_rate}: the learning rate must be a positive number", "learning_rate")
    if not 0 <= iterations <= MAX_STEPS:
        raise InputProblem(f"{iterations}: take from 0 to {MAX_STEPS:,} steps", "iterations")
    if not start:
        raise InputProblem("name the inputs to descend with their starting values", "start")
    limits.check_work(2 * (iterations + 1) * program.size, "take fewer steps")


def _sgd(lr: float):
    def update(x: Sequence[float], g: Sequence[float]) -> list[float]:
        return [xi - lr * gi for xi, gi in zip(x, g)]

    return update


def _momentum(lr: float):
    velocity: list[float] = []

    def update(x: Sequence[float], g: Sequence[float]) -> list[float]:
        if not velocity:
            velocity.extend(g)
        else:
            velocity[:] = [MOMENTUM * v + gi for v, gi in zip(velocity, g)]
        return [xi - lr * v for xi, v in zip(x, velocity)]

    return update


def _adam(lr: float):
    b1, b2 = ADAM_BETAS
    state = {"t": 0, "m": None, "v": None}

    def update(x: Sequence[float], g: Sequence[float]) -> list[float]:
        state["t"] += 1
        t = state["t"]
        m = state["m"] or [0.0] * len(g)
        v = state["v"] or [0.0] * len(g)
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        state["m"], state["v"] = m, v
        return [
            xi - lr * (mi / (1 - b1**t)) / (math.sqrt(vi / (1 - b2**t)) + ADAM_EPSILON) for xi, mi, vi in zip(x, m, v)
        ]

    return update


_OPTIMIZERS = {"sgd": _sgd, "momentum": _momentum, "adam": _adam}
