"""Every ``examples/*.grad`` file, run through the real command line, against two oracles.

Neither oracle is gradcli:

(a) ``TUTORIAL``: the figures of /work/shared/worked-examples.md typed in by hand. A figure
    written ``"~0.3631949"`` is rounded in the source and is checked to half a unit in its
    last digit; any other figure is exact and is checked to a relative 1e-12.
(b) ``SYMPY``: the same function written again as a SymPy expression, differentiated with
    ``sympy.diff`` and evaluated at the point in 30-digit arithmetic; checked to 1e-12.

Each file is run once, without ``--at``: it has to carry its own point.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import pytest
import sympy as sp
from support import EXAMPLES, ROOT, cli, close, strict_json

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.grad"))

REL = 1e-12
ABS = 1e-12


# --------------------------------------------------------------------------------------
# (a) The worked examples' figures, typed from worked-examples.md.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    example: int  # the worked example's number in worked-examples.md
    at: dict[str, str]  # the point, as the tutorial states it
    value: str | None = None  # the output's value, where the table gives it
    gradient: dict[str, str] = field(default_factory=dict)  # d output / d input
    values: dict[str, str] = field(default_factory=dict)  # named nodes' values
    grads: dict[str, str] = field(default_factory=dict)  # named nodes' gradients
    outputs: list[str] = field(default_factory=list)  # several outputs: each one's value
    jacobian: list[list[str]] = field(default_factory=list)  # several outputs: rows by output
    hessian: dict[str, dict[str, str]] = field(default_factory=dict)  # second derivatives (eval --order 2)


TUTORIAL: dict[str, Figures] = {
    "01_chain_rule_square.grad": Figures(1, {"x": "1"}, "25", {"x": "30"}, grads={"u": "10"}),
    "02_sin_exp_chain.grad": Figures(2, {"x": "0.5"}, "~0.9591622", {"x": "~0.3631949"}),
    "03_backward_trace.grad": Figures(
        3,
        {"x": "2"},
        "49",
        {"x": "42"},
        values={"x": "2", "a": "6", "b": "7", "c": "49"},
        grads={"c": "1", "b": "14", "a": "14", "x": "42"},
    ),
    "04_branching_paths_add.grad": Figures(4, {"x": "3"}, "24", {"x": "11"}),
    "05_gradient_accumulation.grad": Figures(5, {"x": "2"}, None, {"x": "7"}),
    "06_graph_by_hand.grad": Figures(6, {"x1": "2", "x2": "3"}, "30", {"x1": "21", "x2": "16"}),
    "07_micrograd_value.grad": Figures(7, {"x": "2", "y": "3"}, "10", {"x": "7", "y": "2"}),
    "08_squared_linear.grad": Figures(8, {"w": "2", "x": "3", "b": "1"}, "49", {"w": "42", "x": "28", "b": "14"}),
    "09_dual_numbers.grad": Figures(9, {"x": "1.5"}, "~3.3665455798", {"x": "~6.9718292152"}),
    "10_symbolic_vs_numeric.grad": Figures(10, {"x": "1.5"}, None, {"x": "~-1.8845208682"}),
    "11_relu_inactive.grad": Figures(
        11,
        {"x1": "1", "x2": "2", "w1": "0.5", "w2": "-0.5", "b": "0.1"},
        "0",
        {"x1": "0", "x2": "0", "w1": "0", "w2": "0", "b": "0"},
    ),
    "12_relu_neuron.grad": Figures(
        12,
        {"x1": "2", "x2": "3", "w1": "0.5", "w2": "-0.3", "b": "0.1"},
        "0.2",
        {"w1": "2", "w2": "3", "b": "1", "x1": "0.5", "x2": "-0.3"},
    ),
    "13_two_layer_net.grad": Figures(
        13,
        {"x1": "1.5", "x2": "-2", "w1": "0.8", "w2": "0.6", "b1": "0.1", "w3": "1.2", "b2": "-0.5"},
        "1.9044",
        {"w1": "-4.968", "w2": "6.624", "b1": "-3.312", "w3": "-0.276", "b2": "-2.76"},
    ),
    "14a_cube_product.grad": Figures(14, {"x": "2"}, None, {"x": "12"}),
    "14b_difference_of_squares.grad": Figures(14, {"x": "3"}, None, {"x": "6"}),
    "14c_relu_off.grad": Figures(14, {"x": "1"}, None, {"x": "0"}),
    "14d_relu_on.grad": Figures(14, {"x": "5"}, None, {"x": "1"}),
    "15_cube_second_derivative.grad": Figures(15, {"x": "2"}, "8", {"x": "12"}, hessian={"x": {"x": "12"}}),
    "16_functional_grad.grad": Figures(16, {"x": "3"}, None, {"x": "8"}),
    "17_chain_rule_composition.grad": Figures(17, {"x": "2"}, "13", {"x": "12"}),
    "18_accumulation_any_x.grad": Figures(18, {"x": "2"}, None, {"x": "3"}),
    "19_graph_two_inputs.grad": Figures(
        19, {"x": "2", "y": "3"}, "10", {"x": "7", "y": "2"}, values={"a": "5", "z": "10"}
    ),
    "20_detach.grad": Figures(20, {"x": "2"}, "8", {"x": "4"}, values={"z": "8"}),
    "21a_shared_loss1.grad": Figures(21, {"x": "2"}, None, {"x": "12"}),
    "21b_shared_loss2.grad": Figures(21, {"x": "2"}, None, {"x": "4"}),
    "21c_shared_losses_jacobian.grad": Figures(21, {"x": "2"}, outputs=["12", "9"], jacobian=[["12"], ["4"]]),
    "22_jacobian.grad": Figures(22, {"x0": "2", "x1": "3"}, outputs=["7", "6"], jacobian=[["4", "1"], ["3", "2"]]),
    # #29: the table states only the bound (each sigmoid' <= 0.25, so ten give <= 0.25**10);
    # the figures here are the exact ones, from mpmath at 40 digits (s_k = 1/(1 + exp(-s_(k-1)))).
    "29_vanishing_sigmoids.grad": Figures(
        29,
        {"x": "0"},
        "0.65904582883547185",
        {"x": "3.8752202320832606e-7"},
        values={"s1": "0.5", "s10": "0.65904582883547185"},
        grads={"s10": "1", "s9": "0.22470442433003779", "s1": "1.5500880928333042e-6"},
    ),
}


# --------------------------------------------------------------------------------------
# (b) The same functions, written again in SymPy.
# --------------------------------------------------------------------------------------

x, y, u, w, b, x0, x1, x2, w1, w2, w3, b1, b2 = sp.symbols("x y u w b x0 x1 x2 w1 w2 w3 b1 b2", real=True)
Y_FROZEN = sp.Symbol("Y_frozen", real=True)  # stop_gradient(x**2): a constant to diff()


def relu(e):
    return sp.Max(0, e)


@dataclass(frozen=True)
class Oracle:
    expr: sp.Expr
    # Symbols that stand for stop_gradient(...) of an expression: constants while
    # differentiating, replaced by their expression before evaluating.
    frozen: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)


SYMPY: dict[str, Oracle] = {
    "01_chain_rule_square.grad": Oracle((3 * x + 2) ** 2),
    "02_sin_exp_chain.grad": Oracle(sp.sin(sp.exp(x**2))),
    "03_backward_trace.grad": Oracle((3 * x + 1) ** 2),
    "04_branching_paths_add.grad": Oracle(x**2 + 5 * x),
    "05_gradient_accumulation.grad": Oracle(3 * x + x**2),
    "06_graph_by_hand.grad": Oracle((x1 + x2) * (x1 * x2)),
    "07_micrograd_value.grad": Oracle(x * y + x**2),
    "08_squared_linear.grad": Oracle((w * x + b) ** 2),
    "09_dual_numbers.grad": Oracle(x**3 * sp.sin(x)),
    "10_symbolic_vs_numeric.grad": Oracle(sp.sin(x**2)),
    "11_relu_inactive.grad": Oracle(relu(w1 * x1 + w2 * x2 + b)),
    "12_relu_neuron.grad": Oracle(relu(w1 * x1 + w2 * x2 + b)),
    "13_two_layer_net.grad": Oracle((w3 * relu(w1 * x1 + w2 * x2 + b1) + b2 - 1) ** 2),
    "14a_cube_product.grad": Oracle(x**3),
    "14b_difference_of_squares.grad": Oracle(x**2 - 1),
    "14c_relu_off.grad": Oracle(relu(x - 2)),
    "14d_relu_on.grad": Oracle(relu(x - 2)),
    "15_cube_second_derivative.grad": Oracle(x**3),
    "16_functional_grad.grad": Oracle(x**2 + 2 * x),
    "17_chain_rule_composition.grad": Oracle(3 * x**2 + 1),
    "18_accumulation_any_x.grad": Oracle(2 * x + (x + 1)),
    "19_graph_two_inputs.grad": Oracle((x + y) * x),
    "20_detach.grad": Oracle(Y_FROZEN * x, frozen={Y_FROZEN: x**2}),
    "21a_shared_loss1.grad": Oracle(3 * x**2),
    "21b_shared_loss2.grad": Oracle(x**2 + 5),
    "21c_shared_losses_jacobian.grad": Oracle(sp.Matrix([3 * x**2, x**2 + 5])),
    "22_jacobian.grad": Oracle(sp.Matrix([x0**2 + x1, x0 * x1])),
    "29_vanishing_sigmoids.grad": Oracle(functools.reduce(lambda e, _: 1 / (1 + sp.exp(-e)), range(10), x)),
}


# --------------------------------------------------------------------------------------
# Running the real command line
# --------------------------------------------------------------------------------------


def run_cli(*args: str, columns: int | None = None) -> subprocess.CompletedProcess:
    """``gradcli eval ARGS`` from the project's folder, without colour (COLUMNS as given, else as it is)."""
    return cli("eval", *args, env={"NO_COLOR": "1"}, unset=["FORCE_COLOR"], columns=columns, cwd=ROOT)


@cache
def report(name: str, *options: str) -> dict:
    """The --json --trace report of examples/NAME, run at its own point (or with the given options)."""
    proc = run_cli("-f", str(EXAMPLES / name), "--json", "--trace", *options)
    assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{proc.stderr}"
    return strict_json(proc.stdout)


def number(v) -> float:
    return float(v)  # also reads the strings "nan", "inf", "-inf"


def matches_figure(got: float, figure: str) -> bool:
    """Exact figures to 1e-12; '~'-figures to half a unit in their last printed digit."""
    if figure.startswith("~"):
        text = figure[1:]
        half_ulp = float(Decimal(1).scaleb(Decimal(text).as_tuple().exponent) / 2)
        return abs(got - float(text)) <= half_ulp * (1 + 1e-9)
    return close(got, float(Decimal(figure)), rel=REL, abs=ABS)


def nodes_by_label(rep: dict) -> dict[str, dict]:
    return {n["label"]: n for n in rep["nodes"]}


# --------------------------------------------------------------------------------------
# Coverage: every example file is in both tables, and every worked example #1-#21 has one
# --------------------------------------------------------------------------------------


def test_every_example_file_has_oracles():
    assert EXAMPLE_FILES, "no examples/*.grad files found"
    missing_a = [f for f in EXAMPLE_FILES if f not in TUTORIAL]
    missing_b = [f for f in EXAMPLE_FILES if f not in SYMPY]
    assert not missing_a, f"examples without tutorial figures in TUTORIAL: {missing_a}"
    assert not missing_b, f"examples without a SymPy oracle in SYMPY: {missing_b}"


def test_every_table_entry_has_a_file():
    assert sorted(TUTORIAL) == EXAMPLE_FILES
    assert sorted(SYMPY) == EXAMPLE_FILES


def test_worked_examples_1_to_22_are_all_covered():
    assert {f.example for f in TUTORIAL.values()} == set(range(1, 23)) | {29}  # and #29, ten sigmoids


def test_readme_lists_every_example():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    missing = [f for f in EXAMPLE_FILES if f not in readme]
    assert not missing, f"examples/README.md does not mention {missing}"


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_file_header(name):
    """Comment lines first: which worked example, what it shows, what to expect; then the point."""
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    text = "\n".join(header)
    assert f"Worked example #{TUTORIAL[name].example}" in header[0], header[0]
    assert "Shows:" in text and "Expected" in text, text
    first_code = lines[len(header)]
    assert first_code.split("=")[0].strip() in TUTORIAL[name].at, f"the point comes first, not {first_code!r}"


# --------------------------------------------------------------------------------------
# Value and gradient against the two oracles
# --------------------------------------------------------------------------------------


def several_outputs(name: str) -> bool:
    return isinstance(SYMPY[name].expr, sp.Matrix)


SINGLE_FILES = [name for name in EXAMPLE_FILES if not several_outputs(name)]
SEVERAL_FILES = [name for name in EXAMPLE_FILES if several_outputs(name)]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_runs_at_its_own_point(name):
    rep = report(name)
    want = {k: float(Decimal(v)) for k, v in TUTORIAL[name].at.items()}
    assert {k: number(v) for k, v in rep["at"].items()} == want
    if several_outputs(name):
        assert rep["inputs"] == list(want) and len(rep["jacobian"][0]) == len(want), "one column per input"
    else:
        assert set(rep["gradient"]) == set(want), "one gradient entry per input"
    assert rep["anomalies"] == []
    assert rep["kinks"] == []


@pytest.mark.parametrize("name", SEVERAL_FILES)
def test_jacobian_against_tutorial_and_sympy(name):
    """Several outputs: each output's value and the Jacobian, in both modes, against the
    tutorial's figures and SymPy's Matrix.jacobian."""
    fig, oracle = TUTORIAL[name], SYMPY[name]
    point = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in fig.at.items()}
    symbols = [sp.Symbol(k, real=True) for k in fig.at]
    truth = oracle.expr.jacobian(symbols).subs(point)
    for mode in ("auto", "forward", "reverse"):
        rep = report(name, "--mode", mode)
        assert [number(v) for v in rep["values"]] == [float(v) for v in fig.outputs]
        rows = [[number(v) for v in row] for row in rep["jacobian"]]
        assert rows == [[float(v) for v in row] for row in fig.jacobian], (mode, rows)
        assert rows == [[float(truth[i, j]) for j in range(len(symbols))] for i in range(truth.rows)]


@pytest.mark.parametrize("name", [n for n in SINGLE_FILES if TUTORIAL[n].hessian])
def test_second_derivative_figures(name):
    rep = report(name, "--order", "2")
    for a, row in TUTORIAL[name].hessian.items():
        for b, figure in row.items():
            assert matches_figure(number(rep["hessian"][a][b]), figure), (a, b, rep["hessian"])


@pytest.mark.parametrize("name", SINGLE_FILES)
def test_hessian_against_sympy(name):
    """Every single-output example's Hessian (forward-over-reverse) against sympy.hessian."""
    oracle, at = SYMPY[name], TUTORIAL[name].at
    symbols = [sp.Symbol(k, real=True) for k in at]
    point = {s: sp.Rational(at[s.name]) for s in symbols}
    truth = sp.hessian(oracle.expr, symbols).subs(oracle.frozen).subs(point)
    rep = report(name, "--order", "2")
    for i, a in enumerate(symbols):
        for j, b in enumerate(symbols):
            want = float(sp.N(truth[i, j], 30))
            assert close(number(rep["hessian"][a.name][b.name]), want, rel=REL, abs=ABS), (a, b, rep["hessian"], want)


@pytest.mark.parametrize("name", SINGLE_FILES)
def test_against_tutorial_figures(name):
    rep, fig = report(name), TUTORIAL[name]
    if fig.value is not None:
        assert matches_figure(number(rep["value"]), fig.value), (rep["value"], fig.value)
    for inp, figure in fig.gradient.items():
        got = number(rep["gradient"][inp])
        assert matches_figure(got, figure), f"d/d{inp}: gradcli {got!r}, tutorial {figure}"
    labelled = nodes_by_label(rep)
    for label, figure in fig.values.items():
        assert matches_figure(number(labelled[label]["value"]), figure), (label, labelled[label]["value"], figure)
    for label, figure in fig.grads.items():
        assert matches_figure(number(labelled[label]["grad"]), figure), (label, labelled[label]["grad"], figure)


@cache
def sympy_truth(name: str) -> tuple[float, dict[str, float]]:
    oracle, at = SYMPY[name], TUTORIAL[name].at
    point = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in at.items()}

    def evaluate(e: sp.Expr) -> float:
        return float(sp.N(e.subs(oracle.frozen).subs(point), 30))

    value = evaluate(oracle.expr)
    gradient = {k: evaluate(sp.diff(oracle.expr, sp.Symbol(k, real=True))) for k in at}
    return value, gradient


@pytest.mark.parametrize("name", SINGLE_FILES)
def test_against_sympy(name):
    rep = report(name)
    value, gradient = sympy_truth(name)
    assert close(number(rep["value"]), value, rel=REL, abs=ABS), (rep["value"], value)
    assert set(rep["gradient"]) == set(gradient)
    for inp, want in gradient.items():
        got = number(rep["gradient"][inp])
        assert close(got, want, rel=REL, abs=ABS), f"d/d{inp}: gradcli {got!r}, sympy {want!r}"


def test_sympy_oracle_agrees_with_tutorial():
    """The two oracles check each other where the tutorial gives a figure."""
    for name, fig in TUTORIAL.items():
        if several_outputs(name):
            continue  # checked in test_jacobian_against_tutorial_and_sympy
        value, gradient = sympy_truth(name)
        if fig.value is not None:
            assert matches_figure(value, fig.value), name
        for inp, figure in fig.gradient.items():
            assert matches_figure(gradient[inp], figure), (name, inp)


def test_text_figure_for_example_2_is_not_reproduced():
    """The text's 0.3570 comes from a wrongly rounded cos(1.284); gradcli prints the exact 0.3631949."""
    got = number(report("02_sin_exp_chain.grad")["gradient"]["x"])
    assert abs(got - 0.3570) > 1e-3
    assert f"{got:.7f}" == "0.3631949"


def test_example_18_any_x():
    """dc/dx = 3 wherever x is: the file's point can be overridden with --at."""
    for point in ("-7", "0.3"):
        rep = report("18_accumulation_any_x.grad", "--at", f"x={point}")
        assert number(rep["at"]["x"]) == float(point)
        assert number(rep["gradient"]["x"]) == 3.0
        assert close(number(rep["value"]), 3 * float(point) + 1, rel=REL, abs=ABS)


# --------------------------------------------------------------------------------------
# The backward trace
# --------------------------------------------------------------------------------------


def test_trace_example_3_json():
    rep = report("03_backward_trace.grad")
    rows = [n for n in rep["nodes"] if n["role"] != "constant"]
    assert [r["label"] for r in rows] == ["x", "a", "b", "c"]
    assert [number(r["value"]) for r in rows] == [2, 6, 7, 49]
    assert [number(r["grad"]) for r in rows] == [42, 14, 14, 1]
    c = rows[-1]
    assert c["role"] == "output" and rep["output"] == c["id"]
    assert [(d["formula"], number(d["value"])) for d in c["local"]] == [("2*b", 14.0)]
    ids = {r["label"]: r["id"] for r in rows}
    assert c["local"][0]["wrt"] == ids["b"]
    # every row: local x incoming gradient = what it sends on
    (to_b,) = nodes_by_label(rep)["b"]["incoming"]
    assert (to_b["from"], number(to_b["local"]), number(to_b["upstream"]), number(to_b["amount"])) == (
        ids["c"],
        14,
        1,
        14,
    )
    (to_x,) = nodes_by_label(rep)["x"]["incoming"]
    assert (to_x["from"], number(to_x["local"]), number(to_x["upstream"]), number(to_x["amount"])) == (
        ids["a"],
        3,
        14,
        42,
    )


def test_trace_example_3_python_api():
    import gradcli

    ev = gradcli.evaluate((EXAMPLES / "03_backward_trace.grad").read_text(encoding="utf-8"), {})
    assert ev.value == 49.0 and ev.gradient == {"x": 42.0}
    rows = [r for r in gradcli.build_trace(ev) if r.role != "constant"]
    assert [(r.label, r.value, r.grad) for r in rows] == [
        ("x", 2.0, 42.0),
        ("a", 6.0, 14.0),
        ("b", 7.0, 14.0),
        ("c", 49.0, 1.0),
    ]
    assert [(d.formula, d.value) for d in rows[-1].local] == [("2*b", 14.0)]


def test_trace_example_4_paths_add_at_x():
    rep = report("04_branching_paths_add.grad")
    by_label = nodes_by_label(rep)
    label_of = {n["id"]: n["label"] for n in rep["nodes"]}
    x_node = by_label["x"]
    arriving = {label_of[c["from"]]: number(c["amount"]) for c in x_node["incoming"]}
    assert arriving == {"a": 6.0, "b": 5.0}
    assert sum(arriving.values()) == number(x_node["grad"]) == 11.0


def test_trace_example_11_pre_activation():
    """The dead ReLU's input is -0.4 (a negative pre-activation), so relu' = 0 blocks everything."""
    rep = report("11_relu_inactive.grad")
    neuron = nodes_by_label(rep)["neuron"]
    assert neuron["op"] == "relu"
    (pre_id,) = neuron["inputs"]
    pre = next(n for n in rep["nodes"] if n["id"] == pre_id)
    assert close(number(pre["value"]), -0.4, rel=REL, abs=ABS)
    assert number(pre["grad"]) == 0.0


def test_trace_example_20_stop_gradient_blocks():
    rep = report("20_detach.grad")
    by_label = nodes_by_label(rep)
    label_of = {n["id"]: n["label"] for n in rep["nodes"]}
    stop = next(n for n in rep["nodes"] if n["op"] == "stop_gradient")
    assert label_of[stop["inputs"][0]] == "y"
    assert number(stop["value"]) == 4.0
    # the edge from stop_gradient(y) back to y carries nothing, and says so
    (edge,) = by_label["y"]["incoming"]
    assert edge["from"] == stop["id"]
    assert edge.get("blocked") is True
    assert number(edge["amount"]) == 0.0
    assert number(by_label["y"]["grad"]) == 0.0
    # so x gets only its direct use in z: y = 4, not d(x**3)/dx = 12
    arriving = {label_of[c["from"]]: number(c["amount"]) for c in by_label["x"]["incoming"]}
    assert arriving == {"y": 0.0, "z": 4.0}
    assert number(by_label["x"]["grad"]) == 4.0


def test_table_output_example_3():
    proc = run_cli("-f", str(EXAMPLES / "03_backward_trace.grad"), columns=200)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in ("42", "14", "49", "2*b = 14"):
        assert text in out, f"{text!r} not in:\n{out}"
    assert "\x1b[" not in out  # no colour codes when not on a terminal


# --------------------------------------------------------------------------------------
# Regressions: bugs found while writing the examples
# --------------------------------------------------------------------------------------


def test_no_redundant_parentheses_in_operation_column():
    rep = report("12_relu_neuron.grad")
    neuron = nodes_by_label(rep)["neuron"]
    assert neuron["expression"] == "relu(w1*x1 + w2*x2 + b)"


def test_partial_wrt_unnamed_node_is_unambiguous():
    """Regression: it used to print '∂loss/∂out - 1 = 2*(out - 1)', which reads as ∂loss/∂out minus 1."""
    proc = run_cli("-f", str(EXAMPLES / "13_two_layer_net.grad"), columns=250)
    assert proc.returncode == 0, proc.stderr
    assert "∂loss/∂out - 1 " not in proc.stdout


def test_rebound_input_does_not_silently_ignore_at():
    # `x = 2; x = 3; y = x**2 --at x=5` prints "at x = 5" and value 9 (gradient x 0): the
    # --at value is accepted and does nothing. Either use it (25) or reject it (exit 2).
    proc = run_cli("x = 2; x = 3; y = x**2", "--at", "x=5", "--json")
    assert proc.returncode != 0 or strict_json(proc.stdout)["value"] == 25.0


def test_example_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "bom.grad"
    path.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "03_backward_trace.grad").read_bytes())
    proc = run_cli("-f", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert strict_json(proc.stdout)["value"] == 49.0
