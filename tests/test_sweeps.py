"""The float specialisations of the sweeps equal the generic sweeps, for every op of the table.

:func:`gradcli.ad.reverse.adjoints` and :func:`gradcli.ad.forward_mode.tangent_sweep` inline
the commonest rules; :func:`vjp_sweep` and :func:`jvp_sweep` ask each op for its VJP or JVP.
The cases are generated from :data:`gradcli.core.ops.OPS`, so a new op is covered without
editing this file. Each op is tried on a grid of points that holds its kinks (0, ties,
``x == lo``), infinities and points outside its domain.

The two agree **bit for bit**: both do the same float operations in the same order. Two
differences are not compared, because they are not numbers: the sign of a zero adjoint
(the list starts every adjoint at +0.0, the generic sweep at its first contribution, and
0.0 + -0.0 is +0.0, so the list equals ``0.0 + generic``) and the payload of a nan.
The symbolic sweep (the same sweep on nodes) is checked against the float one numerically,
to 1e-12 relative: its simplifications (``x*x`` as ``x**2``) may round differently.
"""

from __future__ import annotations

import itertools
import math

import pytest
from support import close

from gradcli.ad.forward_mode import jvp_sweep, tangent_sweep
from gradcli.ad.reverse import adjoints, vjp_sweep
from gradcli.ad.symbolic import derivative_program, symbolic_adjoints
from gradcli.core.algebra import FLOATS
from gradcli.core.graph import Graph, Program
from gradcli.core.ops import OPS, SCALAR_OPS, Op
from gradcli.core.values import forward_values
from gradcli.syntax.parser import parse

GRID = (-2.5, -1.0, -0.5, 0.0, 0.3, 1.0, 2.0, math.inf)
FINITE_GRID = GRID[:-1]
PARAMS = (0.0, 1.0, 2.0, 3.0, -1.0, 0.5, -2.5)  # for an op with a parameter (x ** c)
SEEDS = (1.0, -0.75, 0.0)  # an output's adjoint, and each input's direction of motion


def same(a: float | None, b: float | None) -> bool:
    """Equal bit for bit, any nan equal to any nan, and None only to None."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _cases() -> list[tuple[str, tuple[int, ...], object]]:
    """(op name, which input each argument is, parameter) for every op that has arguments.

    Distinct inputs, and all arguments the same input (``x*x``: two contributions add up).
    """
    cases = []
    for op in SCALAR_OPS.values():
        if op.arity == 0:
            continue
        for wiring in dict.fromkeys((tuple(range(op.arity)), (0,) * op.arity)):
            for param in PARAMS if op.has_param else (None,):
                cases.append((op.name, wiring, param))
    return cases


CASES = _cases()


def one_op_program(op: Op, wiring: tuple[int, ...], param: object) -> Program:
    """``out = op(x_wiring...)`` over fresh inputs ``x0, x1, ...``."""
    g = Graph()
    names = [f"x{k}" for k in range(max(wiring) + 1)]
    inputs = {name: g.var(name) for name in names}
    out = g.make(op, tuple(inputs[names[k]] for k in wiring), param)
    return Program(g, out, inputs)


def points(program: Program, grid: tuple[float, ...] = GRID):
    for values in itertools.product(grid, repeat=len(program.inputs)):
        yield dict(zip(program.inputs, values))


def test_every_op_with_arguments_is_covered():
    covered = {name for name, _, _ in CASES}
    assert covered == {op.name for op in SCALAR_OPS.values() if op.arity > 0}


@pytest.mark.parametrize("name, wiring, param", CASES)
def test_fast_reverse_sweep_equals_the_generic_one(name, wiring, param):
    program = one_op_program(OPS[name], wiring, param)
    for point in points(program):
        values = forward_values(program, point)
        for seed in SEEDS:
            fast = adjoints(program, values, seed=seed)
            generic = vjp_sweep(FLOATS, program.graph, program.output, seed, values)
            assert same(fast[program.output], generic[program.output])
            for node in program.inputs.values():
                assert same(fast[node], 0.0 + generic.get(node, 0.0)), (point, seed, node)


@pytest.mark.parametrize("name, wiring, param", CASES)
def test_fast_tangent_sweep_equals_the_generic_one(name, wiring, param):
    program = one_op_program(OPS[name], wiring, param)
    inputs = list(program.inputs.values())
    directions = [{node: 1.0} for node in inputs] + [dict(zip(inputs, itertools.cycle(SEEDS)))]
    for point in points(program):
        values = forward_values(program, point)
        for seeds in directions:
            fast = tangent_sweep(program, values, seeds)
            generic = jvp_sweep(FLOATS, program, values, seeds)
            for node in program.nodes:
                assert same(fast[node], generic.get(node)), (point, seeds, node)


@pytest.mark.parametrize("name, wiring, param", CASES)
def test_symbolic_sweep_evaluates_to_the_float_sweep(name, wiring, param):
    program = one_op_program(OPS[name], wiring, param)
    adjoint = symbolic_adjoints(program, program.output)
    g = program.graph
    derivative = derivative_program(program, [adjoint.get(n, g.const(0.0)) for n in program.inputs.values()])
    for point in points(program, FINITE_GRID):
        numeric = adjoints(program, forward_values(program, point))
        symbolic = forward_values(derivative, point)
        for node, out in zip(program.inputs.values(), derivative.outputs):
            assert close(symbolic[out], numeric[node], rel=1e-12, abs=1e-300, equal_nan=True), (point, node)


PROGRAMS = [
    "y = sin(x)*exp(x); z = max(y, x**2) + clamp(x, -1, y); z / tanh(x) + abs(y - x)",
    "a = x*y; b = a + a; c = stop_gradient(b) * x + relu(y - 1); sqrt(c*c + 1) ** y",
    "u = log(x*x + 1); v = sigmoid(u) - softplus(-y); min(u, v) * xlogy(x, y) + x**3 - y**-2",
]


@pytest.mark.parametrize("source", PROGRAMS)
def test_sweeps_agree_on_whole_programs(source):
    program = parse(source)
    inputs = list(program.inputs.values())
    for point in points(program, (-1.5, 0.0, 0.7, 2.0)):
        values = forward_values(program, point)
        fast = adjoints(program, values)
        generic = vjp_sweep(FLOATS, program.graph, program.output, 1.0, values)
        assert all(same(fast[n], 0.0 + generic.get(n, 0.0)) for n in inputs), point
        fast_t = tangent_sweep(program, values, {inputs[0]: 1.0})
        generic_t = jvp_sweep(FLOATS, program, values, {inputs[0]: 1.0})
        assert all(same(fast_t[n], generic_t.get(n)) for n in program.nodes), point


def test_an_op_with_its_own_vjp_and_jvp_plugs_into_every_sweep():
    """A structural op states its VJP and JVP in primitives instead of partials: ``triple(x) = 3x``."""
    triple = Op(
        "triple_for_test",
        1,
        lambda x: 3.0 * x,
        None,
        vjp_rule=lambda A, cotangent, out, args, param: (A.mul(A.const(3.0), cotangent),),
        jvp_rule=lambda A, out, args, tangents, param: A.mul(A.const(3.0), tangents[0]),
    )
    g = Graph()
    x = g.var("x")
    y = g.make(triple, (g.make(OPS["sin"], (x,)),))
    program = Program(g, y, {"x": x})
    values = forward_values(program, {"x": 0.5})
    assert values[y] == 3.0 * math.sin(0.5)
    assert adjoints(program, values)[x] == 3.0 * math.cos(0.5)
    assert vjp_sweep(FLOATS, g, y, 1.0, values)[x] == 3.0 * math.cos(0.5)
    assert tangent_sweep(program, values, {x: 1.0})[y] == math.cos(0.5) * 3.0
    assert jvp_sweep(FLOATS, program, values, {x: 1.0})[y] == math.cos(0.5) * 3.0
    symbolic = derivative_program(program, symbolic_adjoints(program, y)[x])
    assert forward_values(symbolic, {"x": 0.5})[symbolic.output] == 3.0 * math.cos(0.5)


def test_nothing_passes_stop_gradient_or_leaves_the_ancestry():
    program = parse("u = sqrt(x); stop_gradient(y) * x")
    values = forward_values(program, {"x": 0.0, "y": 2.0})
    x, y = program.inputs["x"], program.inputs["y"]
    generic = vjp_sweep(FLOATS, program.graph, program.output, 1.0, values)
    assert generic[x] == 2.0 and y not in generic  # sqrt'(0) = inf never meets x's gradient
    assert adjoints(program, values)[y] == 0.0
    assert tangent_sweep(program, values, {y: 1.0})[program.output] is None
