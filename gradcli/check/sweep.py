"""The step sweep of ``gradcli compare --sweep``: finite differences against the exact derivative.

For each step h (default 1e-1, 1e-2, ..., 1e-16) the forward difference
``(f(x+h) - f(x)) / h`` and the central difference ``(f(x+h) - f(x-h)) / 2h`` are
compared with reverse mode's derivative, by relative error ``|a - n| / max(|a|, |n|, 1e-8)``.

Two errors pull in opposite directions:

* **truncation**, the Taylor terms the formula drops: ``h/2 |f''|`` for the forward
  difference (O(h)), ``h**2/6 |f'''|`` for the central one (O(h**2)). It shrinks with h.
* **cancellation**: f(x+h) and f(x) agree in most of their digits, so their difference
  keeps only the rounding error of each, about ``eps |f| / h`` (eps = 2.2e-16). It grows
  as h shrinks, until at h below eps |x| the step is lost altogether (x + h == x).

On a log-log plot each method draws a V: a slope -1 (cancellation) on the small-step
side, +1 (forward) or +2 (central) on the other. The bottom sits where the two balance,
near ``h = sqrt(eps) ~ 1.5e-8`` for forward and ``eps**(1/3) ~ 6e-6`` for central
differences (times ``max(1, |x|)``, and up to the scale of f's derivatives).

"Exact" is reverse mode in floating point, good to a few ulps: relative errors below about
1e-16 are at the noise level. An error of exactly 0 is kept as 0 in the data; plots draw
it at :data:`ERROR_FLOOR` (see :func:`plotted_error`). Errors are nan where the exact
derivative or a difference is not finite (``sqrt(x)`` at 0).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from gradcli.ad.evaluation import Evaluation, evaluate, kink_on_path
from gradcli.check.compare import relative_error
from gradcli.check.numeric import central_difference, forward_difference
from gradcli.core.errors import InputProblem, UnknownInput
from gradcli.core.graph import Program
from gradcli.core.values import scalars_only

EPSILON = sys.float_info.epsilon
DEFAULT_STEPS: tuple[float, ...] = tuple(float(f"1e-{k}") for k in range(1, 17))  # 1e-1 ... 1e-16
ERROR_FLOOR = 1e-17  # where plots draw an error of exactly 0 (log scale has no 0)
SWEEP_EVALUATIONS = 4 * len(DEFAULT_STEPS)  # evaluations of the program per input: f(x), f(x + h), f(x - h) per step


class SweepRow(NamedTuple):
    """One step: both differences and their relative errors against the exact derivative."""

    step: float
    forward: float  # (f(x+h) - f(x)) / h
    central: float  # (f(x+h) - f(x-h)) / 2h
    forward_error: float  # relative error; 0 where exact, nan where not comparable
    central_error: float


class Sweep(NamedTuple):
    """The sweep of one input, rows in order of decreasing step."""

    name: str  # the input
    x: float  # its value at the point
    exact: float  # d output / d name by reverse mode
    rows: list[SweepRow]
    best_forward: SweepRow | None  # the row of least forward error (None if every error is nan)
    best_central: SweepRow | None  # the row of least central error
    kink: str | None = None  # the convention reverse mode used, when the point sits on a kink


def sweep(
    program: Program | str,
    at: Mapping[str, float] | None = None,
    names: Sequence[str] | None = None,
    steps: Sequence[float] | None = None,
) -> list[Sweep]:
    """Forward and central differences of every input in ``names`` (default: every input, in
    order of first use) at the point ``at``, for each step in ``steps`` (default
    :data:`DEFAULT_STEPS`). Steps are used largest first, duplicates once. Bad names,
    values or steps raise :class:`~gradcli.core.errors.InputProblem`."""
    ev = evaluate(program, at)
    program = ev.program
    scalars_only(program, ev.point, "the step sweep")
    chosen = list(program.inputs) if names is None else list(dict.fromkeys(names))
    for name in chosen:
        if name not in program.inputs:
            raise UnknownInput(name, program.inputs, "names")
    ordered = _steps(DEFAULT_STEPS if steps is None else steps)
    return [_sweep_one(ev, name, ordered) for name in chosen]


def _steps(steps: Sequence[float]) -> list[float]:
    values = [float(h) for h in steps]
    bad = [h for h in values if not (math.isfinite(h) and h > 0)]
    if bad or not values:
        raise InputProblem(f"steps must be positive finite numbers, got {bad[0] if bad else 'none'}", "steps")
    return sorted(set(values), reverse=True)


def _sweep_one(ev: Evaluation, name: str, steps: list[float]) -> Sweep:
    program, point = ev.program, ev.point
    exact = ev.gradient[name]
    rows = []
    for h in steps:
        fwd = forward_difference(program, point, name, h)
        cen = central_difference(program, point, name, h)
        rows.append(SweepRow(h, fwd, cen, _error(exact, fwd), _error(exact, cen)))
    return Sweep(
        name,
        point[name],
        exact,
        rows,
        _best(rows, lambda r: r.forward_error),
        _best(rows, lambda r: r.central_error),
        kink_on_path(ev, name),
    )


def _error(exact: float, numerical: float) -> float:
    if not (math.isfinite(exact) and math.isfinite(numerical)):
        return math.nan  # inf against inf is no agreement, inf against a number no useful ratio
    return relative_error(exact, numerical)


def _best(rows: list[SweepRow], error) -> SweepRow | None:
    """The row of least error; on a tie the larger step (the first, as rows go down)."""
    finite = [r for r in rows if error(r) == error(r)]
    return min(finite, key=error) if finite else None


def plotted_error(error: float) -> float | None:
    """Where a plot draws ``error`` on a log scale: at least :data:`ERROR_FLOOR` (so 0 shows),
    None for nan or infinity (no point)."""
    if not math.isfinite(error):
        return None
    return max(error, ERROR_FLOOR)


def theory_steps(x: float) -> tuple[float, float]:
    """The textbook best steps (forward, central): ``sqrt(eps)`` and ``eps**(1/3)``, times
    ``max(1, |x|)``, where truncation and cancellation balance for f of unit scale."""
    scale = max(1.0, abs(x))
    return math.sqrt(EPSILON) * scale, EPSILON ** (1 / 3) * scale
