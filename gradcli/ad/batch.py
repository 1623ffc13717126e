"""Many points at once: a program, its gradient and its second derivative over a batch of points.

A program of numbers runs every node once over all the points: each input becomes a
float64 array with one element per point (inputs held fixed are repeated), the NumPy
kernels run elementwise, and the reverse sweep of :mod:`gradcli.ad.reverse` sends each
point's gradient back independently, since no elementwise op mixes points. The rules are
the op table's, applied in the same order as at one point, so each point's numbers equal
``evaluate`` at that point to the last bit (``tests/test_batch.py`` holds them to it).

A program that builds arrays (``sum``, ``@``, indexing) would mix the batch axis with its
own axes, so it is evaluated point by point instead, its parsed program reused; the
results take the same form, a leading axis of points.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from gradcli.ad.evaluation import resolve_point
from gradcli.ad.forward_mode import jvp_sweep
from gradcli.ad.reverse import array_adjoints
from gradcli.ad.symbolic import gradient_program
from gradcli.core import limits
from gradcli.core.algebra import ARRAYS
from gradcli.core.errors import InputProblem, UnknownInput
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import MultipleOutputs, Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.values import array_ops, array_values, forward_values
from gradcli.syntax.parser import parse

CHUNK = 1 << 16  # points evaluated together: each node's array (512 kB) stays in the cache for the sweep
POINT_OVERHEAD = 100  # node evaluations that one point of a program with arrays costs beyond its nodes
CHUNK_NUMBERS = 1 << 23  # nodes times points of one chunk at most (64 MB of values, as much of adjoints)


class Batch(NamedTuple):
    """A program evaluated at many points: f and each input's partial at every point, and, for a
    batch of one chunk (:data:`CHUNK` points of a program under 128 nodes; a chart of one has),
    every node's value and adjoint."""

    program: Program
    inputs: dict[str, Any]  # each input's value at every point: an array of shape (size, ...)
    value: Any  # f at every point
    gradients: dict[str, Any]  # d f / d input at every point
    values: list[Any] | None  # per node: shape (size, ...), or a plain number for a constant
    grads: list[Any] | None  # per node, d f / d node (0.0 where nothing reaches it)
    vectorised: bool  # False: the program builds arrays, and each point was evaluated on its own

    @property
    def size(self) -> int:
        return len(self.value)

    def gradient(self, name: str) -> Any:
        """d f / d ``name`` at every point."""
        return self.gradients[name]

    def held(self, varying: Collection[str]) -> dict[str, Any]:
        """The inputs not in ``varying``, each at its one value: a float, or an array."""
        return {
            name: float(v[0]) if np.ndim(v) == 1 else np.asarray(v[0])
            for name, v in self.inputs.items()
            if name not in varying
        }


def batch_point(program: Program, over: Mapping[str, Sequence[float]], at: Mapping[str, Any] | None) -> dict:
    """Every input's values at the points: those in ``over`` as given (all of one length), the
    others held at their value in ``at`` (or the program's default)."""
    sizes = {len(values) for values in over.values()}
    if len(sizes) > 1:
        raise InputProblem("the inputs that vary must have one value per point, the same number each")
    size = sizes.pop() if sizes else 1
    for name in over:
        if name not in program.inputs:
            raise UnknownInput(name, program.inputs, "over", name in program.bound)
    held = {name: value for name, value in (at or {}).items() if name not in over}
    point = resolve_point(program, {**held, **{name: 0.0 for name in over}})
    for name in over:
        if is_array(point[name]):
            raise InputProblem(f"{name} is an array in this program: only a number input can vary over a range")
    batch = {}
    for name, value in point.items():
        if name in over:
            batch[name] = np.asarray(over[name], dtype=np.float64).view()  # the caller's array, not copied
        else:
            batch[name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (size, *np.shape(value)))
    return batch


def evaluate_over(
    program: Program | str, over: Mapping[str, Sequence[float]], at: Mapping[str, Any] | None = None
) -> Batch:
    """``program`` at every point of ``over`` (input name -> one value per point), the other inputs
    held at ``at``: values and gradients, vectorised for a program of numbers."""
    if isinstance(program, str):
        program = parse(program)
    if len(program.outputs) > 1:
        raise MultipleOutputs(program)
    inputs = batch_point(program, over, at)
    size = len(next(iter(inputs.values()))) if inputs else 1
    limits.check_points(size * program.size, "take fewer points")
    scalar_inputs = all(np.ndim(v) == 1 for v in inputs.values())
    with paused_gc():
        if scalar_inputs and not array_ops(program):
            return _vectorised(program, inputs, size)
        return _point_by_point(program, inputs, size)


def _vectorised(program: Program, inputs: dict[str, Any], size: int) -> Batch:
    """The sweeps over :data:`CHUNK` points at a time: each node's array small enough to stay in
    the cache, and memory that grows with the chunk, not with the number of points."""
    chunk = max(1, min(CHUNK, CHUNK_NUMBERS // program.size))
    if size <= chunk:
        values, grads = _sweeps(program, inputs)
        gradients = {name: _as_summed(grads[node], size) for name, node in program.inputs.items()}
        return Batch(program, inputs, np.broadcast_to(values[program.output], (size,)), gradients, values, grads, True)
    value = np.empty(size)
    gradients = {name: np.empty(size) for name in program.inputs}
    for start in range(0, size, chunk):
        part = slice(start, min(start + chunk, size))
        values, grads = _sweeps(program, {name: v[part] for name, v in inputs.items()})
        value[part] = values[program.output]
        for name, node in program.inputs.items():
            _as_summed(grads[node], part.stop - start, gradients[name][part])
    return Batch(program, inputs, value, gradients, None, None, True)


def _sweeps(program: Program, inputs: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Forward and reverse sweep over arrays of points."""
    values = array_values(program, inputs)
    output = values[program.output]
    grads = array_adjoints(program, values, inputs_only=True) if is_array(output) else [0.0] * program.size
    return values, grads


def _as_summed(gradient: Any, size: int, out: Any = None) -> Any:
    """An input's adjoint as the float sweep has it: summed onto 0.0, which makes -0.0 into 0.0
    (a sweep that may send nothing, through ``where``, starts from nothing, but 0.0 + -0.0 is the
    only case where adding 0.0 changes a number, and there it is 0 either way)."""
    if out is None:
        out = np.empty(size)
    return np.add(np.broadcast_to(gradient, (size,)), 0.0, out=out)


def _point_by_point(program: Program, inputs: dict[str, Any], size: int) -> Batch:
    # A point of a program with arrays costs its nodes and some hundred NumPy calls' overhead.
    limits.check_work(size * (program.size + POINT_OVERHEAD) * 3, "take fewer points")
    rows_values, rows_grads = [], []
    for i in range(size):
        point = {name: value[i] for name, value in inputs.items()}
        point = {name: float(v) if np.ndim(v) == 0 else v for name, v in point.items()}
        values = forward_values(program, point)
        if is_array(values[program.output]):
            raise InputProblem("the output is an array: a curve needs one number per point; take sum(...) or y[0]")
        rows_values.append(values)
        rows_grads.append(array_adjoints(program, values))
    values = [_stacked([row[node] for row in rows_values]) for node in program.nodes]
    grads = [_stacked([row[node] for row in rows_grads]) for node in program.nodes]
    gradients = {name: grads[node] for name, node in program.inputs.items()}
    return Batch(program, inputs, values[program.output], gradients, values, grads, False)


def _stacked(per_point: list[Any]) -> Any:
    return np.stack([np.asarray(v, dtype=np.float64) for v in per_point])


def second_over(batch: Batch, name: str) -> Any:
    """d²f/d``name``² at every point of ``batch``: forward-over-reverse, as ``eval --order 2``."""
    program = batch.program
    gradient = gradient_program(program)
    node = program.inputs[name]
    if batch.vectorised:
        with paused_gc(), np.errstate(all="ignore"):
            values = array_values(gradient, batch.inputs)
            tangent = jvp_sweep(ARRAYS, gradient, values, {node: np.ones(batch.size)})
        column = tangent.get(gradient.outputs[list(program.inputs).index(name)], 0.0)
        return np.broadcast_to(column, (batch.size,)).copy()
    raise InputProblem("second derivatives over a range work on programs of numbers only, for now")
