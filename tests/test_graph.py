"""``gradcli graph``: the drawing, through the real command line and the real Graphviz.

Every CLI case runs the installed ``gradcli`` console script (next to ``sys.executable``)
in a subprocess, with Graphviz's own ``dot`` making the SVG, PNG or PDF. The SVGs are
read as XML (``xml.etree``): Graphviz copies each DOT node's and edge's ``id`` and
``class`` onto a ``<g>`` element, so a node is found by its id (``node{N}``, N its place
in evaluation order) or by the first line of its label (its name), and its shapes and
text lines are looked at as elements, not as text matched by regular expressions.

The drawing's contract, in short: node labels have fixed lines (``name``, ``value …``,
``grad …``; a constant is just its number); inputs are ellipses and the output has a
double border; one edge per ordered argument (``edge{consumer}_{position}``); edges into
``stop_gradient`` are dashed; nodes that do not reach the output have class ``unused``;
``--highlight x`` colours the paths from x to the output #1f77b4; a kink is outlined
#e6a700 and a nan/inf #d62728. The same input gives byte-identical DOT and SVG.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from support import EXAMPLE_3, EXAMPLES, GRADCLI, assert_clean_error, cli, close, load_script

import gradcli
from gradcli.render.dot import escape
from gradcli.render.output_files import human_size

GALLERY = EXAMPLES / "gallery"
EXAMPLE_13 = EXAMPLES / "13_two_layer_net.grad"

SCRIPT = Path(GRADCLI[0])
SVG_NS = "http://www.w3.org/2000/svg"
HIGHLIGHT = "#1f77b4"
KINK = "#e6a700"
ANOMALY = "#d62728"
UNUSED = "#9e9e9e"
SHAPES = ("ellipse", "polygon", "path")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


# --------------------------------------------------------------------------------------
# Running the command and reading its SVG
# --------------------------------------------------------------------------------------


def run(*args: str, **options) -> subprocess.CompletedProcess:
    """``gradcli ARGS`` through the installed console script; stdout as bytes (a drawing), COLUMNS as it is."""
    assert SCRIPT.name == "gradcli", f"the gradcli console script is not installed next to {sys.executable}"
    return cli(*args, binary=True, columns=None, timeout=120, **options)


def ok(*args: str, **kwargs) -> subprocess.CompletedProcess:
    done = run(*args, **kwargs)
    assert done.returncode == 0, f"gradcli {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def parse_svg(data: bytes | str) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == tag("svg"), root.tag
    return root


def groups(root: ET.Element, kind: str) -> dict[str, ET.Element]:
    """The ``<g>`` elements of one class (``node`` or ``edge``), by id."""
    return {g.get("id"): g for g in root.iter(tag("g")) if kind in (g.get("class") or "").split()}


def classes(group: ET.Element) -> set[str]:
    return set((group.get("class") or "").split())


def lines(group: ET.Element) -> list[str]:
    """The text lines of a node or edge, top to bottom (Graphviz writes one <text> each)."""
    return [text.text or "" for text in group.iter(tag("text"))]


def shapes(group: ET.Element) -> list[ET.Element]:
    return [child for child in group if child.tag in {tag(s) for s in SHAPES}]


def edge_lines(group: ET.Element) -> list[ET.Element]:
    """The drawn line of an edge (a path, maybe inside the <a> of a tooltip), not its arrowhead."""
    return list(group.iter(tag("path")))


def by_name(root: ET.Element) -> dict[str, ET.Element]:
    """Program nodes by the name on the first line of their label (``a = x*3`` -> ``a``)."""
    named = {}
    for ident, group in groups(root, "node").items():
        if ident.startswith("node"):
            first = lines(group)[0]
            named[first.split(" = ")[0]] = group
    return named


def values_and_grads(group: ET.Element) -> tuple[str | None, str | None]:
    value = next((t[len("value ") :] for t in lines(group) if t.startswith("value ")), None)
    grad = next((t[len("grad ") :] for t in lines(group) if t.startswith("grad ")), None)
    return value, grad


def svg_of(tmp_path: Path, *args: str, name: str = "g.svg") -> ET.Element:
    out = tmp_path / name
    ok(*args, "-o", str(out))
    return parse_svg(out.read_bytes())


def highlighted(root: ET.Element) -> set[str]:
    """Ids of the edges drawn in the highlight colour, 2.5 wide."""
    found = set()
    for ident, group in groups(root, "edge").items():
        paths = edge_lines(group)
        if paths and all(p.get("stroke") == HIGHLIGHT and p.get("stroke-width") == "2.5" for p in paths):
            found.add(ident)
    return found


@cache
def example_3_svg() -> bytes:
    done = ok("graph", "-f", str(EXAMPLE_3), "--format", "svg")
    return done.stdout


# --------------------------------------------------------------------------------------
# Worked example #3: the drawing of a = x*3; b = a + 1; c = b**2 at x = 2
# --------------------------------------------------------------------------------------


@needs_dot
def test_example_3_one_group_per_node_plus_legend():
    root = parse_svg(example_3_svg())
    program = gradcli.parse(EXAMPLE_3.read_text(encoding="utf-8"))
    nodes = groups(root, "node")
    assert set(nodes) == {f"node{n}" for n in program.nodes} | {"legend"}
    assert len(nodes) == program.size + 1
    roles = {ident: classes(g) - {"node"} for ident, g in nodes.items()}
    assert roles["node0"] == {"input"} and roles["node5"] == {"output"}
    assert roles["node1"] == roles["node3"] == {"constant"}
    assert roles["node2"] == roles["node4"] == {"intermediate"}
    legend = lines(nodes["legend"])
    assert legend[0] == "|gradient|, log scale" and "0" in legend


@needs_dot
def test_example_3_values_and_gradients():
    named = by_name(parse_svg(example_3_svg()))
    got = {name: values_and_grads(named[name]) for name in ("x", "a", "b", "c")}
    assert got == {"x": ("2", "42"), "a": ("6", "14"), "b": ("7", "14"), "c": ("49", "1")}
    assert lines(named["a"]) == ["a = x*3", "value 6", "grad 14"]
    assert lines(named["c"]) == ["c = b**2", "value 49", "grad 1"]
    assert lines(named["3"]) == ["3"]  # a constant: just its number


@needs_dot
def test_example_3_shapes_input_ellipse_output_double_border():
    named = by_name(parse_svg(example_3_svg()))
    assert [s.tag for s in shapes(named["x"])] == [tag("ellipse")]
    assert len(shapes(named["a"])) == 1 and len(shapes(named["b"])) == 1
    outer = shapes(named["c"])
    assert len(outer) == 2, "the output has a double border (two outlines)"
    assert shapes(named["3"]) == []  # constants are plain text


@needs_dot
def test_deterministic_across_processes(tmp_path):
    """Two runs in separate processes (different hash seeds) give byte-identical DOT and SVG."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        dot = ok("graph", "-f", str(EXAMPLE_13), "--edge-labels", "--highlight", "w1", env=env).stdout
        svg = tmp_path / f"g{seed}.svg"
        ok("graph", "-f", str(EXAMPLE_3), "-o", str(svg), env=env)
        outputs.append((dot, svg.read_bytes()))
    (dot1, svg1), (dot2, svg2) = outputs
    assert dot1 == dot2 and dot1.startswith(b"digraph gradcli {")
    assert svg1 == svg2
    assert svg1 == example_3_svg()  # -o file and --format svg to stdout agree too


# --------------------------------------------------------------------------------------
# Structure only, or with values
# --------------------------------------------------------------------------------------


@needs_dot
def test_structure_only_without_values():
    done = ok("graph", "(3*x+2)**2")
    assert done.stdout.startswith(b"digraph gradcli {")
    assert b"value " not in done.stdout and b"grad " not in done.stdout
    root = parse_svg(ok("graph", "(3*x+2)**2", "--format", "svg").stdout)
    all_lines = [line for g in groups(root, "node").values() for line in lines(g)]
    assert all_lines and not any(line.startswith(("value ", "grad ")) for line in all_lines), all_lines
    assert "legend" not in groups(root, "node"), "no gradients, no legend"


@needs_dot
def test_with_values_at_x_1():
    root = parse_svg(ok("graph", "(3*x+2)**2", "--at", "x=1", "--format", "svg").stdout)
    nodes = groups(root, "node")
    output = next(g for g in nodes.values() if "output" in classes(g))
    assert values_and_grads(output) == ("25", "1")
    assert values_and_grads(by_name(root)["x"]) == ("1", "30")


def test_structure_flag_and_declared_defaults():
    forced = ok("graph", "y = 2; x*y", "--at", "x=1", "--structure").stdout
    assert b"value " not in forced and b"grad " not in forced
    from_defaults = ok("graph", "x = 2; y = 3; x*y").stdout  # every input has a default
    assert b"value 6" in from_defaults and b"grad 3" in from_defaults
    partial = ok("graph", "x = 2; x*y").stdout  # y has none: the structure only
    assert b"value " not in partial


# --------------------------------------------------------------------------------------
# What the drawing marks
# --------------------------------------------------------------------------------------


@needs_dot
def test_x_times_x_draws_two_edges(tmp_path):
    root = svg_of(tmp_path, "graph", "x*x", "--at", "x=3")
    edges = groups(root, "edge")
    assert set(edges) == {"edge1_0", "edge1_1"}
    titles = {ident: g.find(tag("title")).text for ident, g in edges.items()}
    assert titles == {"edge1_0": "node0->node1", "edge1_1": "node0->node1"}
    assert values_and_grads(by_name(root)["x"]) == ("3", "6")


@needs_dot
def test_stop_gradient_edge_is_dashed(tmp_path):
    root = svg_of(tmp_path, "graph", "y = x**2; z = stop_gradient(y)*x", "--at", "x=2")
    dashed = {
        ident for ident, g in groups(root, "edge").items() if any(p.get("stroke-dasharray") for p in edge_lines(g))
    }
    assert dashed == {"edge2_0"}  # y -> stop_gradient(y), and only that one
    assert values_and_grads(by_name(root)["x"]) == ("2", "4")
    assert values_and_grads(by_name(root)["z"]) == ("8", "1")


@needs_dot
def test_unused_binding_is_grey_and_dashed(tmp_path):
    root = svg_of(tmp_path, "graph", "a = x*2; b = x + 1; b", "--at", "x=1")
    named = by_name(root)
    assert classes(named["a"]) == {"node", "unused"}
    assert classes(named["b"]) == {"node", "output"}
    (outline,) = shapes(named["a"])
    assert outline.get("stroke") == UNUSED and outline.get("stroke-dasharray")
    edges = groups(root, "edge")
    assert all(p.get("stroke") == UNUSED for p in edge_lines(edges["edge2_0"]))  # x -> a
    assert all(p.get("stroke") == "black" for p in edge_lines(edges["edge4_0"]))  # x -> b
    assert values_and_grads(named["x"]) == ("1", "1")


@needs_dot
@pytest.mark.parametrize(
    ("program", "at", "name", "edges"),
    [
        ("x*y + z", "x=1,y=2,z=3", "z", {"edge4_1"}),  # z's own path only
        ("x*y + z", "x=1,y=2,z=3", "x", {"edge2_0", "edge4_0"}),  # not y -> x*y, not z -> +
        ("a = x + y; z = a*x", "x=2,y=3", "x", {"edge2_0", "edge3_0", "edge3_1"}),  # both of x's paths
        ("a = x + y; z = a*x", "x=2,y=3", "y", {"edge2_1", "edge3_0"}),
        ("y = x**2; z = stop_gradient(y)*x", "x=2", "x", {"edge3_1"}),  # no gradient through y
        ("a = x*2; b = x + 1; b", "x=1", "x", {"edge4_0"}),  # a does not reach the output
    ],
)
def test_highlight_colours_exactly_the_paths(tmp_path, program, at, name, edges):
    root = svg_of(tmp_path, "graph", program, "--at", at, "--highlight", name)
    assert highlighted(root) == edges
    outlined = {n for n, g in by_name(root).items() if any(s.get("stroke") == HIGHLIGHT for s in shapes(g))}
    assert name in outlined


@needs_dot
def test_highlight_two_inputs(tmp_path):
    root = svg_of(tmp_path, "graph", "x*y + z", "--at", "x=1,y=2,z=3", "--highlight", "x", "--highlight", "z")
    assert highlighted(root) == {"edge2_0", "edge4_0", "edge4_1"}


@needs_dot
def test_edge_labels_local_derivatives(tmp_path):
    root = svg_of(tmp_path, "graph", "-f", str(EXAMPLE_3), "--edge-labels")
    labels = {ident: lines(g) for ident, g in groups(root, "edge").items()}
    assert labels["edge5_0"] == ["2*b = 14"]  # b -> c: the factor the chain rule multiplies
    assert labels["edge4_0"] == ["1"]  # a -> b
    assert labels["edge2_0"] == ["3"]  # x -> a
    assert labels["edge2_1"] == [] and labels["edge4_1"] == []  # constants get no label
    # the product of the factors along x's one path is the gradient at x
    factors = [float(labels[e][0].split(" = ")[-1]) for e in ("edge5_0", "edge4_0", "edge2_0")]
    assert math.prod(factors) == float(values_and_grads(by_name(root)["x"])[1]) == 42


def test_edge_labels_without_values_show_formulas():
    dot = ok("graph", "(3*x+2)**2", "--edge-labels").stdout.decode()
    assert 'label="2*(3*x + 2)"' in dot


def test_rankdir_tb():
    assert "rankdir=TB" in ok("graph", "-f", str(EXAMPLE_3), "--rankdir", "TB").stdout.decode()
    assert "rankdir=LR" in ok("graph", "-f", str(EXAMPLE_3)).stdout.decode()
    assert_clean_error(run("graph", "-f", str(EXAMPLE_3), "--rankdir", "sideways"), "--rankdir")


@needs_dot
def test_kink_is_outlined(tmp_path):
    root = svg_of(tmp_path, "graph", "relu(x)", "--at", "x=0")
    node = by_name(root)["f"]  # the output, unnamed in the program
    assert any(line.startswith("kink:") for line in lines(node)), lines(node)
    assert {s.get("stroke") for s in shapes(node)} == {KINK}


@needs_dot
def test_nan_is_outlined(tmp_path):
    root = svg_of(tmp_path, "graph", "log(x) + 1", "--at", "x=-1")
    node = by_name(root)["log(x)"]
    assert values_and_grads(node)[0] == "nan"
    assert "nan starts here (value)" in lines(node)
    assert {s.get("stroke") for s in shapes(node)} == {ANOMALY}


@needs_dot
def test_inf_is_outlined(tmp_path):
    root = svg_of(tmp_path, "graph", "y = exp(x); y*2", "--at", "x=1000")
    node = by_name(root)["y"]
    assert values_and_grads(node)[0] == "inf"
    assert {s.get("stroke") for s in shapes(node)} == {ANOMALY}


@needs_dot
def test_highlight_keeps_the_kink_outline(tmp_path):
    root = svg_of(tmp_path, "graph", "relu(x)", "--at", "x=0", "--highlight", "x")
    assert KINK in {s.get("stroke") for s in shapes(by_name(root)["f"])}


def legend_swatches(root: ET.Element) -> list[tuple[str, str]]:
    """The legend's colour cells, left to right: (fill, the text in it)."""
    cells, fill = [], None
    for child in groups(root, "node")["legend"]:
        if child.tag == tag("polygon") and child.get("stroke") == "transparent":
            fill = child.get("fill")
        elif child.tag == tag("text") and fill is not None:
            cells.append((fill, child.text or ""))
            fill = None
    return cells


def shaded(root: ET.Element) -> dict[str, tuple[str, float]]:
    """Nodes filled by their gradient: name -> (fill, |gradient| as printed)."""
    out = {}
    for name, group in by_name(root).items():
        if classes(group) & {"input", "intermediate", "output"}:
            out[name] = (shapes(group)[0].get("fill"), abs(float(values_and_grads(group)[1])))
    return out


@needs_dot
@pytest.mark.parametrize("example", ["13_two_layer_net.grad", "29_vanishing_sigmoids.grad", "03_backward_trace.grad"])
def test_legend_has_every_fill_in_order(tmp_path, example):
    root = svg_of(tmp_path, "graph", "-f", str(EXAMPLES / example))
    swatches = legend_swatches(root)
    assert swatches[0] == ("#ffffff", "0")
    assert [fill for fill, _ in swatches[1:]] == ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"]
    thresholds = [float(text.removeprefix("≥ ")) for _, text in swatches[1:]]
    assert thresholds == sorted(thresholds) and all(text.startswith("≥ ") for _, text in swatches[1:])
    nodes = shaded(root)
    fills = {fill for fill, _ in swatches}
    assert all(fill in fills for fill, _ in nodes.values()), nodes
    # a larger |gradient| never gets a paler fill
    order = [fill for fill, _ in swatches]
    by_grad = sorted(nodes.values(), key=lambda item: item[1])
    assert [order.index(f) for f, _ in by_grad] == sorted(order.index(f) for f, _ in by_grad)


@needs_dot
@pytest.mark.parametrize("example", ["29_vanishing_sigmoids.grad", "13_two_layer_net.grad"])
def test_legend_thresholds_hold_for_the_nodes(tmp_path, example):
    root = svg_of(tmp_path, "graph", "-f", str(EXAMPLES / example))
    threshold = {fill: float(text.removeprefix("≥ ")) for fill, text in legend_swatches(root)[1:]}
    wrong = {name: (grad, threshold[fill]) for name, (fill, grad) in shaded(root).items() if grad < threshold[fill]}
    assert not wrong, wrong


@needs_dot
def test_legend_matches_the_fill_when_all_gradients_are_equal(tmp_path):
    root = svg_of(tmp_path, "graph", "x + y", "--at", "x=1,y=2")
    swatches = dict(legend_swatches(root))
    nodes = shaded(root)
    assert {grad for _, grad in nodes.values()} == {1.0}
    assert all(fill in swatches for fill, _ in nodes.values()), (nodes, swatches)


# --------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------


@needs_dot
def test_png_and_pdf(tmp_path):
    for name, magic in (("g.png", b"\x89PNG\r\n\x1a\n"), ("g.pdf", b"%PDF-"), ("G.PNG", b"\x89PNG\r\n\x1a\n")):
        ok("graph", "-f", str(EXAMPLE_3), "-o", str(tmp_path / name))
        assert (tmp_path / name).read_bytes().startswith(magic), name


def test_dot_files(tmp_path):
    stdout = ok("graph", "-f", str(EXAMPLE_3)).stdout
    for args in (["-o", "g.dot"], ["-o", "g.gv"], ["--format", "dot", "-o", "g.txt"]):
        ok("graph", "-f", str(EXAMPLE_3), *args, cwd=tmp_path)
        written = (tmp_path / args[-1]).read_bytes()
        assert written == stdout and written.startswith(b"digraph gradcli {")


def test_unknown_extension(tmp_path):
    done = run("graph", "-f", str(EXAMPLE_3), "-o", "g.jpeg", cwd=tmp_path)
    assert_clean_error(done, "-o g.jpeg", "cannot tell the format", ".svg", "--format")
    assert list(tmp_path.iterdir()) == []
    assert_clean_error(run("graph", "-f", str(EXAMPLE_3), "--format", "gif", cwd=tmp_path), "--format gif")
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_format_svg_to_stdout(tmp_path):
    done = ok("graph", "x*y", "--at", "x=2,y=3", "--format", "svg", cwd=tmp_path)
    root = parse_svg(done.stdout)
    assert values_and_grads(by_name(root)["x"]) == ("2", "3")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# Without Graphviz
# --------------------------------------------------------------------------------------


@pytest.fixture
def no_dot_env(tmp_path):
    """An environment whose PATH finds gradcli (a symlink to the venv's script) but not dot."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gradcli").symlink_to(SCRIPT)
    path = str(bin_dir)
    assert shutil.which("dot", path=path) is None and shutil.which("gradcli", path=path)
    return {**os.environ, "PATH": path}


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_missing_graphviz(tmp_path, no_dot_env, fmt):
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        ["gradcli", "graph", "-f", str(EXAMPLE_3), "-o", f"g.{fmt}"],
        capture_output=True,
        text=True,
        cwd=out,
        env=no_dot_env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error:"), done.stderr
    assert "Traceback" not in done.stderr
    assert "install Graphviz" in done.stderr and "apt-get install graphviz" in done.stderr
    assert fmt.upper() in done.stderr and "--format dot" in done.stderr
    assert list(out.iterdir()) == []


def test_missing_graphviz_dot_still_works(tmp_path, no_dot_env):
    def cli(*args):
        return subprocess.run(
            ["gradcli", "graph", "-f", str(EXAMPLE_3), *args],
            capture_output=True,
            cwd=tmp_path,
            env=no_dot_env,
            timeout=60,
            check=False,
        )

    to_stdout = cli()
    assert to_stdout.returncode == 0 and to_stdout.stdout.startswith(b"digraph gradcli {"), to_stdout.stderr
    assert cli("-o", "g.dot").returncode == 0
    assert (tmp_path / "g.dot").read_bytes() == to_stdout.stdout
    frames = cli("--frames", "frames")  # frames are SVG: refused, nothing written
    assert frames.returncode == 2 and b"install Graphviz" in frames.stderr
    assert not (tmp_path / "frames").exists()


# --------------------------------------------------------------------------------------
# --frames
# --------------------------------------------------------------------------------------


def geometry(root: ET.Element) -> dict[str, list[tuple]]:
    """Every node's and edge's coordinates: shape attributes and text anchors."""
    keys = ("cx", "cy", "rx", "ry", "d", "points", "x", "y")
    out = {}
    for ident, group in {**groups(root, "node"), **groups(root, "edge")}.items():
        out[ident] = [(child.tag, *(child.get(k) for k in keys)) for child in group if child.tag != tag("title")]
    return out


@needs_dot
def test_frames_example_3(tmp_path):
    folder = tmp_path / "frames"
    done = ok("graph", "-f", str(EXAMPLE_3), "--frames", str(folder))
    assert done.stdout == b""
    names = sorted(p.name for p in folder.iterdir())
    # forward: x, a, b, c; backward: c, b, a, x (constants are in neither pass)
    assert names == [f"step{k}_forward.svg" for k in range(1, 5)] + [f"step{k}_backward.svg" for k in range(5, 9)]
    frames = [parse_svg((folder / name).read_bytes()) for name in names]

    first = by_name(frames[0])
    assert values_and_grads(first["x"]) == ("2", "·")
    assert values_and_grads(first["c"]) == ("·", "·")
    assert values_and_grads(by_name(frames[3])["c"]) == ("49", "·")  # forward done
    assert values_and_grads(by_name(frames[4])["c"]) == ("49", "1")  # the seed
    assert values_and_grads(by_name(frames[4])["x"]) == ("2", "·")
    last = by_name(frames[-1])
    assert {n: values_and_grads(last[n]) for n in "xabc"} == {
        "x": ("2", "42"),
        "a": ("6", "14"),
        "b": ("7", "14"),
        "c": ("49", "1"),
    }

    # One layout for all: every shape and text sits where it sits in the plain drawing.
    plain = geometry(parse_svg(example_3_svg()))
    for name, frame in zip(names, frames):
        assert geometry(frame) == plain, name


@needs_dot
def test_html_is_written(tmp_path):
    """The page itself is tested elsewhere: here only that the command writes it, and nothing else."""
    done = ok("graph", "-f", str(EXAMPLE_3), "--html", "steps.html", cwd=tmp_path)
    assert done.stdout == b"" and re.fullmatch(r"wrote steps\.html \(\d+\.\d kB\)\n", done.stderr), done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["steps.html"]
    assert (tmp_path / "steps.html").stat().st_size > 0


@needs_dot
def test_frames_count_is_forward_plus_backward_steps(tmp_path):
    from gradcli.explain.steps import BACKWARD, FORWARD, build_steps

    source = (EXAMPLES / "29_vanishing_sigmoids.grad").read_text(encoding="utf-8")
    steps = build_steps(gradcli.evaluate(source, {}))
    assert [s.phase for s in steps] == [FORWARD] * 11 + [BACKWARD] * 11
    folder = tmp_path / "f"
    ok("graph", "-f", str(EXAMPLES / "29_vanishing_sigmoids.grad"), "--frames", str(folder))
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 22 and names[0] == "step01_forward.svg" and names[-1] == "step22_backward.svg"
    last = by_name(parse_svg((folder / names[-1]).read_bytes()))
    assert values_and_grads(last["x"]) == ("0", "3.87522e-07")


# --------------------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------------------


def test_escape():
    assert escape('say "hi"') == 'say \\"hi\\"'
    assert escape("a\\b") == "a\\\\b"
    assert escape("one\ntwo") == "one\\ntwo"
    assert escape('\\"') == '\\\\\\"'  # the backslash first, then the quote
    assert escape("<b> & </svg>") == "<b> & </svg>"  # Graphviz escapes these for SVG itself


TRICKY = """\
# "quoted", back\\slash \\, <tag> & amp; </svg> ]]> <!-- -->
x = 2  # trailing "comment" with \\" and </svg>
a = x*3  # <b>bold</b> & "more"
a + 1  # \\n is not a new line
"""


@needs_dot
def test_tricky_comments_give_valid_dot_and_svg(tmp_path):
    source = tmp_path / "tricky.grad"
    source.write_text(TRICKY, encoding="utf-8")
    dot = ok("graph", "-f", str(source)).stdout
    assert dot.startswith(b"digraph gradcli {")
    # the DOT is valid: Graphviz itself reads it
    drawn = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, timeout=60, check=False)
    assert drawn.returncode == 0, drawn.stderr
    parse_svg(drawn.stdout)
    root = svg_of(tmp_path, "graph", "-f", str(source))
    assert values_and_grads(by_name(root)["a"]) == ("6", "1")
    assert len(groups(root, "node")) == gradcli.parse(TRICKY).size + 1


@needs_dot
def test_edge_labels_of_every_kind_give_valid_svg(tmp_path):
    """Long formulas, '×' for ones cut short, minus signs, slashes: all come through as text."""
    program = "min(x, y) + clamp(x, 0, 1) + xlogy(x, y) + x/y + x**y"
    root = svg_of(tmp_path, "graph", program, "--at", "x=0.5,y=2", "--edge-labels")
    labels = {ident: lines(g) for ident, g in groups(root, "edge").items()}
    assert ["0.5*(1 - sign(x - y)) = 1"] in labels.values()
    assert ["-(x/y/y) = -0.125"] in labels.values()
    assert any(text and text[0].startswith("× ") for text in labels.values())  # clamp's, too long to show


# --------------------------------------------------------------------------------------
# Jupyter
# --------------------------------------------------------------------------------------


@needs_dot
def test_repr_svg_of_an_evaluation_and_a_program():
    ev = gradcli.evaluate("a = x*3; b = a + 1; c = b**2", {"x": 2})
    root = parse_svg(ev._repr_svg_())
    assert values_and_grads(by_name(root)["x"]) == ("2", "42")
    program = gradcli.parse("(3*x + 2)**2")
    root = parse_svg(program._repr_svg_())
    texts = [line for g in groups(root, "node").values() for line in lines(g)]
    assert "x" in texts and not any(t.startswith(("value ", "grad ")) for t in texts)


# --------------------------------------------------------------------------------------
# Size note and bad input
# --------------------------------------------------------------------------------------


@needs_dot
def test_max_nodes_note(tmp_path):
    out = tmp_path / "net.svg"
    done = ok("graph", "-f", str(EXAMPLE_13), "--max-nodes", "5", "-o", str(out))
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "--max-nodes 5" in notes[0], done.stderr
    parse_svg(out.read_bytes())
    quiet = ok("graph", "-f", str(EXAMPLE_13), "-o", str(out))
    assert quiet.stderr == f"wrote {out} ({human_size(out.stat().st_size)})\n"  # no note, only the report


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["x*", "--at", "x=1"], ["syntax error"]),
        (["x*y", "--at", "x=1,y=2", "--highlight", "nosuch"], ["--highlight nosuch", "x, y"]),
        (["x*y", "--html", "steps.html"], ["--html", "--at"]),
        (["x*y", "--frames", "frames"], ["--frames", "--at"]),
        (["x*y", "--at", "x=1,z=2"], ["z"]),
    ],
)
def test_bad_input_writes_nothing(tmp_path, args, fragments):
    done = run("graph", *args, "-o", "g.svg", cwd=tmp_path)
    assert_clean_error(done, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_writes_nothing(tmp_path):
    (tmp_path / "taken").write_text("a file where --frames wants a folder")
    done = run("graph", "x*3", "--at", "x=1", "-o", "g.svg", "--frames", "taken", cwd=tmp_path)
    assert done.returncode == 2
    assert not (tmp_path / "g.svg").exists()


# --------------------------------------------------------------------------------------
# The gallery stays up to date
# --------------------------------------------------------------------------------------


def test_gallery_has_one_drawing_per_example():
    gallery = load_script(GALLERY / "make_gallery.py")
    expected = set(gallery.drawings())
    extra = {"03_backward_trace_paths.svg", "22_jacobian_row_x0x1.svg"}
    assert {f"{p.stem}.svg" for p in EXAMPLES.glob("*.grad")} | extra == expected
    present = {p.name for p in GALLERY.glob("*.svg")}
    assert present == expected, (
        f"run examples/gallery/make_gallery.py: missing {expected - present}, stale {present - expected}"
    )
    readme = (GALLERY / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in expected), "examples/gallery/README.md does not list every drawing"


def _graphviz_version(svg: bytes) -> str:
    marker = b"Generated by graphviz version "
    start = svg.index(marker) + len(marker)
    return svg[start : svg.index(b"\n", start)].decode().strip()


@needs_dot
def test_gallery_is_up_to_date(tmp_path):
    names = [
        "03_backward_trace.svg",
        "13_two_layer_net.svg",
        "29_vanishing_sigmoids.svg",
        "03_backward_trace_paths.svg",
    ]
    done = subprocess.run(
        [sys.executable, str(GALLERY / "make_gallery.py"), "--out", str(tmp_path), *names],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fresh = {name: (tmp_path / name).read_bytes() for name in names}
    committed = {name: (GALLERY / name).read_bytes() for name in names}
    here, there = _graphviz_version(fresh[names[0]]), _graphviz_version(committed[names[0]])
    if here != there:
        pytest.skip(f"the gallery was drawn with Graphviz {there}, this machine has {here}: layouts differ")
    stale = [name for name in names if fresh[name] != committed[name]]
    assert not stale, f"examples/gallery is stale ({stale}): run {GALLERY / 'make_gallery.py'}"


@needs_dot
def test_gallery_29_shades_from_pale_at_x_to_dark_at_the_output():
    root = parse_svg((GALLERY / "29_vanishing_sigmoids.svg").read_bytes())
    named = by_name(root)
    fills = [shapes(named[n])[0].get("fill") for n in ["x", *(f"s{k}" for k in range(1, 11))]]
    palette = ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"]
    ranks = [palette.index(f) for f in fills]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == len(palette) - 1, fills
    grads = [float(values_and_grads(named[n])[1]) for n in ["x", "s1", "s9", "s10"]]
    assert close(grads[0], 3.87522e-07, rel=1e-9) and grads[-1] == 1.0
