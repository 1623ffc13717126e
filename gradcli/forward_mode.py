"""Forward mode: dual numbers over the same op table, one pass per input.

Each node carries its value and a tangent (its derivative with respect to one input);
a node's tangent is the sum of its local partials times its arguments' tangents. With
n inputs the gradient takes n passes, against one for reverse mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from gradcli.evaluation import resolve_point
from gradcli.explain import numeric_partials
from gradcli.forward import forward_values
from gradcli.gcpause import paused_gc
from gradcli.graph import Program


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


def tangents(program: Program, values: list[float], seed_node: int) -> list[float]:
    """d node / d seed for every node: one forward pass of dual numbers."""
    g = program.graph
    tangent = [0.0] * program.size
    tangent[seed_node] = 1.0
    depends = bytearray(program.size)  # on the seed, through differentiable ops
    depends[seed_node] = 1
    for node in range(seed_node + 1, program.size):
        op, args = g.ops[node], g.args[node]
        if not args or op.partials is None or not any(depends[a] for a in args):
            continue  # leaves, stop_gradient, and nodes the seed does not reach: tangent 0
        depends[node] = 1
        partials = numeric_partials(program, node, values)
        # Every dependent argument counts, even with tangent 0 (0*inf is nan, as in reverse mode).
        tangent[node] = sum(p * tangent[a] for p, a in zip(partials, args) if depends[a])
    return tangent


def forward_mode(program: Program, at: Mapping[str, float] | None = None) -> ForwardResult:
    """Value and gradient by forward mode: one dual-number pass per input."""
    point = resolve_point(program, at or {})
    with paused_gc():
        values = forward_values(program, point)
        result = {name: tangents(program, values, node) for name, node in program.inputs.items()}
    return ForwardResult(program, point, values, result, len(result))
