"""The step sweep of ``compare --sweep``: errors checked against mpmath and the theory of
truncation (forward O(h), central O(h**2)) and cancellation (eps/h); the renderers'
shapes (plain-text plot, the Matplotlib chart as SVG, PNG and PDF, strict JSON, table)."""

from __future__ import annotations

import io
import json
import math
import re
import sys
import xml.etree.ElementTree as ET

import mpmath
import pytest
from rich.console import Console
from support import mpmath_digits, strict_json

from gradcli.check.sweep import DEFAULT_STEPS, ERROR_FLOOR, Sweep, plotted_error, sweep, theory_steps
from gradcli.core.errors import InputProblem
from gradcli.render.figures import figure_bytes
from gradcli.render.sweep_plot import sweep_ascii, sweep_figure, sweep_json, sweep_report, sweep_table

EPS = sys.float_info.epsilon
SVG = "{http://www.w3.org/2000/svg}"

sweep_precision = mpmath_digits(50)
with mpmath.workdps(50):
    X = mpmath.mpf(1)
    F, D1, D2, D3 = (mpmath.diff(mpmath.sin, X, k) for k in range(4))  # sin and its derivatives at 1


def rel(a, n) -> float:
    """The relative error of the issue, in mpmath: |a - n| / max(|a|, |n|, 1e-8)."""
    a, n = mpmath.mpf(a), mpmath.mpf(n)
    return float(abs(a - n) / max(abs(a), abs(n), mpmath.mpf("1e-8")))


def truncation(h: float) -> tuple[float, float]:
    """Relative errors of the forward and central formulas in exact arithmetic (no rounding)."""
    h = mpmath.mpf(h)
    fwd = (mpmath.sin(X + h) - mpmath.sin(X)) / h
    cen = (mpmath.sin(X + h) - mpmath.sin(X - h)) / (2 * h)
    return rel(D1, fwd), rel(D1, cen)


def rounding_bound(h: float) -> float:
    """How far rounding can move either relative error: the step itself is rounded
    (fl(1 + h) - 1 differs from h by up to eps/2), each sin by half an ulp of |sin 1|,
    then the subtraction and division; with a factor of 4 to spare."""
    return 4 * EPS * (1 + float(abs(F / D1))) / h + 4 * EPS


@pytest.fixture(scope="module")
def sin_sweep() -> Sweep:
    (s,) = sweep("sin(x)", {"x": 1})
    return s


def errors(s: Sweep, method: str) -> dict[float, float]:
    return {r.step: getattr(r, f"{method}_error") for r in s.rows}


# ---------------------------------------------------------------- the data


def test_default_steps_and_order(sin_sweep):
    assert DEFAULT_STEPS == tuple(10.0**-k for k in range(1, 17))
    assert [r.step for r in sin_sweep.rows] == list(DEFAULT_STEPS)
    assert sin_sweep.name == "x" and sin_sweep.x == 1.0 and sin_sweep.kink is None
    assert sin_sweep.exact == pytest.approx(float(D1), rel=1e-15)


def test_differences_are_the_float_formulas(sin_sweep):
    """The same formulas written independently with math.sin, errors taken in mpmath against cos(1)."""
    for r in sin_sweep.rows:
        h = r.step
        fwd = (math.sin(1 + h) - math.sin(1)) / h
        cen = (math.sin(1 + h) - math.sin(1 - h)) / (2 * h)
        assert r.forward == pytest.approx(fwd, rel=1e-15, abs=1e-300)
        assert r.central == pytest.approx(cen, rel=1e-15, abs=1e-300)
        # gradcli's exact is reverse mode (cos(1) in floating point), a few ulps from mpmath's
        assert r.forward_error == pytest.approx(rel(D1, fwd), abs=4 * EPS)
        assert r.central_error == pytest.approx(rel(D1, cen), abs=4 * EPS)


def test_errors_are_truncation_plus_bounded_rounding(sin_sweep):
    """At every step, the error is mpmath's truncation error of the formula to within the rounding bound."""
    for r in sin_sweep.rows:
        t_fwd, t_cen = truncation(r.step)
        bound = rounding_bound(r.step)
        assert abs(r.forward_error - t_fwd) <= bound, r
        assert abs(r.central_error - t_cen) <= bound, r


def test_truncation_orders(sin_sweep):
    """Forward falls like h (one decade per decade) down to 1e-6, central like h**2 down to 1e-4."""
    fwd, cen = errors(sin_sweep, "forward"), errors(sin_sweep, "central")
    for k in range(1, 6):
        big, small = 10.0**-k, 10.0 ** -(k + 1)
        assert math.log10(fwd[big] / fwd[small]) == pytest.approx(1, abs=0.05), big
    for k in range(1, 4):
        big, small = 10.0**-k, 10.0 ** -(k + 1)
        assert math.log10(cen[big] / cen[small]) == pytest.approx(2, abs=0.05), big
    # the leading truncation terms: h/2 |f''/f'| and h**2/6 |f'''/f'|
    assert fwd[1e-4] == pytest.approx(1e-4 / 2 * float(abs(D2 / D1)), rel=1e-3)
    assert cen[1e-3] == pytest.approx(1e-6 / 6 * float(abs(D3 / D1)), rel=1e-3)


def test_cancellation_takes_over(sin_sweep):
    """Central errors fall until 1e-5..1e-6 and forward until ~1e-8, then rise as eps/h."""
    fwd, cen = errors(sin_sweep, "forward"), errors(sin_sweep, "central")
    assert sin_sweep.best_central.step in (1e-5, 1e-6)
    assert sin_sweep.best_forward.step in (1e-7, 1e-8, 1e-9)
    small = [h for h in DEFAULT_STEPS if h <= 1e-10]
    for method, errs, best in (("forward", fwd, sin_sweep.best_forward), ("central", cen, sin_sweep.best_central)):
        least = getattr(best, f"{method}_error")
        assert least == min(errs.values())
        rising = sorted(errs[h] for h in small)
        assert rising[len(rising) // 2] > 100 * least, method  # the median small-step error
        assert errs[1e-13] > 1e-5 and errs[1e-15] > 1e-3  # eps/h: about 1e-3 and 1e-1 (times |f/f'|)


def test_best_steps_against_theory(sin_sweep):
    """Within a decade or so of eps**(1/3) (central) and a couple of decades of sqrt(eps) (forward),
    and of the minimum of the error model truncation + eps/h built from mpmath's derivatives."""
    fwd_theory, cen_theory = theory_steps(1.0)
    assert fwd_theory == pytest.approx(math.sqrt(EPS)) and cen_theory == pytest.approx(EPS ** (1 / 3))
    best_f, best_c = sin_sweep.best_forward.step, sin_sweep.best_central.step
    assert abs(math.log10(best_c / cen_theory)) <= 1.3
    assert abs(math.log10(best_f / fwd_theory)) <= 2
    # model: h/2 |f''| + 2 eps |f| / h and h**2/6 |f'''| + eps |f| / h, relative to |f'|
    f, d1, d2, d3 = (float(abs(v)) for v in (F, D1, D2, D3))
    h_f = 2 * math.sqrt(EPS * f / d2)  # argmin of the forward model
    h_c = (3 * EPS * f / d3) ** (1 / 3)  # argmin of the central model
    assert abs(math.log10(best_f / h_f)) <= 1
    assert abs(math.log10(best_c / h_c)) <= 1


def test_zero_errors_are_kept_and_drawn_at_the_floor():
    (s,) = sweep("x", {"x": 0})  # (h - 0)/h and (h + h)/2h are exactly 1
    assert all(r.forward_error == 0 and r.central_error == 0 for r in s.rows)
    assert s.best_forward.step == s.best_central.step == 0.1  # ties go to the largest step
    assert plotted_error(0.0) == ERROR_FLOOR
    assert plotted_error(1e-3) == 1e-3 and plotted_error(math.nan) is None
    plot = sweep_ascii(s).splitlines()
    bottom = plot[16]  # title, then 16 plot rows: the last is the floor
    assert bottom.lstrip().startswith("1e-17 |") and bottom.count("*") == 16
    assert "errors of 0 drawn at 1e-17" in plot[-1]


def test_not_finite_errors_are_nan_and_skipped():
    (s,) = sweep("sqrt(x)", {"x": 0})  # reverse mode: inf
    assert math.isinf(s.exact)
    assert all(math.isnan(r.forward_error) and math.isnan(r.central_error) for r in s.rows)
    assert s.best_forward is None and s.best_central is None
    plot = sweep_ascii(s)
    assert "no finite error" in plot and not set("fcFC*") & set("".join(plot.splitlines()[1:17]))
    data = json.loads(json.dumps(sweep_json([s]), allow_nan=False))
    assert data["inputs"][0]["exact"] == "inf"
    assert data["inputs"][0]["best"] == {"forward": None, "central": None}


def test_names_steps_and_kinks():
    sweeps = sweep("abs(x) + y**2", {"x": 0, "y": 3}, names=["y"], steps=[1e-3, 1e-1, 1e-3, 1e-2])
    assert [s.name for s in sweeps] == ["y"]
    assert [r.step for r in sweeps[0].rows] == [1e-1, 1e-2, 1e-3]
    assert sweeps[0].rows[0].central_error == pytest.approx(0, abs=1e-15)  # central is exact on a parabola
    (x,) = sweep("abs(x) + y**2", {"x": 0, "y": 3}, names=["x"])
    assert x.kink is not None and "abs" in x.kink
    assert all(r.forward_error == pytest.approx(1, abs=1e-6) for r in x.rows if r.step >= 1e-6)  # 1 against 0
    with pytest.raises(InputProblem):
        sweep("x", {"x": 1}, names=["z"])
    for bad in ([], [0.0], [-1e-3], [math.inf], [math.nan]):
        with pytest.raises(InputProblem):
            sweep("x", {"x": 1}, steps=bad)
    assert sweep("3", {}) == []  # no inputs, nothing to sweep


# ---------------------------------------------------------------- plain-text plot


@pytest.mark.parametrize(("width", "height"), [(64, 16), (40, 8), (16, 4)])
def test_ascii_plot_dimensions_and_symbols(sin_sweep, width, height):
    lines = sweep_ascii(sin_sweep, width=width, height=height).splitlines()
    rows = [line for line in lines if re.match(r"^ *(1e-?\d+)? \|", line)]
    assert len(rows) == height and rows == lines[1 : 1 + height]
    gutter = rows[0].index("|")
    axis = lines[1 + height]
    assert re.fullmatch(r" +\+[-+]+", axis) and len(axis) == gutter + 1 + width
    area = "".join(line[gutter + 1 :] for line in rows)
    assert set(area) <= set(" fcFC*")
    assert ("f" in area or "F" in area) and ("c" in area or "C" in area)
    assert all(len(line) <= gutter + 1 + width for line in rows)
    assert all(line == line.rstrip() for line in lines)
    assert all(line.isascii() for line in lines)
    assert re.search(r"\b1e-\d+\b", lines[2 + height])  # tick labels under the axis
    assert "forward" in lines[4 + height] and "central" in lines[5 + height]


def test_ascii_plot_places_the_best_steps(sin_sweep):
    lines = sweep_ascii(sin_sweep).splitlines()
    rows = lines[1:17]
    where = {ch: (i, line.index(ch)) for i, line in enumerate(rows) for ch in "FC" if ch in line}
    # the central best (h = 1e-5, error ~2e-11) is right of (larger h) and below (smaller error) the forward one
    assert where["C"][1] > where["F"][1] and where["C"][0] > where["F"][0]
    assert "forward  best h = 1e-08" in lines[20] and "central  best h = 1e-05" in lines[21]
    with pytest.raises(ValueError):
        sweep_ascii(sin_sweep, width=8)


# ---------------------------------------------------------------- the chart (Matplotlib, here as SVG)

TITLE = 'sin(x)*y <"&"> z $a'  # XML's specials and Matplotlib's $ (mathematics) must come out as written


def svg_of(sweeps, title=TITLE) -> str:
    return figure_bytes(sweep_figure(sweeps, title), "svg").decode("utf-8")


def _points(group) -> list[list[tuple[float, float]]]:
    """The runs of the curve in a ``<g id=...>`` group: its line's path, split where the pen lifts (M)."""
    (path,) = group.findall(f"{SVG}path")  # the markers are <use>s of a path in <defs>
    runs = []
    for pen, x, y in re.findall(r"([ML]) ([-\d.]+) ([-\d.]+)", path.get("d", "")):
        if pen == "M":
            runs.append([])
        runs[-1].append((float(x), float(y)))
    return runs


def _by_id(root, gid):
    found = root.findall(f".//{SVG}g[@id='{gid}']")
    assert len(found) == 1, gid
    return found[0]


def _texts(element) -> list[str]:
    """Each ``<text>``'s text (Matplotlib's mathematics, e.g. tick labels, as tspans joined)."""
    return ["".join(piece.strip() for piece in t.itertext()) for t in element.iter(f"{SVG}text")]


def _tick_labels(root, axis: str) -> list[str]:
    """The labels of the x or y ticks: 10^-16 is written as a 10 and a raised −16."""
    return [
        label
        for tick in root.iter(f"{SVG}g")
        if (tick.get("id") or "").startswith(f"{axis}tick_")
        for label in _texts(tick)
    ]


def test_svg_parses_with_both_curves_per_input():
    sweeps = sweep("sin(x)*y + sqrt(z)", {"x": 1, "y": 2, "z": 0})
    text = svg_of(sweeps)
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    for s in sweeps:
        for method in ("forward", "central"):
            runs = _points(_by_id(root, f"{method}-{s.name}"))
            finite = [r for r in s.rows if plotted_error(getattr(r, f"{method}_error")) is not None]
            assert sum(len(run) for run in runs) == len(finite), (s.name, method)
            best = getattr(s, f"best_{method}")
            assert len(root.findall(f".//{SVG}g[@id='best-{method}-{s.name}']")) == (best is not None)
    texts = _texts(root)
    assert TITLE in texts  # escaped by the writer, parsed back as written
    assert "d/dx at x = 1: exact (reverse mode) 1.08060461174" in texts
    assert "d/dz at z = 0: exact (reverse mode) inf" in texts
    assert texts.count("step h") == 3 and texts.count("relative error vs reverse mode") == 3
    assert texts.count("sqrt(eps)") == 3 and texts.count("eps^(1/3)") == 3
    legend = _texts(_by_id(root, "legend-x"))
    assert legend == [
        "forward (f(x+h) - f(x))/h, truncation O(h): best h = 1e-08, error 5.5e-09",
        "central (f(x+h) - f(x-h))/2h, truncation O(h²): best h = 1e-05, error 2.1e-11",
        "ringed: the best step of each method",
    ]
    assert _texts(_by_id(root, "legend-z"))[-1] == "ringed: the best step of each method; nan errors not drawn"
    assert "best h = 1e-08" in texts and "best h = 1e-05" in texts  # beside the rings
    assert text == svg_of(sweeps)  # deterministic
    assert "<script" not in text and "<image" not in text
    assert set(re.findall(r'href="(.)', text)) <= {"#"} and set(re.findall(r"url\((.)", text)) <= {"#"}


def test_svg_is_log_log(sin_sweep):
    root = ET.fromstring(svg_of([sin_sweep]))
    steps = [r.step for r in sin_sweep.rows]
    for method in ("forward", "central"):
        (pts,) = _points(_by_id(root, f"{method}-x"))  # no gap: every error is finite
        errs = [getattr(r, f"{method}_error") for r in sin_sweep.rows]
        assert len(pts) == len(steps)
        # x grows with log h, evenly spaced for decade steps; y grows downward as the error falls
        xs = [x for x, _ in pts]
        assert xs == sorted(xs, reverse=True)
        gaps = [a - b for a, b in zip(xs, xs[1:])]
        assert max(gaps) - min(gaps) < 1e-4
        slope = (pts[0][1] - pts[3][1]) / (math.log10(errs[0]) - math.log10(errs[3]))
        assert slope < 0
        for (_, y), e in zip(pts, errs):
            assert y - pts[0][1] == pytest.approx(slope * (math.log10(e) - math.log10(errs[0])), abs=1e-4)
    # decade labels, 10 with a raised exponent (Matplotlib's minus sign is U+2212)
    for axis in "xy":
        labels = _tick_labels(root, axis)
        exponents = [int(m.group(1).replace("−", "-")) for m in map(re.compile(r"10(−?\d+)").fullmatch, labels)]
        assert len(exponents) == len(labels) >= 3, labels
        assert len({b - a for a, b in zip(exponents, exponents[1:])}) == 1  # evenly spaced decades
    assert "10−16" in _tick_labels(root, "x") and "10−8" in _tick_labels(root, "y")


def test_svg_draws_gaps_zeros_and_kinks():
    (log,) = sweep("log(x)", {"x": 0.05})  # x - h < 0 for large h: central is nan there
    root = ET.fromstring(svg_of([log]))
    nan_rows = [i for i, r in enumerate(log.rows) if math.isnan(r.central_error)]
    assert nan_rows and nan_rows[0] == 0
    runs = _points(_by_id(root, "central-x"))
    assert [len(run) for run in runs] == [len(log.rows) - len(nan_rows)]  # the curve starts after the gap
    assert "nan errors not drawn" in _texts(_by_id(root, "legend-x"))[-1]
    (s,) = sweep("sin(x)", {"x": 1})
    holed = s._replace(rows=[r._replace(forward_error=math.nan) if i in (5, 6) else r for i, r in enumerate(s.rows)])
    runs = _points(_by_id(ET.fromstring(svg_of([holed])), "forward-x"))
    assert [len(run) for run in runs] == [5, len(s.rows) - 7]  # a gap in the middle: the pen lifts
    (zero,) = sweep("x", {"x": 0})
    root = ET.fromstring(svg_of([zero]))
    assert "errors of 0 drawn at 1e-17" in _texts(_by_id(root, "legend-x"))[-1]
    (flat,) = _points(_by_id(root, "forward-x"))
    assert len({y for _, y in flat}) == 1  # every error 0: all at the floor
    (kink,) = sweep("abs(x)", {"x": 0})
    texts = _texts(ET.fromstring(svg_of([kink])))
    assert any(t.startswith("on a kink: abs'(0) = 0") for t in texts)


def test_svg_without_inputs_is_still_an_image():
    root = ET.fromstring(svg_of([], title="3"))
    assert root.tag == f"{SVG}svg" and "no inputs to sweep" in _texts(root) and "3" in _texts(root)
    assert not [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("axes_")]


def test_a_chart_of_many_inputs_draws_the_first_eight_and_says_so():
    """As the terminal does: 174 panels took 0.15 s each, past the time limit."""
    program = " + ".join(f"sin(x{i})" for i in range(12))
    sweeps = sweep(program, {f"x{i}": i / 10 for i in range(12)})
    root = ET.fromstring(svg_of(sweeps))
    drawn = [s.name for s in sweeps if root.findall(f".//{SVG}g[@id='central-{s.name}']")]
    assert drawn == [s.name for s in sweeps[:8]]
    assert _texts(_by_id(root, "more-inputs")) == [
        "12 inputs: the first 8 are drawn; --wrt picks others, --json has every one"
    ]
    assert not ET.fromstring(svg_of(sweeps[:8])).findall(f".//{SVG}g[@id='more-inputs']")


def test_png_and_pdf(sin_sweep):
    figure = sweep_figure([sin_sweep], "sin(x)")
    png, pdf = figure_bytes(figure, "png"), figure_bytes(figure, "pdf")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and pdf.startswith(b"%PDF")
    assert figure_bytes(sweep_figure([sin_sweep], "sin(x)"), "png") == png  # deterministic too


def test_title_is_one_line(sin_sweep):
    texts = _texts(ET.fromstring(svg_of([sin_sweep], title="a = x*x\n\n  a + 1")))
    assert "a = x*x a + 1" in texts


# ---------------------------------------------------------------- JSON and table


def test_json_is_strict_and_complete(sin_sweep):
    sweeps = [sin_sweep, *sweep("log(x)", {"x": 0.05})]  # log: x - h < 0 gives nan differences
    data = sweep_json(sweeps)
    text = json.dumps(data, allow_nan=False)
    back = strict_json(text)
    assert back["error_floor"] == ERROR_FLOOR
    first, second = back["inputs"]
    assert [r["step"] for r in first["rows"]] == list(DEFAULT_STEPS)
    assert first["best"]["central"]["step"] == sin_sweep.best_central.step
    assert first["rows"][4]["central_error"] == sin_sweep.rows[4].central_error
    assert second["rows"][0]["central"] == "nan" and second["rows"][0]["central_error"] == "nan"
    assert isinstance(second["best"]["central"]["step"], float)


def _render(fn, sweeps, width=120) -> str:
    buffer = io.StringIO()
    fn(sweeps, Console(file=buffer, width=width, force_terminal=False, highlight=False, markup=False))
    return buffer.getvalue()


def test_table_marks_the_best_steps(sin_sweep):
    text = _render(sweep_table, [sin_sweep])
    assert text.count("◀ best") == 2
    assert "forward difference" in text and "central difference" in text and "rel. error" in text
    assert "2.1e-11 ◀ best" in text and "5.5e-09 ◀ best" in text
    for h in ("0.1", "1e-08", "1e-16"):
        assert re.search(rf"│ +{re.escape(h)} │", text)


def test_report_fits_a_narrow_console(sin_sweep):
    text = _render(sweep_report, [sin_sweep], width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "step h" in text and text.count("◀") == 2
