"""Reverse mode: one sweep from the output back to the inputs over the topological list.

Every node's adjoint (d output / d node) is the sum, over the nodes that use it, of
the consumer's adjoint times the local partial the op table gives for that edge. The
partials are evaluated with :data:`gradcli.algebra.FLOATS`. Rules whose partials are
constants (``add``) or one of the arguments (``mul``) are recognised once, from the
rule itself, and take a shortcut in the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial
from weakref import WeakKeyDictionary

from gradcli.algebra import FLOATS, NodeAlgebra
from gradcli.forward import with_param
from gradcli.graph import Graph, Program
from gradcli.ops import Op

GENERAL = 0
CONSTANT = 1  # partials are numbers: stored in the step
SWAPPED = 2  # binary op whose partials are (second argument, first argument), as mul

# (kind, node, rule or constant partials, first argument, second argument or -1, all arguments)
ReverseStep = tuple[int, int, object, int, int, tuple[int, ...]]


@cache
def rule_shape(op: Op) -> tuple[int, tuple[float, ...] | None]:
    """Classify an op's partials by building them once on symbolic arguments."""
    if op.has_param or not op.differentiable or op.arity == 0:
        return GENERAL, None
    g = Graph()
    A = NodeAlgebra(g)
    args = [g.var(f"arg{k}") for k in range(op.arity)]
    partials = op.partials(A, g.var("out"), *args)
    if all(g.is_const(p) for p in partials):
        return CONSTANT, tuple(g.params[p] for p in partials)
    if op.arity == 2 and tuple(partials) == (args[1], args[0]):
        return SWAPPED, None
    return GENERAL, None


_PLANS: WeakKeyDictionary[Program, dict[int, tuple[ReverseStep, ...]]] = WeakKeyDictionary()


def reverse_plan(program: Program, output: int) -> tuple[ReverseStep, ...]:
    """The reverse steps for one output: only the nodes that output depends on.

    Nodes outside the output's ancestry send nothing, not ``0 * partial``: an unused
    ``sqrt(x)`` at 0 must not turn ``x``'s gradient into ``0 * inf = nan``.
    """
    per_output = _PLANS.setdefault(program, {})
    steps = per_output.get(output)
    if steps is None:
        steps = per_output[output] = _build_plan(program, program.graph.ancestors([output]))
    return steps


def _build_plan(program: Program, nodes: Sequence[int]) -> tuple[ReverseStep, ...]:
    g = program.graph
    steps: list[ReverseStep] = []
    for node in reversed(nodes):
        op, args = g.ops[node], g.args[node]
        if not args or not op.differentiable:
            continue  # leaves, and stop_gradient: nothing flows further
        kind, constants = rule_shape(op)
        rule = partial(op.partials, FLOATS)
        if op.has_param:
            rule = with_param(rule, g.params[node])
        second = args[1] if len(args) == 2 else -1
        steps.append((kind, node, constants if kind == CONSTANT else rule, args[0], second, args))
    return tuple(steps)


def adjoints(program: Program, values: Sequence[float], output: int | None = None, seed: float = 1.0) -> list[float]:
    """d output / d node for every program node (0 for nodes the output does not use)."""
    output = program.output if output is None else output
    adj = [0.0] * program.size
    adj[output] = seed
    for kind, node, rule, a, b, args in reverse_plan(program, output):
        g = adj[node]
        if kind == SWAPPED:
            adj[a] += values[b] * g
            adj[b] += values[a] * g
        elif kind == CONSTANT:
            for j, p in zip(args, rule):
                adj[j] += p * g
        elif b >= 0:
            p, q = rule(values[node], values[a], values[b])
            adj[a] += p * g
            adj[b] += q * g
        else:
            for j, p in zip(args, rule(values[node], *[values[j] for j in args])):
                adj[j] += p * g
    return adj
