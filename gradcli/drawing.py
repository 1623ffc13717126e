"""What ``gradcli graph`` makes: a drawing, a step-through page, frames; as bytes per file.

Everything is produced in memory first, so a failure (bad input, Graphviz missing)
writes nothing at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from gradcli.errors import InputProblem
from gradcli.evaluation import Evaluation, evaluate
from gradcli.graph import MultipleOutputs, Program
from gradcli.parser import parse
from gradcli.points import parse_point
from gradcli.render.dot import DotOptions, to_dot
from gradcli.render.graphviz_render import FORMATS, render

EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class GraphRequest(NamedTuple):
    source: str
    at: Sequence[str] = ()
    output: str | None = None
    fmt: str | None = None
    rankdir: str = "LR"
    edge_labels: bool = False
    highlight: tuple[str, ...] = ()
    html: str | None = None
    frames: str | None = None
    structure: bool = False
    max_nodes: int = 1000
    of: str | None = None  # with several outputs: the one whose gradients are drawn


def output_format(output: str | None, fmt: str | None) -> str:
    """The format asked for, or the one -o's extension implies; DOT by default."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise InputProblem(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
        return fmt
    if output is None:
        return "dot"
    suffix = Path(output).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        raise InputProblem(f"-o {output}: cannot tell the format from '{suffix}' (use {known}, or --format)")
    return EXTENSIONS[suffix]


def subject(request: GraphRequest, note: Callable[[str], None] = lambda _: None) -> Program | Evaluation:
    """The evaluation to draw, or just the program when values are missing or not wanted.

    A program with several outputs is drawn as structure, unless ``of`` picks the output
    whose gradients fill the nodes.
    """
    program = parse(request.source)
    if request.of is not None:
        program = program.select(program.output_index(request.of))
    if request.structure:
        return program
    point = parse_point(request.at)
    if not (point or all(name in program.defaults for name in program.inputs)):
        return program
    if len(program.outputs) > 1:
        if request.html is not None or request.frames is not None:
            raise MultipleOutputs(program)  # stepping through needs one output's backward pass
        note("the program has several outputs: drawing its structure; --of OUTPUT draws one output's gradients")
        return program
    return evaluate(program, point)


def make_drawings(request: GraphRequest, note: Callable[[str], None]) -> tuple[list[tuple[Path, bytes]], bytes | None]:
    """The files to write and what goes to stdout (DOT when nothing else is asked for)."""
    rankdir = request.rankdir.upper()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise InputProblem(f"--rankdir {request.rankdir}: choose LR, TB, RL or BT")
    fmt = output_format(request.output, request.fmt)
    drawn = subject(request, note)
    program = drawn.program if isinstance(drawn, Evaluation) else drawn
    big = program.size > request.max_nodes
    dot = to_dot(drawn, DotOptions(rankdir, request.edge_labels, request.highlight, fast_layout=big))
    if big and (fmt != "dot" or request.html or request.frames):
        note(
            f"{program.size:,} nodes (more than --max-nodes {request.max_nodes:,}): Graphviz is laying them out "
            "with its faster, rougher settings; this can still take a while"
        )
    files: list[tuple[Path, bytes]] = []
    wants_steps = request.html is not None or request.frames is not None
    if wants_steps and not isinstance(drawn, Evaluation):
        raise InputProblem("--html and --frames step through values: give every input a value with --at")
    if request.output is not None:
        files.append((Path(request.output), render(dot, fmt)))
    if wants_steps:
        files.extend(_step_files(drawn, dot, request, note))
    stdout = render(dot, fmt) if request.output is None and not wants_steps else None
    return files, stdout


def _step_files(
    ev: Evaluation, dot: str, request: GraphRequest, note: Callable[[str], None]
) -> list[tuple[Path, bytes]]:
    from gradcli.render.frames import frame_svgs
    from gradcli.steps import build_steps

    svg = render(dot, "svg").decode("utf-8")
    steps = build_steps(ev)
    files = []
    if request.frames is not None:
        folder = Path(request.frames)
        if len(steps) > 200:
            note(f"writing {len(steps):,} frames into {folder}")
        width = len(str(len(steps)))
        for k, (step, frame) in enumerate(zip(steps, frame_svgs(svg, steps)), start=1):
            files.append((folder / f"step{k:0{width}d}_{step.phase}.svg", frame.encode("utf-8")))
    if request.html is not None:
        from gradcli.render.html import step_page

        files.append((Path(request.html), step_page(ev, svg, steps).encode("utf-8")))
    return files


FRAME_NAME = re.compile(r"step\d+_(forward|backward)\.svg")


def write_files(files: list[tuple[Path, bytes]]) -> None:
    """Write all files or none: folders first, then temporary files, then renames.

    Frames left in a folder by an earlier run (``step*_forward.svg``...) are removed
    once the new ones are in place, so a folder never mixes two programs.
    """
    for path, _ in files:
        path.parent.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    for path, data in files:
        temporary = path.with_name(f".{path.name}.gradcli-tmp")
        try:
            temporary.write_bytes(data)
        except OSError as error:
            for done, _ in written:
                done.unlink(missing_ok=True)
            raise OSError(error.errno, error.strerror, str(path)) from None  # name the file asked for
        written.append((temporary, path))
    new = {path for _, path in written}
    for folder in {path.parent for path in new if FRAME_NAME.fullmatch(path.name)}:
        for old in folder.iterdir():
            if FRAME_NAME.fullmatch(old.name) and old not in new:
                old.unlink()
    for temporary, path in written:
        os.replace(temporary, path)
