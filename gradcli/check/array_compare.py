"""Gradient checks of programs with arrays, as JAX's ``check_grads`` does them.

Errors are relative, as in the scalar check, but an element is measured against the largest
gradient element of its input too: otherwise an element that is exactly 0 fails on rounding.

Each input array's reverse-mode gradient is checked against central differences and against
forward mode: element by element for a small array, along a few random directions ``d`` for a
larger one (the directional derivative is ``sum(gradient * d)``). One verdict per input, with
its worst element or direction; the thresholds are those of the scalar check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from gradcli.ad.evaluation import Evaluation, evaluate, kink_among, kinks_on_path
from gradcli.ad.forward_mode import jvp_sweep
from gradcli.ad.symbolic import checked_names, derivative, derivative_program
from gradcli.check.numeric import FAIL, PASS, default_step, values_along, verdict
from gradcli.core.algebra import ARRAYS
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.values import forward_values

KINK = "KINK"
ELEMENTWISE_UP_TO = 64  # an input of at most this many numbers is checked element by element
DIRECTIONS = 8  # random directions for a larger one
SEED = 20240601


class ArrayRow(NamedTuple):
    """One input's check: how it was probed, and the worst probe's figures."""

    name: str
    shape: tuple[int, ...]
    probes: str  # "every element" or "8 random directions"
    count: int
    worst: str  # the worst element (``W1[0, 2]``) or direction (``direction 3``)
    reverse: float
    numerical: float
    forward: float
    step: float
    errors: dict[str, float]  # numerical and forward against reverse, at the worst probe
    verdict: str
    kink: str | None = None
    symbolic: float | None = None  # the symbolic derivative (``diff``'s, evaluated) along the worst probe


class ArrayComparison(NamedTuple):
    evaluation: Evaluation
    rows: list[ArrayRow]
    passes: dict[str, int]

    @property
    def failed(self) -> bool:
        return any(r.verdict == FAIL for r in self.rows)


def compare_arrays(
    program: Program, at: Mapping[str, Any] | None = None, h: float | None = None, wrt: Sequence[str] | None = None
) -> ArrayComparison:
    """Each input's gradient (each of ``wrt``) by reverse mode, against forward mode and central
    differences (``h``: the step, else one per probe), stop_gradient held fixed."""
    ev = evaluate(program, at)
    names = checked_names(program, wrt)
    symbolic = _symbolic_gradient(program, ev.point, names)
    rows = [_check_input(ev, name, h, symbolic.get(name)) for name in names]
    probes = sum(r.count for r in rows)
    passes = {"reverse": 1 if rows else 0, "forward": probes, "numerical": 2 * probes, "symbolic": 1 if rows else 0}
    return ArrayComparison(ev, rows, passes)


def _symbolic_gradient(program: Program, point: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The symbolic derivative by each input (what ``diff`` prints), evaluated at the point."""
    d = derivative(program, names, point)
    values = forward_values(derivative_program(d.program, list(d.nodes.values()) or program.outputs), point)
    return {name: values[node] for name, node in d.nodes.items()}


def _probes(name: str, value: Any) -> tuple[str, list[tuple[str, Any]]]:
    """What to probe an input along: each element (one-hot arrays), or random unit directions."""
    if not is_array(value):
        return "the number", [(name, 1.0)]
    if value.size <= ELEMENTWISE_UP_TO:
        probes = []
        for where in np.ndindex(value.shape):
            d = np.zeros(value.shape)
            d[where] = 1.0
            probes.append((f"{name}[{', '.join(map(str, where))}]", d))
        return "every element", probes
    rng = np.random.default_rng(SEED)
    directions = [rng.standard_normal(value.shape) for _ in range(DIRECTIONS)]
    return f"{DIRECTIONS} random directions", [
        (f"direction {k + 1}", d / np.linalg.norm(d)) for k, d in enumerate(directions)
    ]


def _error(a: float, n: float, scale: float) -> float:
    """|a - n| / max(|a|, |n|, the input's largest gradient element, 1e-8): the scalar check's measure,
    except that an element whose exact value is 0 is measured against its neighbours, not against 1e-8
    (a central difference of a sum of many terms leaves rounding of 1e-11 where the truth is 0)."""
    if a == n:
        return 0.0
    return abs(a - n) / max(abs(a), abs(n), scale, 1e-8)


def _check_input(ev: Evaluation, name: str, h: float | None, symbolic: Any = None) -> ArrayRow:
    program, x = ev.program, ev.point[name]
    along = values_along(program, ev.point, name)
    node, output = program.inputs[name], program.output
    kind, probes = _probes(name, x)
    if not probes:
        return ArrayRow(name, np.shape(x), "no elements", 0, "—", 0.0, 0.0, 0.0, 0.0, {}, PASS)
    scale = float(np.max(np.abs(ev.gradient[name])))  # the gradient's size, the measure of an element near 0
    worst = None
    for label, d in probes:
        scale = float(np.max(np.abs(x * d))) if is_array(x) else abs(x)
        step = h if h is not None else default_step(scale)
        with np.errstate(all="ignore"):
            numerical = (along(x + step * d)[output] - along(x - step * d)[output]) / (2 * step)
            reverse = float(np.sum(ev.gradient[name] * d))
            tangent = jvp_sweep(ARRAYS, program, ev.values, {node: d}).get(output, 0.0)
            along_symbolic = None if symbolic is None else float(np.sum(symbolic * d))
        errors = {"numerical": _error(numerical, reverse, scale), "forward": _error(float(tangent), reverse, scale)}
        if along_symbolic is not None:
            errors["symbolic"] = _error(along_symbolic, reverse, scale)
        score = max(errors.values()) if all(e == e for e in errors.values()) else np.inf
        if worst is None or score > worst[0]:
            worst = (score, label, reverse, numerical, float(tangent), step, errors, along_symbolic)
    assert worst is not None
    _, label, reverse, numerical, forward, step, errors, along_symbolic = worst
    kink = kink_among(ev, kinks_on_path(program, name)) if ev.kinks else None
    outcome = KINK if kink is not None else verdict(worst[0])
    shape = np.shape(x)
    return ArrayRow(
        name, shape, kind, len(probes), label, reverse, numerical, forward, step, errors, outcome, kink, along_symbolic
    )
