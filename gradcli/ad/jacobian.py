"""Jacobians: every output's derivative with respect to every input, and what each mode costs.

Forward mode builds the Jacobian a column at a time (one tangent pass per input),
reverse mode a row at a time (one adjoint pass per output). Both run here on the same
forward values, each is timed, and ``auto`` picks the mode with fewer passes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from gradcli.ad.evaluation import Anomaly, Kink, find_kinks, first_bad_value, resolve_point
from gradcli.ad.forward_mode import element_tangents, tangent_sweep
from gradcli.ad.reverse import adjoints, array_adjoints
from gradcli.core import arrays
from gradcli.core.arrays import elements, one_hot
from gradcli.core.errors import InputProblem
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.numbers import relative_error
from gradcli.core.values import forward_values, has_arrays

MODES = ("auto", "forward", "reverse")


class ModeCost(NamedTuple):
    passes: int  # sweeps over the graph after the one forward evaluation
    seconds: float | None  # wall time of those sweeps (None: not run)


class Jacobian(NamedTuple):
    program: Program
    point: dict[str, float]
    inputs: list[str]
    outputs: list[str | int]  # each output's name, or its position where it has none
    values: list[float]  # each output's value
    rows: list[list[float]]  # one row per output, one number per input (in input order)
    mode: str  # the mode whose numbers these are
    reason: str  # why that mode
    costs: dict[str, ModeCost]  # forward and reverse
    disagreement: float | None  # largest relative difference between the two modes' numbers
    anomalies: list[Anomaly]  # where a nan or infinity first appears among the values
    kinks: list[Kink]


def passes(mode: str, inputs: int, outputs: int) -> int:
    """Sweeps a mode needs for the whole Jacobian of R^inputs -> R^outputs."""
    if inputs == 0:
        return 0
    return inputs if mode == "forward" else outputs


def choose_mode(inputs: int, outputs: int) -> tuple[str, str]:
    """The mode with fewer passes, and the reason in words."""
    n, m = inputs, outputs
    if m < n:
        return "reverse", f"{m} output{_s(m)} < {n} inputs: reverse mode needs {m} pass{_es(m)}, forward mode {n}"
    if n < m:
        return "forward", f"{n} input{_s(n)} < {m} outputs: forward mode needs {n} pass{_es(n)}, reverse mode {m}"
    tie = f"{n} input{_s(n)} = {m} output{_s(m)}"
    return "reverse", f"{tie}: as many passes either way; reverse, as backpropagation does"


def _s(k: int) -> str:
    return "" if k == 1 else "s"


def _es(k: int) -> str:
    return "" if k == 1 else "es"


def forward_rows(program: Program, values: Sequence[float], wrt: Sequence[str] | None = None) -> list[list[float]]:
    """The Jacobian by forward mode: one tangent pass per input (per input of ``wrt``) gives a column."""
    columns = []
    for node in (program.inputs[name] for name in (program.inputs if wrt is None else wrt)):
        tangent = tangent_sweep(program, values, {node: 1.0})
        columns.append([tangent[out] or 0.0 for out in program.outputs])
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in program.outputs]


def reverse_rows(program: Program, values: Sequence[float]) -> list[list[float]]:
    """The Jacobian by reverse mode: one adjoint pass per output gives a row."""
    if not program.inputs:
        return [[] for _ in program.outputs]
    rows = []
    for out in program.outputs:
        adjoint = adjoints(program, values, output=out)
        rows.append([adjoint[node] for node in program.inputs.values()])
    return rows


def vector_valued(program: Program, at: Mapping[str, object] | None = None) -> bool:
    """Whether the program's one output is an array at ``at`` (its derivative is then a Jacobian)."""
    if len(program.outputs) != 1:
        return False
    point = resolve_point(program, at or {})
    if not has_arrays(program, point):
        return False
    return is_array(forward_values(program, point)[program.output])


def element_labels(name: str, value: object) -> list[str]:
    """``name`` for a number; ``s[0]``, ``s[1]``, ... (``W[0, 1]`` for a matrix) for an array's elements."""
    return [label for label, _ in elements(name, value)]


def array_reverse_rows(program: Program, values: Sequence[object]) -> list[list[float]]:
    """Reverse mode with arrays: one adjoint pass per output element (the seed picks it) gives a row."""
    inputs = list(program.inputs.values())
    rows = []
    for out in program.outputs:
        for where in np.ndindex(np.shape(values[out])):
            adjoint = array_adjoints(program, values, out, one_hot(values[out], where))
            rows.append([float(v) for node in inputs for v in np.ravel(adjoint[node])])
    return rows


def array_forward_rows(program: Program, values: Sequence[object]) -> list[list[float]]:
    """Forward mode with arrays: one tangent pass per input element gives a column."""
    columns = [
        [float(v) for out in program.outputs for v in np.ravel(arrays.shaped_like(tangent.get(out, 0.0), values[out]))]
        for _, tangent in element_tangents(program, values, list(program.inputs))
    ]
    return [list(row) for row in zip(*columns)]


_ROWS = {"forward": forward_rows, "reverse": reverse_rows}
_ARRAY_ROWS = {"forward": array_forward_rows, "reverse": array_reverse_rows}
MAX_ENTRIES = 1_000_000  # numbers in one Jacobian of arrays


def jacobian(
    program: Program, at: Mapping[str, float] | None = None, mode: str = "auto", both: bool = True
) -> Jacobian:
    """The Jacobian at ``at`` by ``mode`` (auto: fewer passes); with ``both``, the other
    mode runs too, so that their pass counts, times and numbers can be set side by side."""
    if mode not in MODES:
        raise InputProblem(f"choose {', '.join(MODES)}", "mode", mode)
    point = resolve_point(program, at or {})
    values = forward_values(program, point)
    arrays = has_arrays(program, point)
    output_names = [
        name or ("f" if len(program.outputs) == 1 else f"[{k}]") for k, name in enumerate(program.output_names)
    ]
    inputs = [label for name, node in program.inputs.items() for label in element_labels(name, values[node])]
    outputs: list[str | int] = (
        [label for name, node in zip(output_names, program.outputs) for label in element_labels(name, values[node])]
        if arrays
        else [name if name is not None else k for k, name in enumerate(program.output_names)]
    )
    n, m = len(inputs), len(outputs)
    if n * m > MAX_ENTRIES:
        raise InputProblem(f"the Jacobian would hold {n * m:,} numbers ({m} by {n}); the limit is {MAX_ENTRIES:,}")
    chosen, reason = choose_mode(n, m)
    if mode != "auto":
        reason = (
            f"as asked; auto's choice too: {reason}"
            if mode == chosen
            else f"as asked; auto would pick {chosen}: {reason}"
        )
        chosen = mode
    by_mode = _ARRAY_ROWS if arrays else _ROWS
    with paused_gc():
        results = {chosen: _timed(by_mode[chosen], program, values)}
        other = "reverse" if chosen == "forward" else "forward"
        if both:
            results[other] = _timed(by_mode[other], program, values)
    costs = {
        mode_name: ModeCost(passes(mode_name, n, m), results[mode_name][1] if mode_name in results else None)
        for mode_name in ("forward", "reverse")
    }
    rows = results[chosen][0]
    disagreement = _largest_difference(rows, results[other][0]) if both else None
    out_values = [float(v) for out in program.outputs for v in (np.ravel(values[out]) if arrays else [values[out]])]
    anomalies = [a for a in (first_bad_value(program, values),) if a is not None]
    return Jacobian(
        program,
        point,
        inputs,
        outputs,
        out_values,
        rows,
        chosen,
        reason,
        costs,
        disagreement,
        anomalies,
        find_kinks(program, values),
    )


TIMING_BUDGET = 0.1  # seconds of repeats per mode, after the first run
TIMING_REPEATS = 5


def _timed(rows_by, program: Program, values: Sequence[float]) -> tuple[list[list[float]], float]:
    """The rows, and the best time of a few runs: the first run also builds the mode's
    plans (once per program), which is not the cost of a pass."""
    start = time.perf_counter()
    rows = rows_by(program, values)
    best = time.perf_counter() - start
    spent = 0.0
    for _ in range(TIMING_REPEATS - 1):
        if spent + best > TIMING_BUDGET:
            break
        start = time.perf_counter()
        rows_by(program, values)
        took = time.perf_counter() - start
        spent += took
        best = min(best, took)
    return rows, best


def _largest_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max((relative_error(x, y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)), default=0.0)
