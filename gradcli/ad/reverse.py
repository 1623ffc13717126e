"""Reverse mode: one sweep from the output back to the inputs, written once over an algebra.

Every node's adjoint (d output / d node) is the sum, over the nodes that use it, of what
each consumer sends it: the op's vector-Jacobian product (:meth:`gradcli.core.ops.Op.vjp`),
by default the consumer's adjoint times the local partial of that edge. :func:`vjp_sweep`
is that sweep; run with :data:`gradcli.core.algebra.FLOATS` it gives numbers, run with a
:class:`gradcli.core.algebra.NodeAlgebra` it builds the symbolic derivative.

:func:`adjoints` is the same sweep specialised to floats, because on floats the generic
sweep, with its calls per node and per edge, takes 10 to 25 times as long (the wide
programs of ``benchmarks/scaling.py``): each node's step is worked out once per program,
and the commonest rules run inline in the loop, as the step kinds below say.
``tests/test_sweeps.py`` holds it equal to :func:`vjp_sweep` on floats for every op of
the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from gradcli.core import arrays
from gradcli.core.algebra import ARRAYS, FLOATS, NodeAlgebra
from gradcli.core.graph import Graph, Program, per_program
from gradcli.core.lazy_numpy import np
from gradcli.core.ops import Op


def vjp_sweep(
    A: Any, graph: Graph, output: int, seed: Any, values: Sequence[Any], varying: set[int] | None = None
) -> dict[int, Any]:
    """The adjoint of every node the gradient from ``output`` reaches, in the algebra ``A``.

    ``values[node]`` is the node's value in ``A`` (floats, or for nodes the node itself).
    A node absent from the answer has adjoint exactly 0: nothing was sent to it. With
    ``varying`` (the nodes that depend on an input), nothing is sent to the other nodes:
    numbers written in the program need no gradient, and over many points each costs a pass.
    """
    adjoint = {output: seed}
    for node in gradient_order(graph, output):
        cotangent = adjoint.get(node)
        if cotangent is None:
            continue
        args = graph.args[node]
        wanted = None if varying is None else tuple(a in varying for a in args)
        sent = graph.ops[node].vjp(A, cotangent, values[node], [values[a] for a in args], graph.params[node], wanted)
        for arg, contribution in zip(args, sent):
            if contribution is not None:
                adjoint[arg] = contribution if arg not in adjoint else A.add(adjoint[arg], contribution)
    return adjoint


def gradient_order(graph: Graph, output: int) -> list[int]:
    """The nodes that pass a gradient from ``output`` on to their arguments, last first.

    Only the output's ancestry: an unused ``sqrt(x)`` at 0 must not turn ``x``'s gradient
    into ``0 * inf = nan``. stop_gradient and leaves pass nothing on. A walk of just those
    nodes, so that with a thousand outputs each costs its own size, not the program's.
    """
    ops, all_args = graph.ops, graph.args
    passing = []
    reached = {output}
    stack = [output]
    while stack:
        node = stack.pop()
        op = ops[node]
        if not all_args[node] or (op.partials is None and op.vjp_rule is None):
            continue  # Op.differentiable spelt out: a property call per node shows in the first sweep's time
        passing.append(node)
        for a in all_args[node]:
            if a not in reached:
                reached.add(a)
                stack.append(a)
    passing.sort(reverse=True)
    return passing


def gradient_reach(program: Program, output: int) -> set[int]:
    """The nodes a gradient from ``output`` reaches (stop_gradient blocks it)."""
    reached = {output}
    for _, node, _, _, _, args in reverse_plan(program, output):
        reached.add(node)
        reached.update(args)
    return reached


# ---------------------------------------------------------------- the float specialisation


# How the float loops run one node's rule, most frequent first. Each kind computes exactly
# what the op's default VJP/JVP computes on floats, with the partials precomputed where
# they do not depend on the point.
MUL = 0  # binary, partials (second argument, first argument): mul
LINEAR2 = 1  # binary, constant partials stored in the step: add, sub
PRIMITIVE1 = 2  # unary, partial is another op's kernel of the argument: sin -> cos
OUTPUT1 = 3  # unary, partial is the op's own output: exp
UNARY = 4  # unary, the op's partials called on (out, x)
BINARY = 5  # binary, the op's partials called on (out, x, y)
LINEAR1 = 6  # unary, a constant partial stored in the step: neg
GENERAL = 7  # anything else (three arguments, or an op's own VJP/JVP): the op's rule itself

# (kind, node, rule, first argument, second argument or -1, all arguments). The rule is
# the constant partials (LINEAR), a kernel (PRIMITIVE1), the bound partials (UNARY,
# BINARY) or the op and its parameter (GENERAL).
Step = tuple[int, int, Any, int, int, tuple[int, ...]]

_KINDS: dict[str, tuple[int, Any]] = {}


def step_for(op: Op, node: int, args: tuple[int, ...], param: Any) -> Step:
    """One node's step in the float loops (reverse here, tangents in forward mode)."""
    found = _KINDS.get(op.name)
    if found is None:
        found = _KINDS[op.name] = _classify(op)
    kind, datum = found
    if kind == GENERAL:
        datum = (op, param)
    elif op.has_param:
        datum = op.partials_for(FLOATS, param)
    return (kind, node, datum, args[0], args[1] if len(args) == 2 else -1, args)


def _classify(op: Op) -> tuple[int, Any]:
    """The step kind of ``op``, found once by building its partials on symbolic arguments."""
    if op.arity not in (1, 2) or op.vjp_rule is not None or op.jvp_rule is not None:
        return GENERAL, None
    plain = (UNARY if op.arity == 1 else BINARY), op.partials_for(FLOATS, None)
    if op.has_param:
        return plain  # the partials are bound to each node's parameter in step_for
    g = Graph()
    args = [g.var(f"arg{k}") for k in range(op.arity)]
    out = g.var("out")
    partials = op.local_partials(NodeAlgebra(g), out, args)
    if all(g.is_const(p) for p in partials):
        return (LINEAR1 if op.arity == 1 else LINEAR2), tuple(g.params[p] for p in partials)
    if op.arity == 2 and tuple(partials) == (args[1], args[0]):
        return MUL, None
    if op.arity == 1 and partials[0] == out:
        return OUTPUT1, None
    if op.arity == 1 and g.args[partials[0]] == (args[0],) and not g.ops[partials[0]].has_param:
        return PRIMITIVE1, g.ops[partials[0]].forward
    return plain


_PLANS: WeakKeyDictionary[Program, dict[int, tuple[Step, ...]]] = WeakKeyDictionary()


def reverse_plan(program: Program, output: int) -> tuple[Step, ...]:
    """The float steps for one output, last first, built once: the nodes of :func:`gradient_order`."""
    per_output = _PLANS.setdefault(program, {})
    steps = per_output.get(output)
    if steps is None:
        g = program.graph
        order = gradient_order(g, output)
        steps = per_output[output] = tuple([step_for(g.ops[n], n, g.args[n], g.params[n]) for n in order])
    return steps


@per_program
def selects(program: Program) -> bool:
    """Whether the program uses ``where`` or indexing, whose VJPs may send an argument nothing at all
    (the branch not taken, the pieces of a stack an index does not pick)."""
    return any(op.name in ("where", "index") for op in program.graph.ops[: program.size])


@per_program
def varying_nodes(program: Program) -> set[int]:
    """The nodes whose value depends on an input (the others are numbers written in the program)."""
    g = program.graph
    varying: set[int] = set()
    for node in program.nodes:
        if (not g.args[node] and g.ops[node].name != "const") or any(a in varying for a in g.args[node]):
            varying.add(node)
    return varying


def silent_nodes(program: Program, values: Sequence[Any], output: int | None = None) -> set[int]:
    """The nodes the output depends on that the reverse sweep sends nothing: a branch ``where``
    does not take, and what only it uses (their gradient is 0, not 0 times their partials)."""
    if not selects(program):
        return set()
    output = program.output if output is None else output
    with np.errstate(all="ignore"):
        sent = vjp_sweep(ARRAYS, program.graph, output, 1.0, values)
    return gradient_reach(program, output) - set(sent)


def adjoints(program: Program, values: Sequence[float], output: int | None = None, seed: float = 1.0) -> list[float]:
    """d output / d node for every program node (0 for nodes the output does not use).

    :func:`vjp_sweep` on floats, with every adjoint starting at 0.0 in a list.
    """
    output = program.output if output is None else output
    plan = reverse_plan(program, output)
    if selects(program):  # where sends a branch nothing, which a list of 0.0s cannot tell from 0
        sent = vjp_sweep(FLOATS, program.graph, output, seed, values)
        return [sent.get(node, 0.0) for node in program.nodes]
    adj = [0.0] * program.size
    adj[output] = seed
    for kind, node, rule, a, b, args in plan:
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
            op, param = rule
            for j, sent in zip(args, op.vjp(FLOATS, g, values[node], [values[j] for j in args], param)):
                if sent is not None:
                    adj[j] += sent
    return adj


def array_adjoints(
    program: Program, values: Sequence[Any], output: int | None = None, seed: Any = 1.0, inputs_only: bool = False
) -> list[Any]:
    """:func:`adjoints` of a program with arrays: :func:`vjp_sweep` with NumPy, each adjoint shaped as its node.

    ``seed`` is the output's cotangent: 1 for a number, an array of the output's shape otherwise.
    ``inputs_only``: the nodes that do not depend on an input get 0 (nothing is computed for them).
    """
    output = program.output if output is None else output
    with np.errstate(all="ignore"):
        sent = vjp_sweep(ARRAYS, program.graph, output, seed, values, varying_nodes(program) if inputs_only else None)
    return [arrays.shaped_like(sent.get(node, 0.0), values[node]) for node in program.nodes]
