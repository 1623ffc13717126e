"""Comparisons, ``where`` and ``//``: Python's semantics, and gradients that never leak from a
branch not taken.

The oracles are Python itself (the operators' values and precedence), NumPy written out by hand
(``where`` on arrays), and hand-checked derivatives: a branch ``where`` does not take
contributes exactly nothing, even where its own derivative is nan or infinite (PyTorch and
JAX give nan there).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from support import assert_clean_error, cli, json_report

import gradcli
from gradcli.ad.forward_mode import forward_mode
from gradcli.ad.second_order import hessian
from gradcli.ad.symbolic import derivative, derivative_program
from gradcli.core.values import forward_values

# ---------------------------------------------------------------- values and precedence, against Python

PYTHON_EXPRESSIONS = [
    "x + 1 > 2*y",
    "x - y <= 0.5",
    "x*y == y*x",
    "(x > y)*x + (x <= y)*y",
    "-x**2 < y",
    "(x != y) + (x >= y)*2",
    "x // y",
    "-x // y",
    "x // -y + x",
    "2**x // 3",
    "x % y",
    "-x % y * 2",
    "x % -y + x // y * y",
    "(x < y) == (y > x)",
]


@pytest.mark.parametrize("text", PYTHON_EXPRESSIONS)
def test_values_and_precedence_are_pythons(text):
    rng = random.Random(text)
    for _ in range(30):
        x, y = (round(rng.uniform(-4, 4), rng.choice([0, 1, 3])) for _ in range(2))
        if y == 0:
            continue
        want = float(eval(text, {}, {"x": x, "y": y}))  # the test's own fixed strings, not user text
        program = gradcli.parse(text)
        got = forward_values(program, {name: {"x": x, "y": y}[name] for name in program.inputs})[program.output]
        assert got == want, (text, x, y)


def test_floor_division_is_exact_as_pythons():
    assert gradcli.evaluate("x // 0.1", {"x": 7.0}).value == 69.0  # not floor(7/0.1) = 70
    assert gradcli.evaluate("x // y", {"x": -7.0, "y": 2.0}).value == -4.0


def test_comparisons_print_back_with_their_parentheses():
    done = cli("diff", "where((x < y) < 1, x**2, y)", "--wrt", "x")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "where((x < y) < 1, 2*x, 0)\n"


def test_chained_comparisons_are_refused_with_a_hint():
    stderr = assert_clean_error(cli("eval", "1 < x < 3", "--at", "x=2"), "line 1, column 7")
    assert "(1 < x)*(x < 3)" in stderr
    assert ">=" in assert_clean_error(cli("eval", "x => 1", "--at", "x=1"))


# ---------------------------------------------------------------- where: the branch not taken sends nothing


def test_where_at_the_trap_point_has_gradient_zero():
    ev = gradcli.evaluate("where(x > 0, sqrt(x), 0)", {"x": -1.0})
    assert ev.value == 0.0 and ev.gradient == {"x": 0.0}  # PyTorch and JAX: nan
    assert forward_mode(gradcli.parse("where(x > 0, sqrt(x), 0)"), {"x": -1.0}).gradient == {"x": 0.0}
    assert hessian(gradcli.parse("where(x > 0, sqrt(x), 0)"), {"x": -1.0}).matrix == {"x": {"x": 0.0}}


def test_where_takes_the_branch_its_condition_picks():
    ev = gradcli.evaluate("where(x > 0, sqrt(x), -x**3)", {"x": 4.0})
    assert ev.value == 2.0 and ev.gradient == {"x": 0.25}
    ev = gradcli.evaluate("where(x > 0, sqrt(x), -x**3)", {"x": -2.0})
    assert ev.value == 8.0 and ev.gradient == {"x": -12.0}  # -3x**2


def test_where_trace_says_why_nothing_flows():
    done = cli("eval", "where(x > 0, sqrt(x), 0)", "--at", "x=-1")
    assert done.returncode == 0, done.stderr
    assert "nothing → sqrt(x) (the branch not taken)" in done.stdout
    assert "nothing (no gradient reaches it)" in done.stdout
    data = json_report("eval", "where(x > 0, sqrt(x), 0)", "--at", "x=-1", "--trace")
    assert data["gradient"] == {"x": 0}
    assert any(c.get("nothing") for node in data["nodes"] for c in node["incoming"])


def test_where_derivative_reads_as_a_where():
    program = gradcli.parse("where(x > 0, sqrt(x), 0)")
    d = derivative(program)
    text = cli("diff", "where(x > 0, sqrt(x), 0)").stdout
    assert text == "where(x > 0, 0.5/sqrt(x), 0)\n"
    values = forward_values(derivative_program(program, list(d.nodes.values())), {"x": -1.0})
    assert values[d.nodes["x"]] == 0.0
    assert gradcli.evaluate(text, {"x": 4.0}).value == 0.25


def test_where_on_arrays_sends_each_element_its_branch():
    x = np.array([-1.0, 4.0, 0.0, 9.0])
    ev = gradcli.evaluate("sum(where(x > 0, sqrt(x), 2*x))", {"x": x})
    by_hand = np.where(x > 0, 0.5 / np.sqrt(np.where(x > 0, x, 1.0)), 2.0)
    assert np.array_equal(ev.gradient["x"], by_hand)  # no nan at -1, no inf at 0


def test_where_broadcasts_a_number_branch_and_a_vector_condition():
    x = np.array([-2.0, 3.0])
    ev = gradcli.evaluate("sum(where(x > 0, x*y, y))", {"x": x, "y": 5.0})
    assert np.array_equal(ev.gradient["x"], [0.0, 5.0])
    assert ev.gradient["y"] == 3.0 + 1.0  # x where taken, 1 where not


def test_compare_passes_beside_the_trap_point():
    done = cli("compare", "where(x > 0, sqrt(x), 0)", "--at", "x=-1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout


# ---------------------------------------------------------------- indexing: the pieces not picked send nothing


def test_an_element_beside_an_infinite_derivative_gets_its_own_gradient():
    ev = gradcli.evaluate("v = [sqrt(x), x]\nv[1]", {"x": 0.0})
    assert ev.gradient == {"x": 1.0}  # PyTorch: 0 * inf = nan
    rows = json_report("jacobian", "v = [sqrt(x), x]\nv", "--at", "x=0", "--mode", "reverse")["jacobian"]
    assert rows == [["inf"], [1.0]]


def test_forward_mode_moves_only_the_chosen_element():
    ev = forward_mode(gradcli.parse("sum(sqrt(x))"), {"x": np.array([0.0, 4.0])})
    assert math.isinf(ev.gradient["x[0]"]) and ev.gradient["x[1]"] == 0.25  # x[1]'s pass: 0.25, not 0*inf + 0.25
