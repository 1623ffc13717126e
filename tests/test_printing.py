"""Every printer prints from the op table: a new op needs no printer edit, and infix reads back.

The round trip is generated from :data:`OPS`, so an op added to the table is printed in
every operand position, next to every other op, and parsed back to the same graph. An op
that is in no table at all (made here, never added to ``OPS``) still prints in infix, in
LaTeX and in the explain texts, with parentheses where its precedence needs them.
"""

from __future__ import annotations

import itertools
import math

import pytest

from gradcli.core.graph import Graph, Program
from gradcli.core.ops import OPS, PREC_ADD, PREC_ATOM, PREC_MUL, PREC_POW, PREC_UNARY, SCALAR_OPS, Op
from gradcli.core.precedence import parenthesize
from gradcli.explain.texts import as_symbol, expression, local_derivatives, node_texts
from gradcli.render.latex import NOTATIONS, to_latex
from gradcli.syntax.infix import to_infix
from gradcli.syntax.parser import parse

PRINTED_OPS = [op for op in SCALAR_OPS.values() if op.arity > 0]

# A parameter the op accepts in every position it is printed (powc's exponent).
PARAMS = (3.0, -0.5, 0.5)


def params_of(op: Op) -> list[float]:
    """The PARAMS the op takes (polygamma's order is a whole number, gammainc's a is positive)."""
    return [p for p in PARAMS if op.valid.interval(op.arity).contains(p)]


def _structure(graph: Graph, node: int):
    """A node as nested tuples of op names, parameters and arguments (ids play no part)."""
    op, param = graph.ops[node], graph.params[node]
    return (op.name, param, tuple(_structure(graph, a) for a in graph.args[node]))


def _samples(graph: Graph) -> list[int]:
    """Operands of every precedence: leaves, signed numbers, and each op of the table on inputs."""
    x, y, z = graph.var("x"), graph.var("y"), graph.var("z")
    samples = [x, graph.const(3.0), graph.const(-2.0), graph.const(0.5), graph.const(math.pi)]
    for op in PRINTED_OPS:
        inputs = (x, y, z)[: op.arity]
        samples += [graph.make(op, inputs, p) for p in params_of(op)] if op.has_param else [graph.make(op, inputs)]
    return samples


def _folded_by_the_parser(op: Op, position: int, operand_op: Op) -> bool:
    """The parser reads ``-3`` as a number and ``x**3`` (a literal exponent) as ``powc``."""
    literal = operand_op.name == "const"
    return literal and ((op.name == "neg") or (op.name == "pow" and position == 1))


def _round_trip(graph: Graph, node: int) -> None:
    text = to_infix(graph, node)
    program = parse(text)
    assert _structure(program.graph, program.output) == _structure(graph, node), text


@pytest.mark.parametrize("op", PRINTED_OPS, ids=lambda op: op.name)
def test_infix_is_the_parsers_inverse_for_every_op_in_every_position(op):
    graph = Graph()
    samples = _samples(graph)
    others = (graph.var("u"), graph.var("v"), graph.var("w"))
    params = params_of(op) if op.has_param else (None,)
    for position, operand, param in itertools.product(range(op.arity), samples, params):
        if _folded_by_the_parser(op, position, graph.ops[operand]):
            continue
        args = list(others[: op.arity])
        args[position] = operand
        _round_trip(graph, graph.make(op, tuple(args), param))


@pytest.mark.parametrize("op", [op for op in PRINTED_OPS if op.arity == 2], ids=lambda op: op.name)
def test_infix_is_the_parsers_inverse_for_every_pair_of_operands(op):
    graph = Graph()
    samples = _samples(graph)
    for left, right in itertools.product(samples, repeat=2):
        if not _folded_by_the_parser(op, 1, graph.ops[right]):
            _round_trip(graph, graph.make(op, (left, right)))


def _cube_partials(A, out, x):
    return (A.mul(A.const(3.0), A.powc(x, 2.0)),)


# Ops that are in no table: no callable name, no LaTeX, no infix symbol unless given here.
CUBE = Op("cube", 1, lambda x: x**3, _cube_partials)
AT = Op("at_op", 2, lambda x, y: x * y, lambda A, out, x, y: (y, x), infix="@", precedence=PREC_MUL)


def _program_of_cube() -> tuple[Program, int]:
    graph = Graph()
    x, y = graph.var("x"), graph.var("y")
    out = graph.make(CUBE, (graph.make(OPS["add"], (x, y)),))
    return Program(graph, out, {"x": x, "y": y}), out


def test_an_op_in_no_table_prints_as_a_call_in_infix_and_latex():
    program, out = _program_of_cube()
    assert to_infix(program.graph, out) == "cube(x + y)"
    assert to_latex(program.graph, out) == "\\operatorname{cube}\\left(x + y\\right)"


def test_an_op_in_no_table_is_explained_with_its_own_partials():
    program, out = _program_of_cube()
    texts = node_texts(program)
    assert expression(program.graph, out, texts) == "cube(x + y)"
    values = [2.0, 1.0, 3.0, 27.0]  # x, y, x + y, (x + y)**3
    (local,) = local_derivatives(program, out, values, texts)
    assert (local.formula, local.value) == ("3*(x + y)**2", 27.0)  # d/du u**3 = 3u**2 at u = 3
    assert as_symbol(texts[out]) == "f" and as_symbol(texts[program.graph.args[out][0]]) == "(x + y)"


def test_an_infix_op_in_no_table_is_parenthesized_by_its_precedence():
    graph = Graph()
    x, y, z = graph.var("x"), graph.var("y"), graph.var("z")
    add = OPS["add"]
    cases = {
        graph.make(AT, (graph.make(add, (x, y)), z)): ("(x + y) @ z", "\\left(x + y\\right) @ z"),
        graph.make(AT, (graph.make(AT, (x, y)), z)): ("x @ y @ z", "x @ y @ z"),
        graph.make(AT, (x, graph.make(AT, (y, z)))): ("x @ (y @ z)", "x @ \\left(y @ z\\right)"),
        graph.make(add, (graph.make(AT, (x, y)), z)): ("x @ y + z", "x @ y + z"),
        graph.make(AT, (x, graph.make(OPS["neg"], (y,)))): ("x @ (-y)", "x @ \\left(-y\\right)"),
    }
    for node, (infix, latex) in cases.items():
        assert (to_infix(graph, node), to_latex(graph, node)) == (infix, latex)


@pytest.mark.parametrize("op", [op for op in PRINTED_OPS if op.latex is not None], ids=lambda op: op.name)
def test_every_latex_field_is_printed(op):
    graph = Graph()
    inputs = tuple(graph.var(name) for name in ("x", "y", "z")[: op.arity])
    node = graph.make(op, inputs, 3.0 if op.has_param else None)
    assert op.latex in to_latex(graph, node)


def test_only_ops_with_a_notation_of_their_own_are_printed_by_name():
    assert set(NOTATIONS) == {
        *"div pow powc exp sqrt abs transpose rsqrt cbrt exp2 reciprocal".split(),
        # psi^{(n)}(x), J_n(x), j_n(x), I_n(x), erfcx^{(n)}(x): the order as a mark on the name
        *"polygamma jn spherical_jn iv ive erfcx_derivative".split(),
    }
    assert set(NOTATIONS) <= set(OPS)


@pytest.mark.parametrize(
    ("inner", "outer", "side", "wrapped"),
    [
        (PREC_ADD, PREC_MUL, "left", True),  # (a + b)*c
        (PREC_MUL, PREC_ADD, "right", False),  # a + b*c
        (PREC_ADD, PREC_ADD, "left", False),  # a - b + c
        (PREC_ADD, PREC_ADD, "right", True),  # a - (b + c)
        (PREC_POW, PREC_POW, "left", True),  # (a**b)**c
        (PREC_POW, PREC_POW, "right", False),  # a**b**c
        (PREC_UNARY, PREC_MUL, "left", False),  # -a*b
        (PREC_UNARY, PREC_MUL, "right", True),  # a*(-b)
        (PREC_UNARY, PREC_POW, "right", True),  # a**(-b)
        (PREC_UNARY, PREC_UNARY, "right", True),  # -(-a)
        (PREC_POW, PREC_UNARY, "right", False),  # -a**2
        (PREC_ATOM, PREC_ATOM, "left", False),
    ],
)
def test_the_parenthesis_rule(inner, outer, side, wrapped):
    assert parenthesize("a", inner, outer, side, ("[", "]")) == ("[a]" if wrapped else "a")


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        (("1e-08", PREC_ATOM), "(1e-08)"),
        (("1e+20", PREC_ATOM), "(1e+20)"),
        (("2.5", PREC_ATOM), "2.5"),
        (("-2", PREC_UNARY), "(-2)"),
        (("sin(x)", PREC_ATOM), "sin(x)"),
        (("a*x", PREC_MUL), "(a*x)"),
    ],
)
def test_a_node_as_the_symbol_after_a_partial_sign(text, symbol):
    """∂(1e-08) and ∂(a*x) keep their brackets; ∂sin(x) and ∂2.5 need none."""
    assert as_symbol(text) == symbol
