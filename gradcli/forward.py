"""Evaluation: one forward sweep over a program's nodes in topological order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple
from weakref import WeakKeyDictionary

from gradcli.graph import Program

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


_PLANS: WeakKeyDictionary[Program, ForwardPlan] = WeakKeyDictionary()


def forward_plan(program: Program) -> ForwardPlan:
    """Build (once per program) the flat list of steps the forward sweep runs."""
    plan = _PLANS.get(program)
    if plan is None:
        plan = _PLANS[program] = _build_plan(program)
    return plan


def _build_plan(program: Program) -> ForwardPlan:
    g = program.graph
    template = [0.0] * program.size
    variables, steps = [], []
    for node, op, args, param in zip(program.nodes, g.ops, g.args, g.params):
        if args:
            fn = with_param(op.forward, param) if op.has_param else op.forward
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


def with_param(fn: Callable[..., float], param: object) -> Callable[..., float]:
    """Bind a node's parameter (the ``c`` of ``x**c``) as the last argument."""
    return lambda *args: fn(*args, param)


def forward_values(
    program: Program, point: Mapping[str, float], frozen: Mapping[int, float] | None = None
) -> list[float]:
    """The value of every program node, given a value for every input name.

    ``frozen`` pins some nodes to given values (finite differences hold stop_gradient
    fixed); it takes a slower loop, so the common case pays nothing for it.
    """
    plan = forward_plan(program)
    values = plan.template.copy()
    for node, name in plan.variables:
        values[node] = float(point[name])
    if frozen:
        return _with_frozen(plan, values, frozen)
    for node, fn, a, b in plan.steps:
        if b >= 0:
            values[node] = fn(values[a], values[b])
        elif b == UNARY:
            values[node] = fn(values[a])
        else:
            values[node] = fn(*[values[j] for j in a])
    return values


def _with_frozen(plan: ForwardPlan, values: list[float], frozen: Mapping[int, float]) -> list[float]:
    for node, fn, a, b in plan.steps:
        if node in frozen:
            values[node] = frozen[node]
        elif b >= 0:
            values[node] = fn(values[a], values[b])
        elif b == UNARY:
            values[node] = fn(values[a])
        else:
            values[node] = fn(*[values[j] for j in a])
    return values
