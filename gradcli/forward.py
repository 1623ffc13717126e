"""Evaluation: one forward sweep over a program's nodes in topological order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple
from weakref import WeakKeyDictionary

from gradcli.graph import Program

# A step is (node, forward function, first argument, second argument or -1, all arguments).
Step = tuple[int, Callable[..., float], int, int, tuple[int, ...]]
UNARY = -1
NARY = -2


class ForwardPlan(NamedTuple):
    """The program flattened for a fast loop: leaves to fill in, then compute steps."""

    size: int
    constants: tuple[tuple[int, float], ...]
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
    constants, variables, steps = [], [], []
    for node, op, args, param in zip(program.nodes, g.ops, g.args, g.params):
        if args:
            fn = with_param(op.forward, param) if op.has_param else op.forward
            second = args[1] if len(args) == 2 else (UNARY if len(args) == 1 else NARY)
            steps.append((node, fn, args[0], second, args))
        elif op.name == "const":
            constants.append((node, param))
        else:
            variables.append((node, param))
    return ForwardPlan(program.size, tuple(constants), tuple(variables), tuple(steps))


def with_param(fn: Callable[..., float], param: object) -> Callable[..., float]:
    """Bind a node's parameter (the ``c`` of ``x**c``) as the last argument."""
    return lambda *args: fn(*args, param)


def forward_values(program: Program, point: Mapping[str, float]) -> list[float]:
    """The value of every program node, given a value for every input name."""
    plan = forward_plan(program)
    values = [0.0] * plan.size
    for node, value in plan.constants:
        values[node] = value
    for node, name in plan.variables:
        values[node] = float(point[name])
    for node, fn, a, b, args in plan.steps:
        if b >= 0:
            values[node] = fn(values[a], values[b])
        elif b == UNARY:
            values[node] = fn(values[a])
        else:
            values[node] = fn(*[values[j] for j in args])
    return values
