"""Many points at once: ``eval --over``, ``plot``, and the batch evaluation behind them.

The oracles: single-point ``evaluate`` and ``hessian`` (every point's bits must equal them),
derivatives worked out by hand (sigmoid's f′ peaks at 1/4 at 0; its f″ at ±ln(2 + √3) with
±1/(6√3)), and gradient descent written out by hand in plain Python.
"""

from __future__ import annotations

import math
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from support import assert_clean_error, cli, strict_json
from test_ops import program_texts, sample_points

from gradcli.ad.batch import evaluate_over, second_over
from gradcli.ad.descent import descend
from gradcli.ad.evaluation import evaluate
from gradcli.ad.second_order import hessian
from gradcli.core.errors import InputProblem
from gradcli.core.ops import OPS
from gradcli.explain.curves import curves
from gradcli.render.range_figures import chart_bytes, plot
from gradcli.render.range_report import chart_text, table_text
from gradcli.syntax.parser import parse
from gradcli.syntax.points import parse_ranges, range_points

SVG = "{http://www.w3.org/2000/svg}"
ELEMENTWISE = sorted(n for n, op in OPS.items() if (op.callable_as or op.infix) and op.elementwise)


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


def same_bits(a: float, b: float) -> bool:
    """Equal to the last bit; nan equals nan, and 0 equals -0 (as IEEE compares them: a second
    derivative's tangent sweep starts from nothing on one side and from 0.0 on the other)."""
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or (a == b == 0.0) or bits(a) == bits(b)


# ---------------------------------------------------------------- every point equals a point on its own


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_op_over_points_equals_single_points_to_the_last_bit(name):
    op = OPS[name]
    points = sample_points(op, 60)
    texts, first = program_texts(op, points[0])
    names = list(first)
    if not names:
        pytest.skip("no input")
    program = parse(texts[0])
    points = [p for p in points if p[len(names) :] == points[0][len(names) :]]  # one parameter value
    over = {n: [p[i] for p in points] for i, n in enumerate(names) if n in program.inputs}
    batch = evaluate_over(program, over)
    assert batch.vectorised
    wrt = next(iter(over))
    second = second_over(batch, wrt)
    for i in range(len(points)):
        at = {n: over[n][i] for n in over}
        single = evaluate(program, at)
        assert same_bits(batch.value[i], single.value), (texts[0], at)
        for n in over:
            assert same_bits(batch.gradient(n)[i], single.gradient[n]), (texts[0], at, n)
        if i % 6 == 0:
            assert same_bits(second[i], hessian(program, at).matrix[wrt][wrt]), (texts[0], at)


PROGRAMS = [
    "sigmoid(x)",
    "relu(x)",
    "log(x)",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "h = tanh(w*x + b); where(h > 0, h**2, -h)",
    "a = sqrt(abs(x)); a*sin(x)/(1 + x**2)",
]


@pytest.mark.parametrize("text", PROGRAMS)
def test_programs_over_a_range_equal_single_points(text):
    program = parse(text)
    xs = np.linspace(-3, 3, 61)
    held = {"y": 0.5, "w": 1.5, "b": -0.25}
    batch = evaluate_over(program, {"x": xs}, {k: v for k, v in held.items() if k in program.inputs})
    for i, x in enumerate(xs):
        single = evaluate(program, {"x": x, **{k: v for k, v in held.items() if k in program.inputs}})
        assert same_bits(batch.value[i], single.value)
        for name in program.inputs:
            assert same_bits(batch.gradient(name)[i], single.gradient[name]), (x, name)


def test_eval_over_on_the_command_line_equals_eval_at_each_point():
    """JSON numbers are written in full (repr), so equal text is equal bits."""
    text = "sigmoid(3*x - 1)*log(x + 2) + relu(x)"
    table = strict_json(cli("eval", text, "--over", "x=-1.5:1.5:0.25", "--json").stdout)
    assert table["points"] == 13
    for x, value, grad in zip(table["over"]["x"], table["value"], table["gradient"]["x"]):
        single = strict_json(cli("eval", text, "--at", f"x={x!r}", "--json").stdout)
        assert (single["value"], single["gradient"]["x"]) == (value, grad), x


def test_plotted_points_equal_single_points():
    chart = plot("sigmoid(x)*y", {"x": (-4, 4)}, {"y": 3.0}, order=2, points=81)
    data = chart.data
    for i in range(0, 81, 8):
        x = float(data.x[i])
        single = evaluate("sigmoid(x)*y", {"x": x, "y": 3.0})
        assert same_bits(data.curves[0].values[i], single.value)
        assert same_bits(data.curves[1].values[i], single.gradient["x"])
        assert same_bits(data.curves[2].values[i], hessian(parse("sigmoid(x)*y"), {"x": x, "y": 3.0}).matrix["x"]["x"])


def test_a_program_with_arrays_is_evaluated_point_by_point_with_the_same_numbers():
    program = parse("sum(w*x**2) + dot(w, w)*x")
    w = np.array([1.0, -2.0, 0.5])
    xs = np.linspace(-1, 1, 5)
    batch = evaluate_over(program, {"x": xs}, {"w": w})
    assert not batch.vectorised
    for i, x in enumerate(xs):
        single = evaluate(program, {"x": x, "w": w})
        assert same_bits(batch.value[i], single.value)
        assert same_bits(batch.gradient("x")[i], single.gradient["x"])
        np.testing.assert_array_equal(batch.grads[program.inputs["w"]][i], single.gradient["w"])


# ---------------------------------------------------------------- what a chart shows


def test_sigmoid_extremes_are_found_where_the_hand_derivation_puts_them():
    data = curves(parse("sigmoid(x)"), "x", np.linspace(-4, 4, 401), order=2)
    f, f1, f2 = data.curves
    assert f.extremes == []  # sigmoid rises throughout
    (peak,) = f1.extremes
    assert peak.kind == "max" and abs(peak.x) < 1e-6 and peak.value == pytest.approx(0.25, abs=1e-15)
    low_x = math.log(2 + math.sqrt(3))  # sigmoid''' = 0 where s(1 - s) = 1/6
    top, bottom = f2.extremes
    assert (top.kind, bottom.kind) == ("max", "min")
    assert top.x == pytest.approx(-low_x, abs=1e-6) and bottom.x == pytest.approx(low_x, abs=1e-6)
    assert top.value == pytest.approx(1 / (6 * math.sqrt(3)), rel=1e-12)
    assert bottom.value == pytest.approx(-1 / (6 * math.sqrt(3)), rel=1e-12)


def test_extremes_of_a_cubic():
    (top, bottom) = curves(parse("x**3 - 3*x"), "x", np.linspace(-2.5, 2.5, 101)).curves[0].extremes
    assert (top.kind, top.value) == ("max", pytest.approx(2.0, abs=1e-12))
    assert (bottom.kind, bottom.value) == ("min", pytest.approx(-2.0, abs=1e-12))
    assert top.x == pytest.approx(-1, abs=1e-6) and bottom.x == pytest.approx(1, abs=1e-6)


def test_kinks_are_located_by_bisection_and_a_jump_of_the_distance_is_no_kink():
    data = curves(parse("relu(x - 0.3) + abs(2*x + 1)"), "x", np.linspace(-2, 2, 40))
    assert [(k.node, k.x) for k in data.kinks] == [("abs(2*x + 1)", -0.5), ("relu(x - 0.3)", pytest.approx(0.3))]
    floors = curves(parse("floor(x)*x"), "x", np.linspace(-2.3, 2.3, 47))
    assert [round(k.x, 12) for k in floors.kinks] == [-2, -1, 0, 1, 2]  # not at the halves, where x - round(x) jumps


def test_a_gap_names_the_node_where_nan_first_appears():
    data = curves(parse("a = log(x); a*2"), "x", np.linspace(-4, 4, 401))
    (gap,) = data.gaps
    assert (gap.curve, gap.start, gap.stop, gap.numbers) == ("f", -4.0, 0.0, ("nan", "-inf"))
    assert gap.node == "log(x)" and "log(-4) = nan" in gap.why and "positive" in gap.why
    assert np.isnan(data.curves[1].values[:201]).all()  # no slope drawn where f has no value
    assert np.isfinite(data.curves[1].values[201:]).all()


def test_a_gradient_gap_at_one_point():
    (gap,) = curves(parse("sqrt(abs(x))"), "x", np.linspace(-1, 1, 21)).gaps
    assert (gap.curve, gap.start, gap.stop) == ("f′", 0.0, 0.0)
    assert "gradient" in gap.why and "abs(x)" in gap.why


# ---------------------------------------------------------------- descent, against loops written by hand


def rosenbrock_gradient(x: float, y: float) -> tuple[float, float]:
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def rosenbrock(x: float, y: float) -> float:
    return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)  # ** raises OverflowError where * gives inf


def hand_descent(lr: float, steps: int, kind: str) -> list[tuple[float, float]]:
    x, y = -1.5, 2.0
    path = [(x, y)]
    m, v, vel = [0.0, 0.0], [0.0, 0.0], None
    for t in range(1, steps + 1):
        g = rosenbrock_gradient(x, y)
        if not all(map(math.isfinite, g)) or not math.isfinite(rosenbrock(x, y)):
            break
        if kind == "sgd":
            step = g
        elif kind == "momentum":
            vel = list(g) if vel is None else [0.9 * a + b for a, b in zip(vel, g)]
            step = vel
        else:
            m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
            v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
            step = [(a / (1 - 0.9**t)) / (math.sqrt(b / (1 - 0.999**t)) + 1e-8) for a, b in zip(m, v)]
        x, y = x - lr * step[0], y - lr * step[1]
        path.append((x, y))
    return path


@pytest.mark.parametrize("kind, lr", [("sgd", 0.001), ("momentum", 0.0002), ("adam", 0.01)])
def test_descent_follows_the_hand_written_optimizer(kind, lr):
    d = descend(parse("(1 - x)**2 + 100*(y - x**2)**2"), {"x": -1.5, "y": 2.0}, lr, 2000, kind)
    expected = hand_descent(lr, 2000, kind)
    assert d.stopped is None and len(d.points) == len(expected) == 2001
    np.testing.assert_allclose(d.points, expected, rtol=1e-9, atol=1e-12)
    assert d.final_value == pytest.approx(rosenbrock(*expected[-1]), rel=1e-9, abs=1e-15)
    assert d.values[-1] < d.values[0]


def test_a_learning_rate_too_large_diverges_and_the_path_says_where():
    d = descend(parse("(1 - x)**2 + 100*(y - x**2)**2"), {"x": -1.5, "y": 2.0}, 0.01, 2000)
    expected = hand_descent(0.01, 2000, "sgd")
    assert d.stopped is not None and "inf" in d.stopped
    assert len(d.points) == len(expected) < 20
    assert not math.isfinite(d.values[-1]) and np.all(np.diff(d.values[1:-1]) > 0)


# ---------------------------------------------------------------- files and the command line


def test_plot_writes_an_svg_with_both_curves_and_the_annotated_maximum(tmp_path):
    done = cli("plot", "sigmoid(x)", "--over", "x=-4:4", "-o", "s.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "f′ max 0.25 at x = 0" in done.stdout and "wrote s.svg" in done.stderr
    root = ET.parse(tmp_path / "s.svg").getroot()
    ids = {element.get("id") for element in root.iter()}
    assert {"curve-f", "curve-f′", "max-f′"} <= ids
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "f′ max 0.25 at x = 0" in texts and "f(x) = sigmoid(x)" in texts


def test_plot_marks_a_kink_and_a_gap_in_the_file(tmp_path):
    relu = chart_bytes(plot("relu(x)", {"x": (-4, 4)}), "r.svg").decode()
    assert 'id="kink' in relu and "kink: relu(x)" in relu
    log = chart_bytes(plot("log(x)", {"x": (-4, 4)}), "l.svg").decode()
    assert 'id="gap' in log and "log(-4) = nan" in log


def test_a_field_with_a_descent_path(tmp_path):
    args = ["--over", "x=-2:2,y=-1:3", "--descend-from", "x=-1.5,y=2", "--lr", "0.001", "--steps", "2000"]
    done = cli("plot", "(1 - x)**2 + 100*(y - x**2)**2", *args, "-o", "r.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    x, y = hand_descent(0.001, 2000, "sgd")[-1]
    assert f"after 2,000 steps: x = {x:.10g}" in done.stdout.replace("\n  ", " ")
    svg = chart_bytes(plot("(1-x)**2 + 100*(y-x**2)**2", {"x": (-2, 2), "y": (-1, 3)},
                           descend_from={"x": -1.5, "y": 2}, iterations=50), "f.svg").decode()  # fmt: skip
    for part in ("contours", "gradient", "descent-path", "descent-values"):
        assert f'id="{part}' in svg


def test_a_diverging_descent_is_drawn_into_a_file(tmp_path):
    """Found by tools/fuzz.py: f along a path that diverges spans ~290 decades and ends at inf, and
    Matplotlib's log axis raised OverflowError in its tick labels; it is drawn as log10 f instead."""
    args = ["x**2 + y**2", "--over", "x=-4:4,y=-4:4", "--descend-from", "x=1,y=1", "--lr", "1e10", "--steps", "100"]
    done = cli("plot", *args, "-o", "d.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "stopped: f is inf after 15 steps" in done.stdout
    svg = (tmp_path / "d.svg").read_text()
    assert ET.fromstring(svg).tag.endswith("svg") and "log10 f" in svg


def test_a_descent_path_far_past_the_chart_is_left_off_it():
    """Found by tools/fuzz.py: with a step of 1e308 the path's points are finite but so far off the
    terminal chart that their row overflowed to inf (OverflowError); they are off the chart."""
    args = ["sign(x)*y", "--over", "x=-1:3,y=0:2", "--lr", "1e308", "--descend-from", "x=0.5,y=0"]
    done = cli("plot", *args, columns=80)
    assert done.returncode == 0, done.stderr
    assert max(map(len, done.stdout.splitlines())) <= 80


def test_pdf_and_determinism(tmp_path):
    chart = plot("sin(x)", {"x": (-3, 3)})
    assert chart_bytes(chart, "a.pdf").startswith(b"%PDF")
    assert chart_bytes(chart, "a.svg") == chart_bytes(plot("sin(x)", {"x": (-3, 3)}), "b.svg")
    assert chart._repr_svg_().startswith("<?xml")


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_terminal_charts_fit_the_width(columns):
    for text, over, extra in [
        ("sigmoid(x)*1e-9", "x=-4:4", ["--order", "2"]),
        ("log(x) + floor(x)", "x=-2:3", []),
        ("(1 - x)**2 + 100*(y - x**2)**2", "x=-2:2,y=-1:3", ["--descend-from", "x=-1.5,y=2", "--steps", "300"]),
    ]:
        done = cli("plot", text, "--over", over, *extra, columns=columns)
        assert done.returncode == 0, done.stderr
        assert max(map(len, done.stdout.splitlines())) <= columns, text


def test_a_long_program_without_spaces_is_broken_to_fit_the_width():
    """Found by tools/fuzz.py: the title line left a word longer than the terminal unbroken."""
    program = "**".join(["1.0001"] * 66 + ["x"])
    for args in (["x=-pi:pi"], ["x=0:1,y=0:1"]):
        done = cli("plot", program + ("*y" if "y" in args[0] else ""), "--over", *args, columns=40)
        assert done.returncode == 0, done.stderr
        assert max(len(line) for line in done.stdout.splitlines()) <= 40


@pytest.mark.parametrize("over", ["x=1e308:1.7e308", "x=-1.7e308:-1e308", "x=1e308:1.7e308,y=0:1"])
def test_a_range_near_the_largest_float_is_charted_in_the_terminal(over):
    """Found by tools/fuzz.py: the axis labels' midpoint (x0 + x1)/2 was inf, and tidy() raised OverflowError."""
    done = cli("plot", "x*y" if "y" in over else "x", "--over", over, columns=80)
    assert done.returncode == 0, done.stderr
    assert "1.35e+308" in done.stdout


def test_eval_over_table_and_csv():
    done = cli("eval", "x**2*y", "--over", "x=0:1:0.25", "--at", "y=2", columns=80)
    assert done.stdout.splitlines()[0].split() == ["x", "f", "df/dx", "df/dy"]
    assert done.stdout.splitlines()[3].split() == ["0.5", "0.5", "2", "0.25"]
    csv = cli("eval", "x**2*y", "--over", "x=0:1:0.1", "--at", "y=3", "--csv").stdout.splitlines()
    assert len(csv) == 12 and csv[-1] == "1.0,3.0,6.0,1.0"  # 0:1:0.1 ends at 1, not 0.9999999999999999
    assert csv[4].split(",")[0] == "0.3"  # not 0.30000000000000004: rounded to the step's decimals


def test_an_array_input_gets_a_column_per_element_in_the_table_and_the_csv():
    """Found by tools/fuzz.py: the table raised TypeError and the CSV wrote ``[0.5, 0.5]`` unquoted."""
    args = ["eval", "sum(w*x)", "--over", "x=0:1", "--points", "3", "--at", "w=[[1,2],[3,4]]"]
    table = cli(*args)
    assert table.returncode == 0, table.stderr
    assert table.stdout.split("\n")[0].split() == [
        "x",
        "f",
        *(f"df/dw[{i}][{j}]" for i in (0, 1) for j in (0, 1)),
        "df/dx",
    ]
    done = cli(*args, "--csv")
    rows = [line.split(",") for line in done.stdout.splitlines()]
    assert rows[0] == ["x", "f", "df/dw[0][0]", "df/dw[0][1]", "df/dw[1][0]", "df/dw[1][1]", "df/dx"]
    assert rows[2] == ["0.5", "5.0", "0.5", "0.5", "0.5", "0.5", "10.0"]
    assert {len(row) for row in rows} == {7}


def test_a_wide_table_continues_below_instead_of_breaking_numbers():
    names = [f"p{k}" for k in range(8)]
    text = "*".join(names) + " + x"
    held = ",".join(f"{n}=1.234567890123" for n in names)
    done = cli("eval", text, "--over", "x=0:1:0.5", "--at", held, columns=60)
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 60 and sum(line.lstrip().startswith("x ") for line in lines) >= 2


@pytest.mark.parametrize(
    "args, says",
    [
        (["plot", "x", "--over", "x=1:0"], "from a smaller number to a larger one"),
        (["plot", "x", "--over", "x=0:1", "-o", "p.txt"], ".svg, .png or .pdf"),
        (["plot", "x", "--over", "z=0:1"], "--over z"),
        (["plot", "x"], "--over x=-4:4"),
        (["plot", "x*y", "--over", "x=0:1,y=0:1", "--descend-from", "x=1,y=0", "--optimizer", "fast"], "sgd"),
        (["plot", "x*y", "--over", "x=0:1,y=0:1", "--descend-from", "x=1,y=0", "--lr", "-1"], "--lr"),
        (["plot", "x*y", "--over", "x=0:1,y=0:1", "--descend-from", "x=1"], "both x and y"),
        (["plot", "x", "--over", "x=0:1", "--points", "1"], "--points"),
        (["plot", "x", "--over", "x=0:1:1e-9"], "limit"),
        (["plot", "1e308*x", "--over", "x=-4:4", "-o", "p.svg"], "too large to draw"),  # was ValueError (fuzzer)
        (["plot", "1e308*x*y", "--over", "x=-4:4,y=-4:4", "-o", "p.png"], "too large to draw"),
        (["plot", "x*0", "--over", "x=1e308:1.7e308", "-o", "p.png"], "x reaches"),  # was ValueError (fuzzer)
        (["plot", "x*0 + y", "--over", "x=0:1,y=1e308:1.7e308", "-o", "p.pdf"], "y reaches"),
        (["eval", "x", "--over", "x=-1e308:1e308"], "too wide"),  # the step overflowed: a ValueError (fuzzer)
        (["plot", "x", "--over", "x=-1e308:1e308:1e307"], "too wide"),
        (["eval", "x", "--over", "x=0:1e300:1e-300"], "limit"),  # inf points: an OverflowError (fuzzer)
        (["eval", "x", "--over", "x=0:1", "--order", "2"], "leave out --order 2"),
        (["eval", "sum(w*x)", "--over", "x=1:2", "--at", "w=[0.5]", "--points", "1000000"], "time limit"),
        (["eval", "x", "--csv", "--at", "x=1"], "--over"),
        (["eval", "[x, 2*x]", "--over", "x=0:1"], "--of"),
    ],
)
def test_bad_requests_are_refused_cleanly(tmp_path, args, says):
    done = cli(*args, cwd=tmp_path)
    assert_clean_error(done)
    assert says in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_library_errors_speak_python():
    with pytest.raises(InputProblem, match="`points`"):
        range_points(parse_ranges(["x=0:1"]), points=1)
    with pytest.raises(InputProblem, match="over"):
        evaluate_over(parse("x"), {"y": [1.0]})


def test_drawing_loads_matplotlib_only_when_it_draws():
    for args in (["eval", "x", "--at", "x=1"], ["plot", "x", "--over", "x=0:1"]):
        done = cli(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert done.returncode == 0 and "matplotlib" not in done.stderr, args


def test_text_report_of_a_field_has_its_legend():
    text = chart_text(plot("x*y", {"x": (-1, 1), "y": (-1, 1)}).data, 70)
    assert "arrows: the gradient's direction" in " ".join(text.split()) and max(map(len, text.splitlines())) <= 70
    batch = evaluate_over(parse("x*y"), {"x": [1.0, 2.0]}, {"y": 3.0})
    assert table_text(batch, ["x"], 80).splitlines()[1].split() == ["1", "3", "3", "1"]


def test_a_derivative_has_no_extreme_beside_a_kink_but_f_keeps_its_own():
    """where(x > 0, sqrt(x), -x): f′ jumps from -1 to sqrt's unbounded slope at 0; the point beside
    the jump is no maximum. f's minimum 0 at the kink is real."""
    data = curves(parse("where(x > 0, sqrt(x), -x)"), "x", np.linspace(-1, 1, 401))
    assert [(e.kind, e.value) for e in data.curves[0].extremes] == [("min", 0.0)]
    assert data.curves[1].extremes == []
    assert [k.x for k in data.kinks] == [0.0]


def test_a_pole_is_no_extreme():
    """tan over -3:3: the grid's highest point beside pi/2 runs away as the grid is refined."""
    data = curves(parse("tan(x)"), "x", np.linspace(-3, 3, 401))
    assert data.curves[0].extremes == []
    (low,) = data.curves[1].extremes
    assert (low.kind, low.value) == ("min", pytest.approx(1.0, abs=1e-12)) and abs(low.x) < 1e-6


def test_the_library_takes_program_text_everywhere():
    """As the README shows: evaluate_over, plot and descend each take the program as text."""
    import gradcli

    assert gradcli.evaluate_over("x**2*y", {"x": [1, 2, 3]}, {"y": 2}).gradient("x").tolist() == [4.0, 8.0, 12.0]
    assert [e.value for e in gradcli.plot("sigmoid(x)", {"x": (-4, 4)}).data.curves[1].extremes] == [0.25]
    path = gradcli.descend("(1 - x)**2 + 100*(y - x**2)**2", {"x": -1.5, "y": 2}, 0.001, 2000)
    assert path.final == pytest.approx(dict(zip("xy", hand_descent(0.001, 2000, "sgd")[-1])), rel=1e-9)
