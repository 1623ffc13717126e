"""What ``gradcli graph`` makes: a drawing, a step-through page, frames; as bytes per file.

Everything is produced in memory first, so a failure (bad input, Graphviz missing)
writes nothing at all; :mod:`gradcli.render.output_files` then writes it all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from gradcli.ad.evaluation import Evaluation
from gradcli.ad.symbolic import checked_names
from gradcli.core.errors import InputProblem, argument
from gradcli.core.graph import Program
from gradcli.render.dot import DotOptions, to_dot
from gradcli.render.graphviz_render import FORMATS, render
from gradcli.render.output_files import STDOUT, FrameFolder, Output

EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
BINARY_FORMATS = ("png", "pdf")
FRAME_NAME = re.compile(r"step\d+_(forward|backward)\.svg")  # also frames an earlier run left, to remove


class GraphRequest(NamedTuple):
    """How to draw: where, in which format and layout, what to pick out, and what else to write."""

    output: str | None = None
    fmt: str | None = None
    rankdir: str = "LR"
    edge_labels: bool = False
    highlight: tuple[str, ...] = ()
    html: str | None = None
    frames: str | None = None
    max_nodes: int = 1000

    @property
    def stepping(self) -> bool:
        """A step-through page or frames are asked for: they need values."""
        return self.html is not None or self.frames is not None


def drawing_format(request: GraphRequest) -> tuple[str, str]:
    """The layout direction and the format asked for, checked."""
    rankdir = request.rankdir.upper()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise InputProblem("choose LR, TB, RL or BT", "rankdir", request.rankdir)
    return rankdir, output_format(request.output, request.fmt)


def output_format(output: str | None, fmt: str | None) -> str:
    """The format asked for, or the one -o's extension implies; DOT by default."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise InputProblem(f"choose one of {', '.join(FORMATS)}", "fmt", fmt)
        return fmt
    if output is None:
        return "dot"
    suffix = Path(output).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        what = f"'{suffix}'" if suffix else "a name without an extension"
        raise InputProblem(f"cannot tell the format from {what} (use {known}, or {argument('fmt')})", "output", output)
    return EXTENSIONS[suffix]


def make_drawings(
    drawn: Program | Evaluation, request: GraphRequest, note: Callable[[str], None], terminal: bool = False
) -> tuple[list[Output], FrameFolder | None]:
    """The outputs to write (standard output, ``-``, gets DOT when nothing else is asked for) and the frames.

    ``terminal`` says standard output is a terminal: a PNG or PDF is not sent there.
    """
    rankdir, fmt = drawing_format(request)
    program = drawn.program if isinstance(drawn, Evaluation) else drawn
    big = program.size > request.max_nodes
    highlight = tuple(checked_names(program, request.highlight, "highlight")) if request.highlight else ()
    dot = to_dot(drawn, DotOptions(rankdir, request.edge_labels, highlight, fast_layout=big))
    wants_steps = request.stepping
    if wants_steps and not isinstance(drawn, Evaluation):
        raise InputProblem(
            f"{argument('html')} and {argument('frames')} step through values: "
            f"give every input a value with {argument('at')}"
        )
    to_stdout = request.output is None and not wants_steps
    if to_stdout and terminal and fmt in BINARY_FORMATS:
        raise InputProblem(
            f"{fmt.upper()} is binary: write it to a file with {argument('output')} FILE.{fmt}, "
            f"or pipe it: gradcli graph ... {argument('fmt')} {fmt} > g.{fmt}"
        )
    if big and (fmt != "dot" or wants_steps):
        note(
            f"{program.size:,} nodes (more than {argument('max_nodes')} {request.max_nodes:,}): "
            "Graphviz is laying them out "
            "with its faster, rougher settings; this can still take a while"
        )
    outputs: list[Output] = []
    if request.output is not None:
        outputs.append(Output(f"{argument('output')}", request.output, render(dot, fmt), fmt in BINARY_FORMATS))
    frames = None
    if wants_steps:
        page, frames = _step_outputs(drawn, dot, request, note)
        outputs.extend(page)
    if to_stdout:
        outputs.append(Output("standard output", STDOUT, render(dot, fmt), fmt in BINARY_FORMATS))
    return outputs, frames


def _step_outputs(
    ev: Evaluation, dot: str, request: GraphRequest, note: Callable[[str], None]
) -> tuple[list[Output], FrameFolder | None]:
    """The step-through page (``--html``) and the frames (``--frames``), as asked."""
    from gradcli.explain.steps import build_steps
    from gradcli.render.frames import frame_svgs

    svg = render(dot, "svg").decode("utf-8")
    steps = build_steps(ev)
    frames = None
    if request.frames is not None:
        if len(steps) > 200:
            note(f"writing {len(steps):,} frames into {request.frames}")
        width = len(str(len(steps)))
        files = [
            (f"step{k:0{width}d}_{step.phase}.svg", frame.encode("utf-8"))
            for k, (step, frame) in enumerate(zip(steps, frame_svgs(svg, steps)), start=1)
        ]
        frames = FrameFolder(f"{argument('frames')}", request.frames, files, FRAME_NAME)
    page = []
    if request.html is not None:
        from gradcli.render.html import step_page

        page.append(Output(f"{argument('html')}", request.html, step_page(ev, svg, steps).encode("utf-8")))
    return page, frames
