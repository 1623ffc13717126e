"""Symbolic derivatives: the reverse sweep run on nodes instead of numbers.

The adjoint of every node is built by :func:`gradcli.ad.reverse.vjp_sweep` with
:class:`gradcli.core.algebra.NodeAlgebra` from the op table's rules, appended to the
program's own graph: the derivative shares the program's subexpressions (``cos(x)``
is one node), and it is simplified as it is built (constants folded, ``x*1``,
``x + 0``, ``-(-x)``, ``x*x`` as ``x**2``). Its size stays proportional to the
program's; only printing it as one flat tree swells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from gradcli.ad.evaluation import resolve_point
from gradcli.ad.reverse import vjp_sweep
from gradcli.core.algebra import NodeAlgebra, ShapedNodeAlgebra
from gradcli.core.arrays import elements
from gradcli.core.errors import InputProblem, UnknownInput
from gradcli.core.graph import Program, per_program
from gradcli.core.lazy_numpy import is_array
from gradcli.core.values import array_ops, forward_values


class Derivative(NamedTuple):
    """d output / d input for each requested input, as nodes of ``program``'s graph."""

    program: Program  # the program, its graph now holding the derivative nodes too
    nodes: dict[str, int]  # input name -> derivative node


def derivative(program: Program, wrt: Sequence[str] | None = None, at: Mapping[str, Any] | None = None) -> Derivative:
    """Build d output / d name for each name in ``wrt`` (default: every input). A program with
    arrays needs its inputs' values (``at``, or its defaults): the shapes decide how matrices
    transpose and where broadcasting is undone."""
    names = checked_names(program, wrt)
    if may_have_arrays(program, at):
        gradient = array_gradient_program(program, resolve_point(program, at or {}))
    else:
        gradient = gradient_program(program)
    nodes = dict(zip(program.inputs, gradient.outputs))
    return Derivative(program, {name: nodes[name] for name in names})


def second_derivative(
    program: Program, wrt: Sequence[str] | None = None, at: Mapping[str, Any] | None = None
) -> Derivative:
    """d2 output / d a d b for each pair a <= b (in input order) of ``wrt``: reverse mode
    run on the gradient's own nodes. Keys are ``"a,b"``; with arrays, see :func:`array_second_derivative`."""
    wanted = set(checked_names(program, wrt))
    names = [name for name in program.inputs if name in wanted]  # pairs in input order
    if may_have_arrays(program, at):
        return array_second_derivative(program, names, resolve_point(program, at or {}))
    gradient = gradient_program(program)
    first = dict(zip(program.inputs, gradient.outputs))
    A = NodeAlgebra(program.graph)
    nodes = {}
    for i, a in enumerate(names):
        adjoints = symbolic_adjoints(program, first[a])
        for b in names[i:]:
            nodes[f"{a},{b}"] = adjoints.get(program.inputs[b], A.zero)
    return Derivative(program, nodes)


def may_have_arrays(program: Program, at: Mapping[str, Any] | None) -> bool:
    """Whether the program has array ops, or array values among its defaults and ``at``: if not,
    it is a program of numbers, whatever values the other inputs are given."""
    given = [*program.defaults.values(), *(at or {}).values()]
    return bool(array_ops(program)) or any(isinstance(v, list) or is_array(v) for v in given)


def array_second_derivative(
    program: Program, names: Sequence[str], point: Mapping[str, Any], columns: Sequence[str] | None = None
) -> Derivative:
    """Second derivatives of a program with arrays, a row of the Hessian at a time.

    For each element ``a[i]`` of each input ``a`` and each input ``b`` from ``a`` on (or each of
    ``columns``), the key ``"a[i],b"`` holds d2 output / d a[i] d b, a node of ``b``'s shape: the
    reverse sweep run again, on the element ``a[i]`` of the symbolic gradient.
    """
    gradient = array_gradient_program(program, point)
    first = dict(zip(program.inputs, gradient.outputs))
    g = program.graph
    A = ShapedNodeAlgebra(g, dict(enumerate(forward_values(gradient, point))))
    nodes = {}
    for i, a in enumerate(names):
        for label, where in elements(a, A.value(program.inputs[a])):
            entry = A.index(first[a], where) if where else first[a]
            adjoints = vjp_sweep(A, g, entry, A.one, range(len(g)))
            for b in names[i:] if columns is None else columns:
                node = program.inputs[b]
                nodes[f"{label},{b}"] = A.shaped_like(adjoints.get(node, A.zero), node)
    return Derivative(program, nodes)


def checked_names(program: Program, wrt: Sequence[str] | None, parameter: str = "wrt") -> list[str]:
    """The inputs named in ``wrt`` (all inputs when it is empty), once each; an unknown name is
    refused, as a fault of the caller's argument ``parameter``."""
    names = list(program.inputs) if not wrt else list(dict.fromkeys(wrt))
    for name in names:
        if name not in program.inputs:
            raise UnknownInput(name, program.inputs, parameter)
    return names


@per_program
def gradient_program(program: Program) -> Program:
    """The gradient as a program of its own: one output d output / d input per input, in
    input order, built by :func:`symbolic_adjoints` on the program's graph. Evaluating it
    is reverse mode; a tangent sweep over it is forward-over-reverse (Hessians)."""
    adjoints = symbolic_adjoints(program, program.output)
    A = NodeAlgebra(program.graph)
    outputs = [adjoints.get(node, A.zero) for node in program.inputs.values()]
    return derivative_program(program, outputs, list(program.inputs))


def array_gradient_program(program: Program, point: Mapping[str, Any]) -> Program:
    """:func:`gradient_program` for a program with arrays, built with the shapes its values have at ``point``."""
    values = forward_values(program, point)
    if is_array(values[program.output]):
        raise InputProblem("a symbolic gradient needs an output that is one number; take sum(...) or an element of it")
    g = program.graph
    A = ShapedNodeAlgebra(g, dict(enumerate(values)))
    adjoints = vjp_sweep(A, g, program.output, A.one, range(len(g)))
    outputs = [A.shaped_like(adjoints.get(node, A.zero), node) for node in program.inputs.values()]
    return derivative_program(program, outputs, list(program.inputs))


def symbolic_adjoints(program: Program, output: int) -> dict[int, int]:
    """The adjoint node of every node the gradient reaches (absent means exactly 0): the
    reverse sweep run with :class:`NodeAlgebra`, each node standing for its own value."""
    g = program.graph
    A = NodeAlgebra(g)
    return vjp_sweep(A, g, output, A.one, range(len(g)))


def derivative_program(program: Program, nodes: int | Sequence[int], names: Sequence[str] | None = None) -> Program:
    """A program whose output(s) are ``nodes`` of the (grown) graph, for evaluation and printing."""
    g = program.graph
    return Program(
        g,
        nodes,
        dict(program.inputs),
        dict(program.labels),
        program.source,
        len(g),
        dict(program.defaults),
        program.bound,
        program.unread,
        output_names=names,
        shadowed=program.shadowed,
    )


class Sizes(NamedTuple):
    program_nodes: int  # nodes of the program (constants included)
    derivative_nodes: int  # distinct nodes the derivatives are made of (shared ones once)
    expanded_operations: dict[str, int]  # operations if each derivative is printed as one flat tree


def sizes(derivative: Derivative) -> Sizes:
    """How big the derivative is as a graph, and as the tree that symbolic tools expand."""
    g = derivative.program.graph
    roots = list(derivative.nodes.values())
    shared = g.ancestors(roots)
    return Sizes(
        derivative.program.size,
        len(shared),
        {name: expanded_operations(g, node) for name, node in derivative.nodes.items()},
    )


def expanded_operations(graph, root: int) -> int:
    """Operations in the tree that expands every shared node (exact, with big integers)."""
    count: dict[int, int] = {}
    for node in graph.ancestors([root]):
        args = graph.args[node]
        count[node] = (1 + sum(count[a] for a in args)) if args else 0
    return count[root]
