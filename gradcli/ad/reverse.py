"""Reverse mode: one sweep from the output back to the inputs over the topological list.

Every node's adjoint (d output / d node) is the sum, over the nodes that use it, of
the consumer's adjoint times the local partial the op table gives for that edge. The
partials are evaluated with :data:`gradcli.core.algebra.FLOATS`. Rules whose partials are
constants (``add``) or one of the arguments (``mul``) are recognised once, from the
rule itself, and take a shortcut in the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from weakref import WeakKeyDictionary

from gradcli.core.algebra import FLOATS, NodeAlgebra
from gradcli.core.graph import Graph, Program
from gradcli.core.ops import Op
from gradcli.core.values import with_param

# How a rule's partials are shaped, found once per op from the rule itself.
GENERAL = 0
CONSTANT = 1  # partials are numbers: stored in the step
SWAPPED = 2  # binary op whose partials are (second argument, first argument), as mul
OUTPUT = 3  # unary op whose partial is its own output, as exp
PRIMITIVE = 4  # unary op whose partial is another primitive of its argument, as sin -> cos

# Step kinds of a sweep, most frequent first.
MUL, LINEAR2, PRIMITIVE1, OUTPUT1, UNARY, BINARY, LINEAR1, NARY = range(8)

# (kind, node, rule or constant partials, first argument, second argument or -1, all arguments)
ReverseStep = tuple[int, int, object, int, int, tuple[int, ...]]


_SHAPES: dict[str, tuple[int, tuple[float, ...] | None]] = {}


def rule_shape(op: Op) -> tuple[int, object]:
    """Classify an op's partials by building them once on symbolic arguments.

    Returns the shape and its datum: the constant partials, or for PRIMITIVE the
    float function to apply to the argument.
    """
    shape = _SHAPES.get(op.name)
    if shape is None:
        shape = _SHAPES[op.name] = _classify(op)
    return shape


def _classify(op: Op) -> tuple[int, object]:
    if op.has_param or op.partials is None or op.arity == 0:
        return GENERAL, None
    g = Graph()
    A = NodeAlgebra(g)
    args = [g.var(f"arg{k}") for k in range(op.arity)]
    out = g.var("out")
    partials = op.partials(A, out, *args)
    if all(g.is_const(p) for p in partials):
        return CONSTANT, tuple(g.params[p] for p in partials)
    if op.arity == 2 and tuple(partials) == (args[1], args[0]):
        return SWAPPED, None
    if op.arity == 1 and partials[0] == out:
        return OUTPUT, None
    if op.arity == 1 and g.args[partials[0]] == (args[0],) and not g.ops[partials[0]].has_param:
        return PRIMITIVE, g.ops[partials[0]].forward
    return GENERAL, None


_PLANS: WeakKeyDictionary[Program, dict[int, tuple[ReverseStep, ...]]] = WeakKeyDictionary()


def reverse_plan(program: Program, output: int) -> tuple[ReverseStep, ...]:
    """The reverse steps for one output, built once: only nodes the gradient reaches.

    Nodes outside the output's ancestry send nothing, not ``0 * partial``: an unused
    ``sqrt(x)`` at 0 must not turn ``x``'s gradient into ``0 * inf = nan``.
    """
    per_output = _PLANS.setdefault(program, {})
    steps = per_output.get(output)
    if steps is None:
        steps = per_output[output] = _build_plan(program, output)
    return steps


def gradient_reach(program: Program, output: int) -> set[int]:
    """The nodes a gradient from ``output`` reaches (stop_gradient blocks it)."""
    reached = {output}
    for _, node, _, _, _, args in reverse_plan(program, output):
        reached.add(node)
        reached.update(args)
    return reached


def _build_plan(program: Program, output: int) -> tuple[ReverseStep, ...]:
    g = program.graph
    ops, all_args, params = g.ops, g.args, g.params
    steps: list[ReverseStep] = []
    per_op: dict[str, tuple[int, object]] = {}
    for node in _reached(g, output):
        args = all_args[node]
        if args and ops[node].partials is not None:
            steps.append(sweep_step(ops[node], node, args, params[node], per_op))
    return tuple(steps)


def _reached(g: Graph, output: int) -> list[int]:
    """The nodes a gradient from ``output`` reaches, last first (stop_gradient blocks it).

    A walk of just those nodes, not a scan of every node below ``output``: with a thousand
    outputs, each plan costs its own size, not the program's.
    """
    ops, all_args = g.ops, g.args
    reached = {output}
    stack = [output]
    while stack:
        node = stack.pop()
        if ops[node].partials is None:
            continue  # leaves and stop_gradient: nothing flows further
        for a in all_args[node]:
            if a not in reached:
                reached.add(a)
                stack.append(a)
    return sorted(reached, reverse=True)


def sweep_step(op: Op, node: int, args: tuple[int, ...], param: object, per_op: dict) -> ReverseStep:
    """One node's step for a sweep of partials (reverse here, tangents in forward mode).

    ``per_op`` caches the kind and rule of each op across one plan's nodes.
    """
    found = per_op.get(op.name)
    if found is None:
        found = per_op[op.name] = _kind_and_rule(op)
    kind, rule = found
    if op.has_param:
        rule = with_param(rule, param)
    return (kind, node, rule, args[0], args[1] if len(args) == 2 else -1, args)


def _kind_and_rule(op: Op) -> tuple[int, object]:
    """The step kind for ``op`` and what the sweep calls (or, for constants, reads)."""
    shape, datum = rule_shape(op)
    if shape in (CONSTANT, PRIMITIVE):
        return _step_kind(shape, op.arity), datum
    return _step_kind(shape, op.arity), partial(op.partials, FLOATS)


def _step_kind(shape: int, arity: int) -> int:
    if shape == SWAPPED:
        return MUL
    if shape == OUTPUT:
        return OUTPUT1
    if shape == PRIMITIVE:
        return PRIMITIVE1
    if shape == CONSTANT:
        return {1: LINEAR1, 2: LINEAR2}.get(arity, NARY)
    return {1: UNARY, 2: BINARY}.get(arity, NARY)


def adjoints(program: Program, values: Sequence[float], output: int | None = None, seed: float = 1.0) -> list[float]:
    """d output / d node for every program node (0 for nodes the output does not use)."""
    output = program.output if output is None else output
    adj = [0.0] * program.size
    adj[output] = seed
    for kind, node, rule, a, b, args in reverse_plan(program, output):
        g = adj[node]
        if kind == MUL:
            adj[a] += values[b] * g
            adj[b] += values[a] * g
        elif kind == LINEAR2:
            adj[a] += rule[0] * g
            adj[b] += rule[1] * g
        elif kind == PRIMITIVE1:
            adj[a] += rule(values[a]) * g
        elif kind == OUTPUT1:
            adj[a] += values[node] * g
        elif kind == UNARY:
            adj[a] += rule(values[node], values[a])[0] * g
        elif kind == BINARY:
            p, q = rule(values[node], values[a], values[b])
            adj[a] += p * g
            adj[b] += q * g
        elif kind == LINEAR1:
            adj[a] += rule[0] * g
        else:
            partials = rule if isinstance(rule, tuple) else rule(values[node], *[values[j] for j in args])
            for j, p in zip(args, partials):
                adj[j] += p * g
    return adj
