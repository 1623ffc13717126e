"""The backward trace: per node, the chain rule at work, as tutorials tabulate it.

For each node: its operation on named inputs, its value, each local derivative as a
formula (built from the op table's rule on symbolic arguments) and a number, the
gradient arriving from every node that uses it (local derivative x that node's
gradient), and the sum of those: its adjoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from gradcli.ad.evaluation import Evaluation
from gradcli.ad.reverse import gradient_reach, silent_nodes
from gradcli.core.graph import Program
from gradcli.core.values import has_arrays
from gradcli.explain.texts import (
    LocalDerivative,
    expression,
    local_derivatives,
    node_texts,
    numeric_partials,
    sent_back,
    vjp_formulas,
)


class Contribution(NamedTuple):
    """Gradient sent to a node by one node that uses it: local x upstream = amount."""

    consumer: int
    local: float
    upstream: float
    amount: float
    blocked: bool = False  # the consumer is stop_gradient
    nothing: bool = False  # the consumer sends nothing here: where's branch not taken (or its condition)


class TraceRow(NamedTuple):
    node: int
    label: str
    role: str  # input, constant, intermediate, output, unused
    op: str
    expression: str
    inputs: tuple[int, ...]
    value: float
    local: tuple[LocalDerivative, ...]
    incoming: tuple[Contribution, ...]
    grad: float
    kink: str | None = None
    sent: tuple | None = None  # arrays: what the node sends each argument (its VJP), None where nothing
    silent: bool = False  # nothing reaches it (a branch where does not take): it sends nothing on


def build_trace(evaluation: Evaluation, nodes: Iterable[int] | None = None) -> list[TraceRow]:
    """One row per node (all program nodes by default), in evaluation order.

    A node's incoming gradients come from the nodes that use it. An edge whose
    consumer is ``stop_gradient``, or receives no gradient because one blocks it
    further on, is marked blocked and carries 0 (not ``0 * partial``, which may be nan).
    """
    program, values, grads = evaluation.program, evaluation.values, evaluation.grads
    g = program.graph
    wanted = sorted(set(program.nodes if nodes is None else nodes))
    texts = node_texts(program)
    used = set(g.ancestors([program.output]))
    reached = gradient_reach(program, program.output)
    users = _users(g, used, set(wanted))
    consumers = {c for uses in users.values() for c, _ in uses if c in reached}
    partials = {c: numeric_partials(program, c, values) for c in consumers}
    silent = silent_nodes(program, values)
    sent: dict[int, tuple] = {}
    if has_arrays(program, evaluation.point):
        senders = consumers | {n for n in wanted if n in reached and g.args[n] and g.ops[n].differentiable}
        sent = {c: _sent_or_nothing(program, c, values, grads[c], silent) for c in senders}
        partials = {c: _Sent(partials[c] or (None,) * len(g.args[c]), sent[c]) for c in consumers}
    elif silent:
        silenced = {c for c in consumers if c in silent or g.ops[c].name == "where"}
        partials |= {c: _Sent(partials[c], _sent_or_nothing(program, c, values, grads[c], silent)) for c in silenced}
    kinks = {k.node: k.convention for k in evaluation.kinks}
    return [
        TraceRow(
            node=n,
            label=texts.name(n),
            role=_role(program, n, used),
            op=g.ops[n].name,
            expression=expression(g, n, texts) if g.args[n] else texts.name(n),
            inputs=g.args[n],
            value=values[n],
            local=local_derivatives(program, n, values, texts) or _vjp_rows(program, n, values, texts),
            incoming=tuple(_contribution(g, c, pos, partials, grads, reached) for c, pos in users.get(n, ())),
            grad=grads[n],
            kink=kinks.get(n),
            sent=sent.get(n, partials[n].amounts if n in partials and isinstance(partials[n], _Sent) else None),
            silent=n in silent,
        )
        for n in wanted
    ]


def _users(graph, used: set[int], wanted: set[int]) -> dict[int, list[tuple[int, int]]]:
    """For each wanted node, the (consumer, argument position) pairs toward the output."""
    users: dict[int, list[tuple[int, int]]] = {}
    for consumer in sorted(used):
        for pos, arg in enumerate(graph.args[consumer]):
            if arg in wanted:
                users.setdefault(arg, []).append((consumer, pos))
    return users


def _contribution(graph, consumer: int, pos: int, partials: dict, grads: list[float], reached) -> Contribution:
    if consumer not in reached or not graph.ops[consumer].differentiable:
        return Contribution(consumer, 0.0, grads[consumer], 0.0, blocked=True)
    edge = partials[consumer]
    if isinstance(edge, _Sent):
        amount = edge.amounts[pos]
        local = edge.partials[pos]
        return Contribution(consumer, local, grads[consumer], 0.0 if amount is None else amount, nothing=amount is None)
    local = edge[pos]
    return Contribution(consumer, local, grads[consumer], local * grads[consumer])


def _sent_or_nothing(program: Program, node: int, values: list, grad: float, silent: set[int]) -> tuple:
    """What a node of a program of numbers sends each argument: nothing at all from a silent node,
    else its VJP (where's sends the branch not taken nothing)."""
    if node in silent:
        return (None,) * len(program.graph.args[node])
    return sent_back(program, node, values, grad)


class _Sent(NamedTuple):
    """A consumer's edges in a program with arrays: the elementwise partials (None for a structural
    op) and the amounts its vector-Jacobian product sends."""

    partials: tuple
    amounts: tuple


def _vjp_rows(program: Program, node: int, values: list, texts) -> tuple[LocalDerivative, ...]:
    """For a structural op, its vector-Jacobian products as the trace's "local" column (no single number)."""
    g = program.graph
    op = g.ops[node]
    if not g.args[node] or op.elementwise or op.vjp_rule is None:
        return ()
    formulas = vjp_formulas(program, node, values, texts)
    return tuple(LocalDerivative(a, f"g → {f}", None) for a, f in zip(g.args[node], formulas) if f)


def _role(program: Program, node: int, used: set[int]) -> str:
    op = program.graph.ops[node].name
    if node == program.output:
        return "output"
    if op == "var":
        return "input"
    if node not in used:
        return "unused"
    return "constant" if op == "const" else "intermediate"
