"""Infix text in gradcli's own syntax (also read by SymPy's ``parse_expr``).

Every op prints from the op table (its ``infix`` symbol and ``precedence``, else a call by
its name), with the shared ``parenthesize``: gradcli's syntax needs no special notation.
Nodes are visited in topological order, so no recursion, whatever the depth.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from gradcli.core.graph import Graph, numbered_names, unused_name
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.ops import CONSTANTS, PREC_ADD, PREC_ATOM, Op, constant_name
from gradcli.core.precedence import Text, number_precedence, parenthesize

IDENTIFIER_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def exact_number(value: float, constants: Mapping[str, float] = CONSTANTS) -> str:
    """A number as the parser reads it back to the same float (``pi`` and ``e`` by name,
    unless the program uses those names for values of its own: see ``Program.constants``)."""
    name = constant_name(value, constants)
    if name is not None:
        return name if value > 0 else f"-{name}"
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    if math.isinf(value):
        return "1e999" if value > 0 else "-1e999"  # reads back as inf
    if value != value:
        return "(1e999 - 1e999)"  # reads back as nan
    return repr(value)


def _number_text(value: float | np.ndarray, constants: Mapping[str, float] = CONSTANTS) -> Text:
    """A number as :func:`exact_number` writes it, with its precedence (``-2`` binds as unary minus);
    an array as a literal of such numbers."""
    if is_array(value):
        return array_literal(value, lambda v: exact_number(v, constants)), PREC_ATOM
    return exact_number(value, constants), number_precedence(value)


def array_literal(value: np.ndarray, number: Callable[[float], str]) -> str:
    """``[[1, 2], [3, 4]]``: an array as the parser reads it, each number written by ``number``."""
    flat = [number(float(v)) for v in value.ravel()]
    for size in reversed(value.shape):
        flat = ["[" + ", ".join(flat[k : k + size]) + "]" for k in range(0, len(flat), size)] if size else ["[]"]
    return flat[0]


def param_text(param: Any) -> str:
    """An axis, a shape or an index item as written in a call: ``0``, ``[0, 1]``."""
    if isinstance(param, tuple):
        return "[" + ", ".join(param_text(p) for p in param) + "]"
    return str(param)


def subscripts_text(key: tuple) -> str:
    """An index as written between brackets: ``0``, ``1:3``, ``:, 0``, ``::-1``."""
    return ", ".join(_subscript_text(item) for item in key)


def _subscript_text(item: int | tuple) -> str:
    if not isinstance(item, tuple):
        return str(item)
    start, stop, step = ("" if v is None else str(v) for v in item)
    return f"{start}:{stop}" + (f":{step}" if step else "")


def _with_param(op: Op, operands: list[Text], param: Any, constants: Mapping[str, float]) -> Text:
    """An op with a parameter: ``x**3``, ``sum(x, axis=0)``, ``x[1:3]``, ``reshape(x, [2, 3])``."""
    if op.name == "index":
        (text, precedence) = operands[0]
        return f"{parenthesize(text, precedence, PREC_ATOM)}[{subscripts_text(param)}]", PREC_ATOM
    if op.name == "scatter":
        return _from_table(op, [*operands, (f"[{subscripts_text(param)}]", PREC_ATOM)])
    if op.param_first:
        return _from_table(op, [_number_text(param, constants), *operands])
    if op.keyword is not None and op.elementwise:  # a number option: elu(x, alpha=0.5)
        if param != op.default:
            operands = [*operands, (f"{op.keyword}={_number_text(param, constants)[0]}", PREC_ATOM)]
        return _from_table(op, operands)
    if op.keyword is not None or param is None:
        if param != op.default:
            operands = [*operands, (f"{op.keyword or 'axis'}={param_text(param)}", PREC_ATOM)]
        return _from_table(op, operands)
    if isinstance(param, tuple):
        return _from_table(op, [*operands, (param_text(param), PREC_ATOM)])
    return _from_table(op, [*operands, _number_text(param, constants)])


def _leaf(text: str) -> Text:
    """A name printed as an atom; a descriptive label like ``3*x`` gets parentheses."""
    if set(text) <= IDENTIFIER_CHARS:
        return text, PREC_ATOM
    try:
        return text, number_precedence(float(text))
    except ValueError:
        return f"({text})", PREC_ATOM


def to_infix(
    graph: Graph,
    root: int,
    name_of: Callable[[int], str | None] | None = None,
    leaves: dict[int, Text] | None = None,
    constants: Mapping[str, float] = CONSTANTS,
) -> str:
    """The expression at ``root``.

    Nodes for which ``name_of`` gives a name print as that name; nodes in ``leaves``
    print as the given text, parenthesised by its precedence.
    """

    def visit(node: int, text: dict[int, Text]) -> Text:
        name = name_of(node) if name_of is not None and node != root else None
        return _leaf(name) if name is not None else format_node(graph, node, text, constants)

    return graph.fold(root, visit, leaves)[0]


def format_node(
    graph: Graph, node: int, text: dict[int, Text] | list[Text], constants: Mapping[str, float] = CONSTANTS
) -> Text:
    """One node printed on the already printed texts of its arguments (a parameter, as in
    ``x**3``, is the last operand)."""
    op, param = graph.ops[node], graph.params[node]
    if op.name == "const":
        return _number_text(param, constants)
    if op.name == "var":
        return _leaf(param)
    operands = [text[a] for a in graph.args[node]]
    if op.has_param:
        return _with_param(op, operands, param, constants)
    return _from_table(op, operands)


def _from_table(op: Op, operands: list[Text]) -> Text:
    """An op on printed operands, from the op table alone: ``a + b`` and ``-a`` for an op with
    an ``infix`` symbol, else a call by the op's first name, ``max(a, b)``."""
    if len(operands) == 1 and op.name == "transpose":
        text, precedence = operands[0]
        bare = precedence == PREC_ATOM and not text[:1].isdigit()  # 2.T would read as the number 2.
        return (text if bare else f"({text})") + ".T", PREC_ATOM
    if op.infix is None:
        return f"{op.callable_as[0] if op.callable_as else op.name}({', '.join([t for t, _ in operands])})", PREC_ATOM
    if len(operands) == 1:
        return op.infix + parenthesize(*operands[0], op.precedence, "right"), op.precedence
    (left, left_prec), (right, right_prec) = operands
    spaced = op.precedence <= PREC_ADD or op.infix in ("@", "//", "%")
    joiner = f" {op.infix} " if spaced else op.infix  # a + b, x > 0, but a*b
    left = parenthesize(left, left_prec, op.precedence, "left")
    return left + joiner + parenthesize(right, right_prec, op.precedence, "right"), op.precedence


MIN_SHARED_TEXT = 12  # a shared subexpression shorter than this is repeated, not named


def to_program(
    graph: Graph,
    roots: dict[str, int],
    labels: dict[int, str],
    reserved: set[str],
    constants: Mapping[str, float] = CONSTANTS,
) -> str:
    """Statements that build each root, naming labelled and shared subexpressions once.

    ``labels`` are the program's binding names (kept where the derivative uses those
    nodes); other subexpressions used more than once get ``t1``, ``t2``, ... The last
    statement is the single root itself, or ``d_x = ...`` lines for several roots.
    """
    nodes = graph.ancestors(roots.values())
    uses: dict[int, int] = {}
    for node in nodes:
        for arg in graph.args[node]:
            uses[arg] = uses.get(arg, 0) + 1
    text: dict[int, Text] = {}
    names: dict[int, str] = {}
    lines: list[str] = []
    taken = set(reserved)
    shared = numbered_names("t", taken)
    left, kept = dict(uses), set(roots.values())
    for node in nodes:
        formatted = format_node(graph, node, text if graph.args[node] else {}, constants)
        name = _statement_name(graph, node, formatted, uses, labels, taken, shared)
        if name is not None:
            names[node] = name
            taken.add(name)
            lines.append(f"{name} = {formatted[0]}")
            formatted = (name, PREC_ATOM)
        text[node] = formatted
        for arg in graph.args[node]:  # an inlined text is dropped after its last use (deep chains)
            left[arg] -= 1
            if not left[arg] and arg not in kept:
                del text[arg]
    if len(roots) == 1:
        (root,) = roots.values()
        if root in names and lines and lines[-1].startswith(f"{names[root]} = "):
            lines[-1] = lines[-1][len(names[root]) + 3 :]
        else:
            lines.append(text[root][0])
    else:
        lines.extend(f"d_{name} = {text[root][0]}" for name, root in roots.items())
    return "\n".join(lines)


def _statement_name(graph, node, formatted, uses, labels, taken: set[str], shared: Iterator[str]) -> str | None:
    """The name a statement gives ``node``: its binding name (made free), the next ``tN`` when it
    is shared and long enough, or None (the node is written out where it is used)."""
    if not graph.args[node]:
        return None
    label = labels.get(node)
    if label is not None:
        return unused_name(label, taken)
    if uses.get(node, 0) > 1 and len(formatted[0]) >= MIN_SHARED_TEXT:
        return next(shared)
    return None
