"""LaTeX for an expression of the graph: ``\\frac``, powers, named functions, subscripts."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from gradcli.ad.derivative_text import MAX_EXPANDED
from gradcli.ad.symbolic import Derivative, Sizes
from gradcli.core.errors import InputProblem
from gradcli.core.graph import Graph
from gradcli.core.ops import CONSTANTS, PREC_ADD, PREC_ATOM, PREC_MUL, PREC_POW, PREC_UNARY, constant_name

Text = tuple[str, int]

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


def _wrap(part: Text, needs: bool) -> str:
    return f"\\left({part[0]}\\right)" if needs else part[0]


def _format(graph: Graph, node: int, text: dict[int, Text], constants: Mapping[str, float]) -> Text:
    op, param = graph.ops[node], graph.params[node]
    if op.name == "const":
        text = latex_number(param, constants)
        return text, (PREC_UNARY if param < 0 else PREC_MUL if "\\times" in text else PREC_ATOM)
    if op.name == "var":
        return latex_name(param), PREC_ATOM
    args = [text[a] for a in graph.args[node]]
    name = op.name
    if name in ("add", "sub"):
        left, right = args
        sign = " + " if name == "add" else " - "
        return left[0] + sign + _wrap(right, right[1] <= PREC_ADD or right[1] == PREC_UNARY), PREC_ADD
    if name == "mul":
        left, right = args
        return f"{_wrap(left, left[1] < PREC_MUL)} \\cdot {_wrap(right, right[1] <= PREC_UNARY)}", PREC_MUL
    if name == "div":
        return f"\\frac{{{args[0][0]}}}{{{args[1][0]}}}", PREC_ATOM
    if name == "neg":
        return "-" + _wrap(args[0], args[0][1] <= PREC_UNARY), PREC_UNARY
    if name in ("pow", "powc"):
        exponent = latex_number(param, constants) if name == "powc" else args[1][0]
        if name == "powc" and param == 0.5:
            return f"\\sqrt{{{args[0][0]}}}", PREC_ATOM
        return f"{_wrap(args[0], args[0][1] <= PREC_POW)}^{{{exponent}}}", PREC_POW
    if name == "exp":
        return f"e^{{{args[0][0]}}}", PREC_POW
    if name == "sqrt":
        return f"\\sqrt{{{args[0][0]}}}", PREC_ATOM
    if name == "abs":
        return f"\\left|{args[0][0]}\\right|", PREC_ATOM
    command = op.latex or f"\\operatorname{{{_escape(name)}}}"  # the op table's LaTeX name
    return f"{command}\\left({', '.join(a[0] for a in args)}\\right)", PREC_ATOM


def to_latex(graph: Graph, root: int, constants: Mapping[str, float] = CONSTANTS) -> str:
    """The expression at ``root`` in LaTeX (math mode, without the dollars)."""
    return graph.fold(root, lambda node, text: _format(graph, node, text, constants))[0]


def derivative_latex(d: Derivative, sizes: Sizes) -> dict[str, str]:
    """Each derivative in LaTeX, as one expression (refused when it would be huge)."""
    for name, operations in sizes.expanded_operations.items():
        if operations > MAX_EXPANDED:
            reason = f"d/d{name} has {operations:,} operations as one expression, too many to print"
            raise InputProblem(f"{reason}; leave out `latex` for the program with shared names", "latex")
    return {name: to_latex(d.program.graph, node, d.program.constants) for name, node in d.nodes.items()}
