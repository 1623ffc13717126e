"""The surface language: precedence, associativity, numbers, separators, bindings, graph sharing.

Expected values are computed by hand (or with ``math``), never by gradcli itself. The two
100,000-deep programs are checked against a plain Python loop over ``math.sin``/``math.cos``.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from support import shallow_stack

import gradcli
from gradcli.core.errors import GradcliError, NameProblem, SyntaxProblem

LN2 = math.log(2)


def run(program: str, **at: float):
    ev = gradcli.evaluate(program, at)
    return ev.value, ev.gradient


# ---------------------------------------------------------------- precedence and associativity

# program, point, value, gradient (all by hand)
PRECEDENCE = [
    ("-x**2", {"x": 3}, -9.0, {"x": -6.0}),  # -(x**2)
    ("2**3**2", {}, 512.0, {}),  # 2**(3**2)
    ("(2**3)**2", {}, 64.0, {}),
    ("2**-1", {}, 0.5, {}),
    ("2^3", {}, 8.0, {}),
    ("2^3^2", {}, 512.0, {}),
    ("2**3^2", {}, 512.0, {}),
    ("10-3-2", {}, 5.0, {}),  # (10-3)-2
    ("8/4/2", {}, 1.0, {}),  # (8/4)/2
    ("2/4*3", {}, 1.5, {}),  # (2/4)*3
    ("2-3+4", {}, 3.0, {}),
    ("-2**2", {}, -4.0, {}),
    ("(-2)**2", {}, 4.0, {}),
    ("-3**2", {}, -9.0, {}),
    ("2**-3**2", {}, 1 / 512, {}),  # 2**(-(3**2))
    ("-2**-2", {}, -0.25, {}),  # -(2**(-2))
    ("2**3*2", {}, 16.0, {}),
    ("2*3**2", {}, 18.0, {}),
    ("2+3*4", {}, 14.0, {}),
    ("2*3+4", {}, 10.0, {}),
    ("(2+3)*4", {}, 20.0, {}),
    ("+x", {"x": 3}, 3.0, {"x": 1.0}),
    ("--x", {"x": 3}, 3.0, {"x": 1.0}),
    ("-+-x", {"x": 3}, 3.0, {"x": 1.0}),
    ("- - - x", {"x": 3}, -3.0, {"x": -1.0}),
    ("2*-x", {"x": 3}, -6.0, {"x": -2.0}),
    ("x - -x", {"x": 3}, 6.0, {"x": 2.0}),
    ("x--x", {"x": 3}, 6.0, {"x": 2.0}),
    ("x**+2", {"x": 3}, 9.0, {"x": 6.0}),
    ("x**-1", {"x": 2}, 0.5, {"x": -0.25}),
    ("-x^-2", {"x": 2}, -0.25, {"x": 0.25}),  # -(x**-2): d/dx = 2*x**-3
    ("2**-x", {"x": 1}, 0.5, {"x": -0.5 * LN2}),
    ("2*x**2", {"x": 3}, 18.0, {"x": 12.0}),
    ("-x**2*3", {"x": 2}, -12.0, {"x": -12.0}),  # (-(x**2))*3
    ("x*y**2", {"x": 2, "y": 3}, 18.0, {"x": 9.0, "y": 12.0}),
    ("1/x/y", {"x": 2, "y": 4}, 0.125, {"x": -1 / 16, "y": -1 / 32}),
    ("x/y*x", {"x": 2, "y": 4}, 1.0, {"x": 1.0, "y": -0.25}),  # (x/y)*x = x**2/y
    ("x**y**2", {"x": 2, "y": 1}, 2.0, {"x": 1.0, "y": 4 * LN2}),  # x**(y**2): d/dy = x**(y**2)*ln(x)*2y
    ("(x)", {"x": 5}, 5.0, {"x": 1.0}),
    ("((((x))))", {"x": 5}, 5.0, {"x": 1.0}),
    ("e", {}, math.e, {}),
    ("pi", {}, math.pi, {}),
    ("pi/4", {}, math.pi / 4, {}),
    ("e**x", {"x": 1}, math.e, {"x": math.e}),
    ("2*pi*x", {"x": 1}, 2 * math.pi, {"x": 2 * math.pi}),
]


@pytest.mark.parametrize("program, at, value, gradient", PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence_and_associativity(program, at, value, gradient):
    got_value, got_gradient = run(program, **at)
    assert got_value == pytest.approx(value, rel=1e-15)
    assert got_gradient == pytest.approx(gradient, rel=1e-15)


# ---------------------------------------------------------------- numbers

NUMBERS = [
    ("2", 2.0),
    ("1.5", 1.5),
    (".5", 0.5),
    ("1e-3", 0.001),
    ("1E3", 1000.0),
    ("2.", 2.0),
    ("1.e3", 1000.0),
    (".5e1", 5.0),
    ("1e+2", 100.0),
    ("3.25E-2", 0.0325),
    ("0.125", 0.125),
    ("10", 10.0),
    ("123456789", 123456789.0),
]


@pytest.mark.parametrize("text, value", NUMBERS, ids=[n[0] for n in NUMBERS])
def test_number_forms(text, value):
    assert run(text) == (value, {})
    assert run(f"x*{text}", x=2.0) == (2 * value, {"x": value})


def test_number_followed_by_name_is_a_syntax_error_not_a_product():
    for text in ("2x", "1e3x", "1_000"):
        with pytest.raises(SyntaxProblem):
            gradcli.parse(text)


@pytest.mark.parametrize(
    "program, cls, line, column",
    [
        ("2x", SyntaxProblem, 1, 2),
        ("a = x\nb = a +* 2", SyntaxProblem, 2, 8),
        ("(x + 1", SyntaxProblem, 1, 7),
        ("a = 1\n  sinn(x)", NameProblem, 2, 3),
        ("clamp(x)", NameProblem, 1, 1),
        ("x = 1; exp + 2", NameProblem, 1, 8),
        ("x + sin", NameProblem, 1, 5),
    ],
)
def test_errors_carry_line_and_column(program, cls, line, column):
    with pytest.raises(cls) as caught:
        gradcli.parse(program)
    assert isinstance(caught.value, gradcli.GradcliError)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_an_error_quotes_the_line_its_number_names():
    """Lines end at \\n alone, as the lexer counts them: \\f, \\x85 and \\u2028 (which str.splitlines
    ends lines at) made the message quote another line than the one its number names."""
    for text, cls, line, column in [
        ("a = 1\n\f\nsinn(x)", NameProblem, 3, 1),
        ("# note\u2028more\nsinn(x)", NameProblem, 2, 1),
        ("a = 1 # \x85\r\nsinn(x)", NameProblem, 2, 1),
        ("a = 1\n\f\nsin(x) +", SyntaxProblem, 3, 9),
    ]:
        with pytest.raises(cls) as caught:
            gradcli.parse(text)
        assert (caught.value.line, caught.value.column) == (line, column)
        assert str(caught.value).splitlines()[1] == "  " + text.split("\n")[-1]


# ---------------------------------------------------------------- names, calls, aliases


def test_names_are_case_sensitive_and_may_contain_digits_and_underscores():
    assert run("X*x + x_1 - _a", X=2, x=3, x_1=4, _a=5) == (5.0, {"X": 3.0, "x": 2.0, "x_1": 1.0, "_a": -1.0})


def test_names_that_start_like_constants_or_functions_are_plain_names():
    assert run("pie*epsilon + exp3 + sine", pie=2, epsilon=3, exp3=1, sine=1) == (
        8.0,
        {"pie": 3.0, "epsilon": 2.0, "exp3": 1.0, "sine": 1.0},
    )


def test_calls_with_spaces_and_expression_arguments():
    assert run("sin (x)", x=0.5) == (math.sin(0.5), {"x": math.cos(0.5)})
    assert run("max(x, -x)", x=-2) == (2.0, {"x": -1.0})
    assert run("clamp(x, -1, 1)", x=0.5) == (0.5, {"x": 1.0})
    assert run("clamp(x, -1, 1)", x=3) == (1.0, {"x": 0.0})
    assert run("pow(2, 3)") == (8.0, {})
    assert run("pow(x, 3)", x=2) == (8.0, {"x": 12.0})
    assert run("xlogy(0, 0)") == (0.0, {})  # documented: 0 where x = 0
    assert run("min(max(x, 0), 1)", x=0.25) == (0.25, {"x": 1.0})


def test_ln_is_an_alias_of_log():
    assert run("ln(x)", x=2.0) == (math.log(2.0), {"x": 0.5})
    assert run("ln(x)", x=2.0) == run("log(x)", x=2.0)


def test_stop_gradient_example():
    # z = sg(x**2) * x: value 4*2 = 8, dz/dx = sg(x**2) = 4
    assert run("y = x**2; z = stop_gradient(y)*x", x=2.0) == (8.0, {"x": 4.0})


def test_detach_is_an_alias_of_stop_gradient():
    assert run("y = x**2; z = detach(y)*x", x=2.0) == (8.0, {"x": 4.0})
    assert run("detach(x)", x=3.0) == (3.0, {"x": 0.0})
    assert run("detach(x) * x + x", x=3.0) == (12.0, {"x": 4.0})


# ---------------------------------------------------------------- statements, comments, separators

SEPARATED = [
    "a = x*3; b = a + 1; c = b**2",
    "a = x*3\nb = a + 1\nc = b**2",
    "a = x*3\nb = a + 1\nc = b**2\n",
    "\n\na = x*3\n\n\nb = a + 1\n\nc = b**2\n\n",
    "a = x*3;; b = a + 1 ;\n; c = b**2;",
    "a = x*3\r\nb = a + 1\r\nc = b**2\r\n",  # Windows line ends
    "# squares of an affine map\na = x*3  # scale\n# shift:\nb = a + 1\nc = b**2  # done",
    "a = x*3 # a comment with ; and = and ) in it\nb = a + 1; c = b**2",
    "a = x \\\n  * 3\nb = a + 1\nc = b**2",  # backslash continuation
    "\ta = x*3\n  b = a + 1\n\t c = b**2",  # leading whitespace
]


@pytest.mark.parametrize("program", SEPARATED, ids=range(len(SEPARATED)))
def test_separators_comments_and_blank_lines(program):
    # c = (3x + 1)**2 at x = 2: 49, dc/dx = 2*(3x + 1)*3 = 42
    assert run(program, x=2.0) == (49.0, {"x": 42.0})


def test_last_statement_is_the_output_even_if_it_is_a_binding():
    assert run("y = x**2", x=3.0) == (9.0, {"x": 6.0})
    assert run("y = x**2\ny + 1", x=3.0) == (10.0, {"x": 6.0})


def test_rebinding_reads_the_old_value():
    # c = 1 declares an input c with default 1; then c = c + c + 1 reads the old c: 3
    assert run("c = 1; c = c + c + 1") == (3.0, {"c": 2.0})
    assert run("c = 1; c = c + c + 1", c=2.0) == (5.0, {"c": 2.0})
    assert run("c = c + c + 1", c=2.0) == (5.0, {"c": 2.0})
    assert run("x = x*2; x = x*3; x", x=1.0) == (6.0, {"x": 6.0})
    assert run("y = x; x = 5*x; x + y", x=1.0) == (6.0, {"x": 6.0})


def test_a_plain_number_binding_declares_an_input_with_a_default():
    assert run("w = 0.5; w*x", x=3.0) == (1.5, {"w": 3.0, "x": 0.5})
    assert run("w = 0.5; w*x", x=3.0, w=2.0) == (6.0, {"w": 3.0, "x": 2.0})
    program = gradcli.parse("w = 0.5\nw*x")
    assert set(program.inputs) == {"w", "x"}


@pytest.mark.parametrize("program, at", [("a = y; a = x; a", {"x": 1.0}), ("x\n2*3", {})])
def test_a_program_with_a_dead_input_can_be_evaluated(program, at):
    attempts = [at, {**at, "y": 2.0} if "y" in program else {**at, "x": 2.0}]
    results = []
    for point in attempts:
        try:
            results.append(gradcli.evaluate(program, point).value)
        except GradcliError as error:
            results.append(str(error))
    assert any(isinstance(r, float) for r in results), results


# ---------------------------------------------------------------- the graph: hash-consing


def ops_of(program):
    g = program.graph
    return [g.node(n).op for n in program.nodes]


def test_x_times_x_has_two_ordered_edges_to_one_node():
    program = gradcli.parse("x*x")
    out = program.graph.node(program.output)
    assert out.op == "mul"
    assert out.args == (program.inputs["x"], program.inputs["x"])
    assert run("x*x", x=3.0) == (9.0, {"x": 6.0})  # d(x*x)/dx = 2x
    assert run("x*x", x=-1.5) == (2.25, {"x": -3.0})


def test_identical_subexpressions_are_one_node():
    program = gradcli.parse("sin(x) + sin(x)")
    assert ops_of(program).count("sin") == 1
    g = program.graph
    (sine,) = [n for n in program.nodes if g.node(n).op == "sin"]
    assert g.node(program.output).args == (sine, sine)
    assert run("sin(x) + sin(x)", x=1.0) == (2 * math.sin(1.0), {"x": 2 * math.cos(1.0)})


def test_sharing_spans_bindings():
    program = gradcli.parse("a = sin(x); b = sin(x); a*b")
    assert ops_of(program).count("sin") == 1
    value, gradient = run("a = sin(x); b = sin(x); a*b", x=1.0)
    assert value == pytest.approx(math.sin(1.0) ** 2, rel=1e-15)
    assert gradient == pytest.approx({"x": 2 * math.sin(1.0) * math.cos(1.0)}, rel=1e-15)


def test_node_ids_are_a_topological_order():
    program = gradcli.parse("a = x*y; b = sin(a) + a; c = b*b - x")
    g = program.graph
    for n in program.nodes:
        assert all(arg < n for arg in g.node(n).args)


def test_the_documented_library_calls_work_repeatedly():
    code = (
        "import gradcli\n"
        "ev = gradcli.evaluate('x*y', {'x': 2.0, 'y': 3.0})\n"
        "assert (ev.value, ev.gradient) == (6.0, {'x': 3.0, 'y': 2.0}), ev\n"
        "for text in ('x', 'x*y', 'sin(x)'):\n"
        "    program = gradcli.parse(text)\n"
        "    assert set(program.inputs) <= {'x', 'y'}\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_gradcli_parse_stays_callable_after_importing_every_submodule():
    code = (
        "import importlib, pkgutil, gradcli\n"
        "for info in pkgutil.walk_packages(gradcli.__path__, 'gradcli.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "print(type(gradcli.parse('x')).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Program\n"


def test_parsing_in_threads():
    from concurrent.futures import ThreadPoolExecutor

    jobs = [("+".join(["x"] * 2000), {"x": 1.0}, 2000.0), ("y*y*y + " + "+".join(["y"] * 2000), {"y": 1.0}, 2001.0)]

    def work(k: int):
        text, at, want = jobs[k % 2]
        try:
            return gradcli.evaluate(text, at).value == want
        except Exception as error:  # any failure counts
            return repr(error)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(48)))
    assert all(r is True for r in results), [r for r in results if r is not True][:3]


# ---------------------------------------------------------------- very deep and very long programs

N = 100_000


def sin_loop(x: float, n: int) -> tuple[float, float]:
    """n-fold sin(sin(...(x))) and its derivative, by the chain rule in a plain loop."""
    value, slope = x, 1.0
    for _ in range(n):
        slope *= math.cos(value)
        value = math.sin(value)
    return value, slope


def test_100000_deep_nesting_evaluates_and_differentiates():
    with shallow_stack():
        value, gradient = run("sin(" * N + "x" + ")" * N, x=0.5)
    want_value, want_slope = sin_loop(0.5, N)
    assert value == pytest.approx(want_value, rel=1e-12)
    assert gradient["x"] == pytest.approx(want_slope, rel=1e-9)


def test_100000_line_chain_of_bindings_evaluates_and_differentiates():
    # v = x; then N times v = sin(v) + u with u = 0.25*x: x reaches the output along N + 1 paths.
    program = "u = 0.25*x\nv = x\n" + "v = sin(v) + u\n" * N + "v\n"
    with shallow_stack():
        parsed = gradcli.parse(program)
        ev = gradcli.evaluate(parsed, {"x": 0.7})
    assert parsed.size == 2 * N + 3  # x, 0.25, u, then sin and add per line: linear in the lines
    v, dv = 0.7, 1.0
    for _ in range(N):
        v, dv = math.sin(v) + 0.25 * 0.7, math.cos(v) * dv + 0.25
    assert ev.value == pytest.approx(v, rel=1e-12)
    assert ev.gradient["x"] == pytest.approx(dv, rel=1e-9)


def test_100000_distinct_names_chain():
    program = "a0 = x\n" + "".join(f"a{k + 1} = sin(a{k})\n" for k in range(N)) + f"a{N}"
    value, gradient = run(program, x=0.5)
    want_value, want_slope = sin_loop(0.5, N)
    assert value == pytest.approx(want_value, rel=1e-12)
    assert gradient["x"] == pytest.approx(want_slope, rel=1e-9)


def test_100000_deep_program_through_the_cli(tmp_path):
    """The report (names, expressions, table) must not recurse either."""
    path = tmp_path / "deep.grad"
    path.write_text("sin(" * N + "x" + ")" * N + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "-f", str(path), "--at", "x=0.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "0.00547674812" in done.stdout  # sin_loop(0.5, N)[0] = 0.005476748120...
