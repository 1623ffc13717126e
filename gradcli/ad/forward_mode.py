"""Forward mode: dual numbers over the same op table, one pass per input.

Each node carries its value and a tangent (its derivative along one direction of the
inputs); a node's tangent is the sum of its local partials times its arguments'
tangents. With n inputs the gradient takes n passes, against one for reverse mode.
The sweep runs the same kinds of steps as the reverse sweep, in the other direction.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import NamedTuple

from gradcli.ad.evaluation import resolve_point
from gradcli.ad.reverse import LINEAR1, LINEAR2, MUL, OUTPUT1, PRIMITIVE1, ReverseStep, sweep_step
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Program, per_program
from gradcli.core.values import forward_values


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
    steps: tuple[ReverseStep, ...]  # every differentiable node, in topological order
    nodes: list[int]  # each step's node, to start a sweep just after its seed


@per_program
def tangent_plan(program: Program) -> TangentPlan:
    """The steps of a tangent sweep (stop_gradient and leaves have none), built once."""
    g = program.graph
    per_op: dict = {}
    steps = tuple(
        sweep_step(g.ops[node], node, g.args[node], g.params[node], per_op)
        for node in program.nodes
        if g.args[node] and g.ops[node].partials is not None
    )
    return TangentPlan(steps, [step[1] for step in steps])


def tangent_sweep(program: Program, values: Sequence[float], seeds: Mapping[int, float]) -> list[float | None]:
    """d node / d t for every node, where the seed nodes move as ``node + seeds[node] * t``.

    A node that the seeds do not reach has tangent None (exactly 0). Every reached
    argument counts, even with tangent 0: 0 * inf is nan here as in reverse mode.
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
            else:
                tangent[node] = rule(values[node], values[a])[0] * ta
        else:
            reached = [(j, tangent[j]) for j in args]
            if all(t is None for _, t in reached):
                continue
            partials = rule if isinstance(rule, tuple) else rule(values[node], *[values[j] for j in args])
            tangent[node] = sum(p * t for p, (_, t) in zip(partials, reached) if t is not None)
    return tangent


def tangents(program: Program, values: Sequence[float], seed_node: int) -> list[float]:
    """d node / d seed for every node: one forward pass of dual numbers."""
    return [0.0 if t is None else t for t in tangent_sweep(program, values, {seed_node: 1.0})]


def forward_mode(
    program: Program, at: Mapping[str, float] | None = None, wrt: Sequence[str] | None = None
) -> ForwardResult:
    """Value and gradient by forward mode: one dual-number pass per input (per input of ``wrt``)."""
    point = resolve_point(program, at or {})
    names = program.inputs if wrt is None else wrt
    with paused_gc():
        values = forward_values(program, point)
        result = {name: tangents(program, values, program.inputs[name]) for name in names}
    return ForwardResult(program, point, values, result, len(result))
