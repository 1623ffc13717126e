"""Forward mode: tangents over the same op table, one pass per input.

Each node carries its value and a tangent (its derivative along one direction of the
inputs); a node's tangent is its op's Jacobian-vector product of its arguments' tangents
(:meth:`gradcli.core.ops.Op.jvp`), by default the sum of local partials times tangents.
:func:`jvp_sweep` is that sweep over any algebra. With n inputs the gradient takes n
passes, against one for reverse mode.

:func:`tangent_sweep` is the same sweep specialised to floats, as
:func:`gradcli.ad.reverse.adjoints` is for the reverse sweep, with the same step kinds;
``tests/test_sweeps.py`` holds the two equal for every op of the table.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, NamedTuple

from gradcli.ad.evaluation import resolve_point
from gradcli.ad.reverse import GENERAL, LINEAR1, LINEAR2, MUL, OUTPUT1, PRIMITIVE1, UNARY, Step, step_for
from gradcli.core import arrays, limits
from gradcli.core.algebra import ARRAYS, FLOATS
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Program, per_program
from gradcli.core.lazy_numpy import np
from gradcli.core.values import forward_values, has_arrays


def jvp_sweep(A: Any, program: Program, values: Sequence[Any], seeds: Mapping[int, Any]) -> dict[int, Any]:
    """d node / d t in the algebra ``A`` for every node the seeds reach, where the seed nodes move
    as ``node + seeds[node] * t``. A node absent from the answer has tangent exactly 0."""
    g = program.graph
    tangent = dict(seeds)
    first = min(seeds, default=program.size)
    for node in program.nodes[first + 1 :]:
        op, args = g.ops[node], g.args[node]
        if not args or not op.differentiable:
            continue  # leaves and stop_gradient: no tangent of their own
        moving = [tangent.get(a) for a in args]
        if all(t is None for t in moving):
            continue
        result = op.jvp(A, values[node], [values[a] for a in args], moving, g.params[node])
        if result is not None:
            tangent[node] = result
    return tangent


class ForwardResult(NamedTuple):
    program: Program
    point: dict[str, float]
    values: list[float]
    tangents: dict[str, list[float]]  # input name -> d node / d input, for every node
    passes: int

    @property
    def value(self) -> float:
        return self.values[self.program.output]

    @property
    def gradient(self) -> dict[str, float]:
        return {name: tangent[self.program.output] for name, tangent in self.tangents.items()}


class TangentPlan(NamedTuple):
    steps: tuple[Step, ...]  # every differentiable node, in topological order
    nodes: list[int]  # each step's node, to start a sweep just after its seed


@per_program
def tangent_plan(program: Program) -> TangentPlan:
    """The float steps of a tangent sweep (stop_gradient and leaves have none), built once."""
    g = program.graph
    steps = tuple(
        step_for(g.ops[node], node, g.args[node], g.params[node])
        for node in program.nodes
        if g.args[node] and g.ops[node].differentiable
    )
    return TangentPlan(steps, [step[1] for step in steps])


def tangent_sweep(program: Program, values: Sequence[float], seeds: Mapping[int, float]) -> list[float | None]:
    """:func:`jvp_sweep` on floats, as a list: None for a node the seeds do not reach (exactly 0).

    Every reached argument counts, even with tangent 0: 0 * inf is nan here as in reverse mode.
    """
    tangent: list[float | None] = [None] * program.size
    for node, direction in seeds.items():
        tangent[node] = float(direction)
    if not seeds:
        return tangent
    plan = tangent_plan(program)
    start = bisect_right(plan.nodes, min(seeds))
    for kind, node, rule, a, b, args in islice(plan.steps, start, None):
        ta = tangent[a]
        if b >= 0:
            tb = tangent[b]
            if ta is None and tb is None:
                continue
            if kind == MUL:
                p, q = values[b], values[a]
            elif kind == LINEAR2:
                p, q = rule
            elif kind == GENERAL:
                tangent[node] = _general(rule, values, node, args, tangent)
                continue
            else:
                p, q = rule(values[node], values[a], values[b])
            if tb is None:
                tangent[node] = p * ta
            elif ta is None:
                tangent[node] = q * tb
            else:
                tangent[node] = p * ta + q * tb
        elif len(args) == 1:
            if ta is None:
                continue
            if kind == PRIMITIVE1:
                tangent[node] = rule(values[a]) * ta
            elif kind == OUTPUT1:
                tangent[node] = values[node] * ta
            elif kind == LINEAR1:
                tangent[node] = rule[0] * ta
            elif kind == UNARY:
                tangent[node] = rule(values[node], values[a])[0] * ta
            else:
                tangent[node] = _general(rule, values, node, args, tangent)
        elif any(tangent[j] is not None for j in args):
            tangent[node] = _general(rule, values, node, args, tangent)
    return tangent


def _general(rule: tuple, values: Sequence[float], node: int, args: tuple[int, ...], tangent: list) -> float | None:
    """A GENERAL step: the op's own JVP on floats."""
    op, param = rule
    return op.jvp(FLOATS, values[node], [values[j] for j in args], [tangent[j] for j in args], param)


def tangents(program: Program, values: Sequence[float], seed_node: int) -> list[float]:
    """d node / d seed for every node: one forward pass of dual numbers."""
    return [0.0 if t is None else t for t in tangent_sweep(program, values, {seed_node: 1.0})]


def forward_mode(
    program: Program, at: Mapping[str, float] | None = None, wrt: Sequence[str] | None = None
) -> ForwardResult:
    """Value and gradient by forward mode: one dual-number pass per input (per input of ``wrt``)."""
    point = resolve_point(program, at or {})
    names = program.inputs if wrt is None else wrt
    if has_arrays(program, point):
        return _array_forward_mode(program, point, names)
    with paused_gc():
        values = forward_values(program, point)
        result = {name: tangents(program, values, program.inputs[name]) for name in names}
    return ForwardResult(program, point, values, result, len(result))


def _array_forward_mode(program: Program, point: Mapping[str, Any], names: Sequence[str]) -> ForwardResult:
    """Forward mode with arrays: one tangent pass per input element, each giving that element's
    column of tangents (``x[0]``, ``x[1]``, ...): the gradient one number at a time."""
    values = forward_values(program, point)
    size = sum(int(np.size(v)) for v in values)
    passes = sum(int(np.size(values[program.inputs[name]])) for name in names)
    limits.check_work(passes * 4 * size, "choose fewer inputs with --wrt, or use reverse mode")
    with paused_gc():
        result = {
            label: [arrays.shaped_like(tangent.get(n, 0.0), values[n]) for n in program.nodes]
            for label, tangent in element_tangents(program, values, names)
        }
    return ForwardResult(program, dict(point), values, result, len(result))


def element_tangents(program: Program, values: Sequence[Any], names: Sequence[str]) -> Iterator[tuple[str, dict]]:
    """For each element of each input of ``names`` (``x[0]``, ``x[1]``, ...): its label and the
    tangent of every node along it, one forward pass each (a tangent absent is exactly 0)."""
    for name in names:
        node = program.inputs[name]
        for label, where in arrays.elements(name, values[node]):
            with np.errstate(all="ignore"):
                yield label, jvp_sweep(ARRAYS, program, values, {node: arrays.one_hot(values[node], where)})
