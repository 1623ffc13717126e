"""LaTeX for an expression of the graph: ``\\frac``, powers, named functions, subscripts.

Each op prints from the op table (its ``latex`` symbol or command, its ``precedence``)
unless :data:`NOTATIONS` gives it a notation of its own, as SymPy's ``_print_<Name>``
methods do; parentheses follow the rule every printer shares (``parenthesize``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from gradcli.ad.derivative_text import MAX_EXPANDED, refuse_one_expression
from gradcli.ad.symbolic import Derivative, Sizes
from gradcli.core.graph import Graph
from gradcli.core.lazy_numpy import is_array
from gradcli.core.ops import CONSTANTS, OPS, PREC_ATOM, PREC_MUL, PREC_POW, Op, constant_name
from gradcli.core.precedence import Side, Text, number_precedence, parenthesize
from gradcli.syntax.infix import array_literal, param_text, subscripts_text

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
}  # fmt: skip


def latex_name(name: str) -> str:
    """``x1`` -> ``x_{1}``, ``w_out`` -> ``w_{out}``, ``alpha`` -> ``\\alpha``, ``loss`` -> ``\\mathrm{loss}``."""
    match = re.fullmatch(r"([A-Za-z]+)_?([0-9]+|_?[A-Za-z0-9]+)?", name)
    head, sub = (match.group(1), match.group(2)) if match else (name, None)
    if match and "_" in name and not sub:
        head, sub = name.split("_", 1)
    base = f"\\{head}" if head in _GREEK else (head if len(head) == 1 else f"\\mathrm{{{head}}}")
    if not sub:
        return _escape(base)
    subscript = _escape(sub.strip("_"))
    return f"{base}_{{{subscript}}}"


def _escape(text: str) -> str:
    return text.replace("_", "\\_")


_NAMED = {"pi": "\\pi", "e": "e"}


def latex_number(value: float, constants: Mapping[str, float] = CONSTANTS) -> str:
    """A number in LaTeX: ``\\pi`` and ``e`` by name (unless the program binds those names)."""
    name = constant_name(value, constants)
    if name is not None:
        return _NAMED[name] if value > 0 else f"-{_NAMED[name]}"
    if math.isinf(value):
        return "\\infty" if value > 0 else "-\\infty"
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text


_BRACKETS = ("\\left(", "\\right)")


def _operand(part: Text, outer_prec: int, side: Side = "left") -> str:
    return parenthesize(*part, outer_prec, side, _BRACKETS)


def _number_text(value: float, constants: Mapping[str, float]) -> Text:
    text = latex_number(value, constants)
    precedence = number_precedence(value)
    return text, (PREC_MUL if precedence == PREC_ATOM and "\\times" in text else precedence)  # 1.5 \times 10^{-8}


def _from_table(op: Op, operands: list[Text]) -> Text:
    """An op printed from the op table alone: its ``latex`` symbol between or before its
    operands (``a \\cdot b``, ``-a``) when it has an ``infix`` one, else its ``latex`` command
    (``\\operatorname{name}`` by default) applied to them."""
    symbol = op.latex or op.infix
    if op.infix is None:
        command = symbol or f"\\operatorname{{{_escape(op.name)}}}"
        return f"{command}\\left({', '.join([t for t, _ in operands])}\\right)", PREC_ATOM
    if len(operands) == 1:
        return symbol + _operand(operands[0], op.precedence, "right"), op.precedence
    left, right = operands
    return f"{_operand(left, op.precedence)} {symbol} {_operand(right, op.precedence, 'right')}", op.precedence


def _fraction(op: Op, operands: list[Text]) -> Text:
    (numerator, _), (denominator, _) = operands
    return f"{op.latex}{{{numerator}}}{{{denominator}}}", PREC_ATOM


def _superscript(op: Op, operands: list[Text]) -> Text:
    base, (exponent, _) = operands
    if op.has_param and exponent == latex_number(0.5):  # x**0.5 reads as a square root
        return _root(OPS["sqrt"], [base])
    return f"{_operand(base, PREC_POW)}{op.latex}{{{exponent}}}", PREC_POW


def _exponential(op: Op, operands: list[Text]) -> Text:
    return f"e^{{{operands[0][0]}}}", PREC_POW


def _root(op: Op, operands: list[Text]) -> Text:
    return f"{op.latex}{{{operands[0][0]}}}", PREC_ATOM


def _bars(op: Op, operands: list[Text]) -> Text:
    return f"\\left|{operands[0][0]}\\right|", PREC_ATOM


def _transposed(op: Op, operands: list[Text]) -> Text:
    return f"{_operand(operands[0], PREC_POW)}^{{\\top}}", PREC_POW


def _of_order(mark: str) -> Callable[[Op, list[Text]], Text]:
    """A function whose first operand is an order: ``\\psi^{(n)}(x)``, ``J_{n}(x)``."""

    def notation(op: Op, operands: list[Text]) -> Text:
        (order, _), (argument, _) = operands
        return f"{op.latex}{mark.format(order)}\\left({argument}\\right)", PREC_ATOM

    return notation


def _over_root(op: Op, operands: list[Text]) -> Text:
    return f"\\frac{{1}}{{\\sqrt{{{operands[0][0]}}}}}", PREC_ATOM


#: The ops with a notation of their own; every other op prints :func:`_from_table`.
NOTATIONS: dict[str, Callable[[Op, list[Text]], Text]] = {
    "polygamma": _of_order("^{{({})}}"),
    "jn": _of_order("_{{{}}}"),
    "iv": _of_order("_{{{}}}"),
    "ive": _of_order("_{{{}}}"),
    "erfcx_derivative": _of_order("^{{({})}}"),
    "spherical_jn": _of_order("_{{{}}}"),
    "rsqrt": _over_root,
    "reciprocal": lambda op, operands: (f"\\frac{{1}}{{{operands[0][0]}}}", PREC_ATOM),
    "cbrt": lambda op, operands: (f"\\sqrt[3]{{{operands[0][0]}}}", PREC_ATOM),
    "exp2": lambda op, operands: (f"2^{{{operands[0][0]}}}", PREC_POW),
    "div": _fraction,
    "pow": _superscript,
    "powc": _superscript,
    "exp": _exponential,
    "sqrt": _root,
    "abs": _bars,
    "transpose": _transposed,
}


def _format(graph: Graph, node: int, text: dict[int, Text], constants: Mapping[str, float]) -> Text:
    op, param = graph.ops[node], graph.params[node]
    if op.name == "const":
        if is_array(param):
            return array_literal(param, lambda v: latex_number(v, constants)).replace("[", "\\left[").replace(
                "]", "\\right]"
            ), PREC_ATOM
        return _number_text(param, constants)
    if op.name == "var":
        return latex_name(param), PREC_ATOM
    operands = [text[a] for a in graph.args[node]]
    if op.name == "index":
        return f"{_operand(operands[0], PREC_ATOM)}_{{{subscripts_text(param)}}}", PREC_ATOM
    if op.name == "scatter":
        operands.append((f"[{subscripts_text(param)}]", PREC_ATOM))
    elif op.param_first:
        operands.insert(0, _number_text(param, constants))
    elif op.has_param and param.__class__ is float and param != op.default:
        operands.append(_number_text(param, constants))
    elif op.has_param and param != op.default:
        shown = _escape(param_text(param))  # reshape's shape as it is; an option by its name
        operands.append((f"\\mathrm{{{_escape(op.keyword)}}}={shown}" if op.keyword else shown, PREC_ATOM))
    return NOTATIONS.get(op.name, _from_table)(op, operands)


def to_latex(graph: Graph, root: int, constants: Mapping[str, float] = CONSTANTS) -> str:
    """The expression at ``root`` in LaTeX (math mode, without the dollars)."""
    return graph.fold(root, lambda node, text: _format(graph, node, text, constants))[0]


def derivative_latex(d: Derivative, sizes: Sizes) -> dict[str, str]:
    """Each derivative in LaTeX, as one expression (refused when it would be huge)."""
    for name, operations in sizes.expanded_operations.items():
        if operations > MAX_EXPANDED:
            refuse_one_expression(name, operations, "latex", ", too many to print")
    return {name: to_latex(d.program.graph, node, d.program.constants) for name, node in d.nodes.items()}
