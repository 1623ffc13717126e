"""How a node is named and explained: short names, one-level expressions, local derivatives.

Used by the trace table, the anomaly messages and (later) the drawings, so that every
view calls a node the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from gradcli.core.algebra import ARRAYS, FLOATS, NodeAlgebra
from gradcli.core.graph import Graph, Program, numbered_names, per_program, unused_name
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.numbers import format_number
from gradcli.core.ops import CONSTANTS, PREC_ATOM, constant_name
from gradcli.core.precedence import Text, number_precedence, parenthesize
from gradcli.syntax.infix import MIN_SHARED_TEXT, format_node, to_infix

_MAX_NAME = 24
_E_NOTATION = re.compile(r"[0-9.]+e[+-][0-9]+")


class LocalDerivative(NamedTuple):
    """d node / d argument along one edge: the formula and its value here."""

    wrt: int
    formula: str
    value: float


class NodeTexts:
    """Each node's short name with its precedence, for printing it inside other text.

    Binding names and inputs name themselves, numbers are their shortest text (``e`` and
    ``pi`` by name unless the program binds those names), and an unnamed output is ``f``.
    Any other node is its own expression on its arguments' names while that is short; a
    long one, or a shared one of some length, is ``t1``, ``t2``, ... in topological order
    (names the program does not use), as ``gradcli diff`` names what it shares. Every node
    is named at once, in one loop over the program.
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self._texts = _name_every_node(program)

    def __getitem__(self, node: int) -> Text:
        return self._texts[node]

    def name(self, node: int) -> str:
        return self._texts[node][0]


def _name_every_node(program: Program) -> list[Text]:
    g, constants = program.graph, program.constants
    uses = _use_counts(program)
    taken = set(program.inputs) | set(program.labels.values())
    fresh = numbered_names("t", taken)
    output = program.outputs[0] if len(program.outputs) == 1 else -1
    texts: list[Text] = []
    for node in program.nodes:
        name = program.name_of(node)
        if name is not None:
            texts.append((name, PREC_ATOM))
        elif g.ops[node].name == "const":
            texts.append(number_text(g.params[node], constants))
        elif node == output:
            texts.append((unused_name("f", taken), PREC_ATOM))
        else:
            text = format_node(g, node, texts, constants)
            long = len(text[0]) > _MAX_NAME or (uses[node] > 1 and len(text[0]) >= MIN_SHARED_TEXT)
            texts.append((next(fresh), PREC_ATOM) if long else text)
    return texts


def _use_counts(program: Program) -> list[int]:
    uses = [0] * program.size
    for args in program.graph.args[: program.size]:
        for a in args:
            uses[a] += 1
    return uses


def number_text(value: float, constants: Mapping[str, float]) -> Text:
    """A number for people, with its precedence: ``-2`` binds like unary minus, so ``(-2)**x``."""
    if is_array(value):
        return format_number(value), PREC_ATOM
    name = constant_name(value, constants)
    if name is not None:
        return (name if value > 0 else f"-{name}"), number_precedence(value)
    return format_number(value), number_precedence(value)


@per_program
def node_texts(program: Program) -> NodeTexts:
    """The :class:`NodeTexts` of a program (made once per program)."""
    return NodeTexts(program)


def as_symbol(text: Text) -> str:
    """A node's text as one symbol: ``(a*x)`` in ``∂(a*x)/∂x``, but ``sin(x)`` and ``a`` as they are.

    A number in e-notation is bracketed too: ``∂(1e-08)``, not ``∂1e-08``, which reads as a sum.
    """
    shown, precedence = text
    if precedence == PREC_ATOM and _E_NOTATION.fullmatch(shown):
        return f"({shown})"
    return parenthesize(shown, precedence, PREC_ATOM)


def expression_at(
    graph: Graph, node: int, values: list[float], digits: int = 12, constants: Mapping[str, float] = CONSTANTS
) -> str:
    """The node's operation written on its arguments' values: ``log(-1)``, ``2*3``."""
    at = {a: (format_number(values[a], digits), number_precedence(values[a])) for a in graph.args[node]}
    return format_node(graph, node, at, constants)[0]


def expression(graph: Graph, node: int, texts: NodeTexts) -> str:
    """The node's operation written on its arguments' names: ``a + 1``, ``sin(x)``."""
    return format_node(graph, node, texts, texts.program.constants)[0]


def local_derivatives(
    program: Program, node: int, values: list[float], texts: NodeTexts
) -> tuple[LocalDerivative, ...]:
    """The op table's partials at ``node``: symbolic in the argument names, and numeric."""
    g = program.graph
    op, args = g.ops[node], g.args[node]
    if not args or op.partials is None:
        return ()
    numbers = numeric_partials(program, node, values)
    formulas = _fill(_templates(g, node, texts), [texts[a][0] for a in args], texts[node][0])
    return tuple(LocalDerivative(a, f, n) for a, f, n in zip(args, formulas, numbers))


def numeric_partials(program: Program, node: int, values: list[float]) -> tuple[float, ...]:
    """The op table's partials at ``node`` as numbers (none for leaves and stop_gradient)."""
    g = program.graph
    op, args = g.ops[node], g.args[node]
    if not args or op.partials is None:
        return ()
    operands = [values[a] for a in args]
    A = ARRAYS if any(is_array(v) for v in operands) else FLOATS
    return op.local_partials(A, values[node], operands, g.params[node])


def sent_back(program: Program, node: int, values: list, cotangent: Any) -> tuple[Any, ...]:
    """What ``node`` sends each argument in the reverse sweep, given its own gradient (NumPy's broadcasting
    undone): the op's vector-Jacobian product. None for an argument it sends nothing."""
    g = program.graph
    if not g.ops[node].differentiable:
        return (None,) * len(g.args[node])
    with np.errstate(all="ignore"):
        return g.ops[node].vjp(ARRAYS, cotangent, values[node], [values[a] for a in g.args[node]], g.params[node])


def vjp_formulas(program: Program, node: int, values: list, texts: NodeTexts) -> tuple[str, ...]:
    """A structural op's vector-Jacobian product per argument, in the names of the trace: ``g @ W.T``.

    ``g`` is the gradient arriving at the node; ranks and shapes the rule needs come from ``values``.
    """
    g = program.graph
    op, args = g.ops[node], g.args[node]
    scratch = Graph()
    stand_ins = [scratch.var(f"arg{k}") for k in range(len(args))]
    out, cotangent = scratch.var("out"), scratch.var("g")
    known = dict(zip(stand_ins, [values[a] for a in args]))
    known[out] = values[node]
    A = NodeAlgebra(scratch, simplify=False)
    A.ndim = lambda n: np.ndim(known[n])  # type: ignore[method-assign]
    A.shape = lambda n: np.shape(known[n])  # type: ignore[attr-defined]
    sent = op.vjp(A, cotangent, out, stand_ins, g.params[node])
    leaves = {s: texts[a] for s, a in zip(stand_ins, args)}
    leaves[out] = texts[node]
    leaves[cotangent] = ("g", PREC_ATOM)
    return tuple("" if s is None else to_infix(scratch, s, leaves=leaves) for s in sent)


_TEMPLATES: dict[tuple, tuple[str, ...]] = {}


def _slot(k: int | str) -> str:
    return f"\x00{k}\x00"


def _templates(graph: Graph, node: int, texts: NodeTexts) -> tuple[str, ...]:
    """The partials of ``node``'s op printed once per shape, with slots for the names.

    Printing depends only on the op, its parameter, which arguments are numbers (and
    which are the same node) and the precedence of each name, so one template serves
    every node of that shape: a 1e5-node trace builds a handful of scratch graphs.
    """
    op, args, param = graph.ops[node], graph.args[node], graph.params[node]
    shape = []
    for a in args:
        if graph.ops[a].name == "const" and graph.params[a].__class__ is float:
            shape.append(("const", graph.params[a]))
        else:
            shape.append(("name", texts[a][1], args.index(a)))
    constants = texts.program.constants
    key = (op.name, param, tuple(shape), texts[node][1], tuple(constants))
    found = _TEMPLATES.get(key)
    if found is None:
        found = _TEMPLATES[key] = _print_templates(op, param, shape, texts[node][1], constants)
    return found


def _print_templates(op, param, shape, out_precedence: int, constants: Mapping[str, float]) -> tuple[str, ...]:
    scratch = Graph()
    leaves: dict[int, Text] = {}
    stand_ins = []
    for item in shape:
        if item[0] == "const":
            stand_ins.append(scratch.const(item[1]))
            continue
        stand_in = scratch.var(f"arg{item[2]}")
        leaves[stand_in] = (_slot(item[2]), item[1])
        stand_ins.append(stand_in)
    out = scratch.var("out")
    leaves[out] = (_slot("out"), out_precedence)
    symbolic = op.local_partials(NodeAlgebra(scratch), out, stand_ins, param)
    return tuple(to_infix(scratch, s, leaves=leaves, constants=constants) for s in symbolic)


def _fill(templates: tuple[str, ...], arg_names: list[str], out_name: str) -> list[str]:
    filled = []
    for template in templates:
        if "\x00" in template:
            template = template.replace(_slot("out"), out_name)
            for pos, name in enumerate(arg_names):
                template = template.replace(_slot(pos), name)
        filled.append(template)
    return filled
