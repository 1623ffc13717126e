"""Drawing within limits: Graphviz's time and memory, layouts chosen from the graph's shape,
and drawings that stay well-formed whatever the names, numbers and comments.

The command-line cases run the installed console script in a subprocess and check the
contract for a refusal: exit 2, one ``error:`` line that names the limit, nothing on
stdout, no file written. No test measures time: a limit is set so low (0.01 s, 1 MB) that
the refusal is certain, or a big graph is checked to be drawn or refused cleanly.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import EXAMPLE_3, assert_clean_error, cli

import gradcli
from gradcli.core.errors import GradcliError
from gradcli.explain.steps import build_steps
from gradcli.render import dot as dot_module
from gradcli.render.dot import DotOptions, _GradientScale, _round_down, to_dot
from gradcli.render.frames import frame_svgs
from gradcli.render.graphviz_render import render
from gradcli.render.html import step_page

SVG = "{http://www.w3.org/2000/svg}"
LIMIT_VARIABLES = ("GRADCLI_DOT_SECONDS", "GRADCLI_DOT_MEGABYTES", "GRADCLI_FRAMES_MEGABYTES")
# Characters XML 1.0 cannot hold (lone surrogates are caught by encoding to UTF-8).
NOT_XML = {*map(chr, range(0x00, 0x09)), "\x0b", "\x0c", *map(chr, range(0x0E, 0x20)), "\ufffe", "\uffff"}

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def sum_of_x(terms: int) -> str:
    return "+".join(["x"] * terms)


def horner(degree: int) -> str:
    """``((((a_n*x + a_n-1)*x + ...)*x + a_0`` with numeric coefficients."""
    text = f"{degree + 0.5}"
    for k in range(degree - 1, -1, -1):
        text = f"({text})*x + {k + 0.25}"
    return text


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------


def graph(tmp_path: Path, source: str | bytes, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``gradcli graph`` on ``source`` (text: from a file with -f; bytes: as the command-line argument,
    where undecodable bytes become lone surrogates), with ARGS, in an empty folder ``tmp_path/run``."""
    if isinstance(source, str):
        program = tmp_path / "program.grad"
        program.write_text(source, encoding="utf-8")
        given = ["-f", str(program)]
    else:
        given = [source]
    folder = tmp_path / "run"
    folder.mkdir()
    return cli(
        "graph", *given, *args, cwd=folder, env=env, unset=LIMIT_VARIABLES, columns=None, binary=True, timeout=120
    )


def assert_refused(done: subprocess.CompletedProcess, folder: Path, *fragments: str) -> None:
    """Exit 2, one 'error:' line naming the limit, nothing on stdout, nothing written."""
    assert_clean_error(done, *fragments, one_line=True)
    assert list(folder.iterdir()) == [], done.stderr


def assert_drawn_or_refused(done: subprocess.CompletedProcess, folder: Path) -> None:
    """A drawing that parses, or a refusal that names one of Graphviz's limits."""
    if done.returncode == 0:
        ET.parse(folder / "g.svg")
    else:
        assert_refused(done, folder, "Graphviz")
        assert "GRADCLI_DOT_SECONDS=" in done.stderr or "GRADCLI_DOT_MEGABYTES=" in done.stderr, done.stderr


@needs_dot
def test_sum_of_10001_x_is_drawn_or_refused_cleanly(tmp_path):
    done = graph(tmp_path, sum_of_x(10_001), "--at", "x=1", "-o", "g.svg")
    assert_drawn_or_refused(done, tmp_path / "run")


@needs_dot
def test_horner_60_is_laid_out_small_and_drawn_or_refused_cleanly(tmp_path):
    """x is used at every level: 60 edges across up to 120 ranks (3,500 points, 5 s in dot)."""
    source = horner(60)
    dot = to_dot(gradcli.evaluate(source, {"x": 0.7}))
    assert dot.count('class="proxy"') >= 50, "x must be drawn again next to its far uses"
    done = graph(tmp_path, source, "--at", "x=0.7", "-o", "g.svg")
    assert_drawn_or_refused(done, tmp_path / "run")


@needs_dot
@pytest.mark.parametrize(
    "outputs",
    [("-o", "g.svg"), ("-o", "g.png"), ("--html", "page.html"), ("--frames", "frames"), ("-o", "g.pdf", "--html", "p")],
)
def test_time_limit_refuses_cleanly(tmp_path, outputs):
    chain = "sin(" * 1500 + "x" + ")" * 1500  # 1,501 nodes: dot needs some tenths of a second, not 0.01 s
    done = graph(tmp_path, chain, "--at", "x=1", *outputs, GRADCLI_DOT_SECONDS="0.01")
    assert_refused(done, tmp_path / "run", "Graphviz took longer than 0.01 s", "GRADCLI_DOT_SECONDS=")


@needs_dot
@pytest.mark.parametrize("outputs", [("-o", "g.svg"), ("--html", "page.html")])
def test_memory_limit_refuses_cleanly(tmp_path, outputs):
    done = graph(tmp_path, horner(20), "--at", "x=0.7", *outputs, GRADCLI_DOT_MEGABYTES="1")
    assert_refused(done, tmp_path / "run", "1 MB of memory", "GRADCLI_DOT_MEGABYTES=")


@needs_dot
def test_memory_limit_stops_a_layout_that_grows(monkeypatch):
    """A hub joined to every node of a 600-node chain: 180,000 points, far past 150 MB."""
    hub = "\n".join(["digraph g {", *(f"  node{k} -> node{k + 1} [];" for k in range(600))])
    hub += "\n" + "\n".join(f"  node600 -> node{k} [];" for k in range(600)) + "\n}\n"
    monkeypatch.setenv("GRADCLI_DOT_MEGABYTES", "150")
    with pytest.raises(GradcliError, match=r"more than 150 MB of memory .*GRADCLI_DOT_MEGABYTES=4096"):
        render(hub, "svg")


@needs_dot
def test_bad_limit_values_are_refused(tmp_path):
    done = graph(tmp_path, "x*3", "--at", "x=1", "-o", "g.svg", GRADCLI_DOT_SECONDS="soon")
    assert_refused(done, tmp_path / "run", "GRADCLI_DOT_SECONDS=soon", "seconds")


@needs_dot
def test_frames_heavier_than_the_limit_are_refused(tmp_path):
    done = graph(tmp_path, EXAMPLE_3.read_text(), "--frames", "frames", GRADCLI_FRAMES_MEGABYTES="0.01")
    assert_refused(done, tmp_path / "run", "--frames would write 8 SVG files", "GRADCLI_FRAMES_MEGABYTES=")


@needs_dot
def test_one_layout_serves_every_output(tmp_path):
    """-o g.svg --html --frames: dot runs once (a second run would get a second time limit)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "dot.log"
    wrapper = bin_dir / "dot"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{shutil.which("dot")}" "$@"\n')
    wrapper.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    done = graph(tmp_path, EXAMPLE_3.read_text(), "-o", "g.svg", "--html", "p.html", "--frames", "f", PATH=path)
    assert done.returncode == 0, done.stderr
    assert log.read_text().split() == ["run"]


# --------------------------------------------------------------------------------------
# Layout settings from the graph's shape
# --------------------------------------------------------------------------------------


def test_far_uses_of_a_node_get_proxies_and_small_drawings_stay_as_they_were():
    """x + x + ... + x, 1,000 terms: x drawn again next to each far use, not 500,000 points."""
    program = gradcli.parse(sum_of_x(1000))
    plan = dot_module.plan_layout(program)
    assert plan.points <= dot_module.PROXY_POINTS
    assert len(plan.proxied) >= 990 and {arg for arg, _ in plan.proxied} == {program.inputs["x"]}
    dot = to_dot(program)
    assert dot.count('class="proxy"') == len(plan.proxied)
    assert dot.count(" -> node") == sum(len(program.graph.args[n]) for n in program.nodes)  # one edge per argument
    small = to_dot(gradcli.evaluate(EXAMPLE_3.read_text(), {}))
    assert "nslimit" not in small and "proxy" not in small and "{ rank=sink; legend; }" in small


@needs_dot
def test_fast_layout_keeps_the_legend_right_of_the_output():
    """The fast settings rank with newrank, which ignores rank=sink: invisible edges place the legend."""
    ev = gradcli.evaluate("sin(" * 2100 + "x" + ")" * 2100, {"x": 1.0})  # 2,101 nodes in a chain
    dot = to_dot(ev)
    assert "newrank=true" in dot.split("\n")[1]
    root = ET.fromstring(render(dot, "svg"))
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    output = next(g for g in groups.values() if g.get("class") == "node output")
    legend_x = min(float(t.get("x")) for t in groups["legend"].iter(f"{SVG}text"))
    assert legend_x > max(float(t.get("x")) for t in output.iter(f"{SVG}text"))


# --------------------------------------------------------------------------------------
# The gradient scale
# --------------------------------------------------------------------------------------

ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
EDGES = [5e-324, -5e-324, 2.2250738585072014e-308, 1e-310, 1e308, -1e308, 1.7976931348623157e308, 0.0, -0.0]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(ANY_FLOAT, st.sampled_from(EDGES)), max_size=12))
@example([5e-324, 1.0])
@example([1.7976931348623157e308])
@example([1e-320, 1e-310, 3.0])
@example([math.nan, math.inf, -math.inf, 0.0])
def test_gradient_scale_never_raises(grads):
    scale = _GradientScale(grads)
    for g in grads:
        assert scale.color(g) in (*dot_module.PALETTE, dot_module.ZERO_FILL)
    if scale.has_range:
        legend = scale.legend()
        assert legend.startswith("  legend [") and "nan" not in legend and "inf" not in legend


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=5e-324, allow_infinity=False, allow_nan=False))
@example(5e-324)
@example(1.7976931348623157e308)
def test_round_down_is_a_lower_bound_with_two_digits(value):
    text = _round_down(value)
    assert float(text) <= value
    assert len(Decimal(text).normalize().as_tuple().digits) <= 2


# --------------------------------------------------------------------------------------
# Well-formed whatever the text: control characters, lone surrogates, markup
# --------------------------------------------------------------------------------------

HOSTILE = b"x = 2\x0c\ny = x\x0c* 3  # \x01 \x1b \xff \xed\xa0\x80 \xef\xbf\xbe </script> \xe2\x80\xa8 & <b>\ny + 1\n"


def assert_page_is_safe(page: str) -> None:
    page.encode("utf-8")  # no lone surrogate
    assert not NOT_XML & set(page), sorted(NOT_XML & set(page))
    assert page.lower().count("</script") == 2  # the data's and the code's own
    ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])  # the drawing, inlined


@needs_dot
def test_control_characters_and_lone_surrogates_give_well_formed_files(tmp_path):
    done = graph(tmp_path, HOSTILE, "-o", "g.svg", "--html", "p.html", "--frames", "frames")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "run"
    ET.parse(folder / "g.svg")
    frames = sorted((folder / "frames").iterdir())
    assert len(frames) == 6
    for frame in frames:
        ET.parse(frame)
    assert_page_is_safe((folder / "p.html").read_text(encoding="utf-8"))


NAMES = st.sampled_from(["x", "y", "w1", "t1", "f", "e", "pi", "_", "a_b"])
NUMBERS = st.sampled_from(["0", "1", "2.5", "1e-320", "5e-324", "1e308", "1.7976931348623157e308", "1e-5", "3"])
ODD_CHARACTERS = ["\x00", "\x01", "\x0c", "\x1b", "\x7f", "\ud800", "\udcff", "\ufffe", "\u2028", "<", "&", '"', "\\"]
COMMENT = st.text(
    alphabet=st.one_of(st.characters(exclude_characters="\n", exclude_categories=()), st.sampled_from(ODD_CHARACTERS)),
    max_size=12,
)
OPERATORS = st.sampled_from(["+", "-", "*", "/", "**"])
FUNCTIONS = st.sampled_from(["sin", "exp", "log", "sqrt", "tanh", "relu", "abs", "stop_gradient"])


@st.composite
def programs(draw) -> str:
    """A few statements over x and y with odd numbers, and comments of any characters."""
    lines = []
    names = ["x", "y"]
    for _ in range(draw(st.integers(1, 5))):
        left, right = draw(st.sampled_from(names)), draw(st.one_of(st.sampled_from(names), NUMBERS))
        expression = f"{left} {draw(OPERATORS)} {right}"
        if draw(st.booleans()):
            expression = f"{draw(FUNCTIONS)}({expression})"
        name = draw(NAMES.filter(lambda n: n not in ("x", "y")))
        lines.append(f"{name} = {expression}  # {draw(COMMENT)}")
        names.append(name)
    lines.append(f"{names[-1]} * {draw(st.sampled_from(names))}")
    return "\n".join(lines)


POINT_VALUES = st.one_of(st.sampled_from([0.0, -0.0, 5e-324, 1e308, -2.5, 1.0]), st.floats(-1e6, 1e6))


def evaluation_or_none(source: str, x: float, y: float):
    try:
        program = gradcli.parse(source)
    except GradcliError:
        return None
    return gradcli.evaluate(program, {name: v for name, v in (("x", x), ("y", y)) if name in program.inputs})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), POINT_VALUES, POINT_VALUES, st.booleans())
def test_dot_is_deterministic_and_xml_safe(source, x, y, edge_labels):
    ev = evaluation_or_none(source, x, y)
    if ev is None:
        return
    options = DotOptions(edge_labels=edge_labels, highlight=tuple(ev.program.inputs)[:1])
    dot = to_dot(ev, options)
    assert dot == to_dot(evaluation_or_none(source, x, y), options)
    dot.encode("utf-8")
    assert not NOT_XML & set(dot), sorted(NOT_XML & set(dot))


@needs_dot
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), POINT_VALUES, POINT_VALUES)
def test_svg_frames_and_page_are_well_formed(source, x, y):
    ev = evaluation_or_none(source, x, y)
    if ev is None:
        return
    svg = render(to_dot(ev, DotOptions(edge_labels=True)), "svg").decode("utf-8")
    ET.fromstring(svg)
    steps = build_steps(ev)
    frames = frame_svgs(svg, steps)
    assert frames == reference_frames(svg, steps)
    for frame in frames:
        ET.fromstring(frame)
    assert_page_is_safe(step_page(ev, svg, steps))


def reference_frames(svg: str, steps) -> list[str]:
    """The frames as first made: a fresh parse per step, the state set on its elements."""
    from gradcli.render.frames import CURRENT_STROKE, SHAPES, UNKNOWN, _node_groups, step_states

    frames = []
    for state in step_states(steps):
        root = ET.fromstring(svg)
        for node, group in _node_groups(root).items():
            texts = group.findall(f"{SVG}text")
            for text in texts:
                if (text.text or "").startswith("value "):
                    text.text = f"value {state.values.get(node, UNKNOWN)}"
                elif (text.text or "").startswith("grad "):
                    text.text = f"grad {state.grads.get(node, UNKNOWN)}"
            shape = next((child for child in group if child.tag in {f"{SVG}{s}" for s in SHAPES}), None)
            if shape is None:
                continue
            if node not in state.final and shape.get("fill") not in (None, "none"):
                shape.set("fill", "#ffffff")
                for text in texts:
                    if text.get("fill") == "white":
                        text.set("fill", "black")
            if node == state.current:
                shape.set("stroke", CURRENT_STROKE)
                shape.set("stroke-width", "3")
        frames.append(ET.tostring(root, encoding="unicode"))
    return frames
