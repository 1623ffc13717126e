"""Evaluation: one forward sweep over a program's nodes in topological order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from gradcli.core.graph import Program, per_program

# A step is (node, forward function, first argument, second argument); for a unary op
# the second is UNARY, for an op of three or more arguments the first is the tuple of
# all of them and the second is NARY.
Step = tuple[int, Callable[..., float], "int | tuple[int, ...]", int]
UNARY = -1
NARY = -2


class ForwardPlan(NamedTuple):
    """The program flattened for a fast loop: a value list with the numbers already in
    place, the inputs to fill in, then the steps that compute every other node."""

    template: list[float]
    variables: tuple[tuple[int, str], ...]
    steps: tuple[Step, ...]


@per_program
def forward_plan(program: Program) -> ForwardPlan:
    """The flat list of steps the forward sweep runs (built once per program)."""
    g = program.graph
    template = [0.0] * program.size
    variables, steps = [], []
    for node, op, args, param in zip(program.nodes, g.ops, g.args, g.params):
        if args:
            fn = op.forward if param is None else op.kernel_for(param)  # a call per node slows the first sweep
            if len(args) == 1:
                steps.append((node, fn, args[0], UNARY))
            elif len(args) == 2:
                steps.append((node, fn, args[0], args[1]))
            else:
                steps.append((node, fn, args, NARY))
        elif op.name == "const":
            template[node] = param
        else:
            variables.append((node, param))
    return ForwardPlan(template, tuple(variables), tuple(steps))


def forward_values(
    program: Program, point: Mapping[str, float], frozen: Mapping[int, float] | None = None
) -> list[float]:
    """The value of every program node, given a value for every input name.

    ``frozen`` pins some nodes to given values (finite differences hold stop_gradient
    fixed): their steps are swapped for constants, and the loop stays the same.
    """
    plan = forward_plan(program)
    values = plan.template.copy()
    for node, name in plan.variables:
        values[node] = float(point[name])
    steps = plan.steps if not frozen else [_pinned(step, frozen) for step in plan.steps]
    for node, fn, a, b in steps:
        if b >= 0:
            values[node] = fn(values[a], values[b])
        elif b == UNARY:
            values[node] = fn(values[a])
        else:
            values[node] = fn(*[values[j] for j in a])
    return values


def _pinned(step: Step, frozen: Mapping[int, float]) -> Step:
    node, fn, a, b = step
    if node not in frozen:
        return step
    value = frozen[node]
    return (node, lambda *_: value, a, b)
