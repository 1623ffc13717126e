"""Charts as files: Matplotlib, loaded only by the commands that draw one.

Every chart gradcli writes (``plot``'s curves and fields, ``compare --sweep``'s error curves) is
a Matplotlib :class:`~matplotlib.figure.Figure` built without pyplot's global state and saved
here as SVG, PNG or PDF. The files are deterministic: SVG text stays text (searchable, and
escaped by Matplotlib's writer), ids are salted with a fixed string, and no date is written.
"""

from __future__ import annotations

import io
import re
from typing import Any

from gradcli.core.errors import InputProblem
from gradcli.core.lazy_numpy import load as load_numpy
from gradcli.core.limits import room_for_libraries

FORMATS = ("svg", "png", "pdf")
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "gradcli",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.usetex": False,
}
COLORS = {"f": "#1f5fa8", "f′": "#c8452b", "f″": "#2c8a3e", "path": "#e0301e", "kink": "#8a5a00", "gap": "#d8d8d8"}
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}, "png": {"Software": None}}


def matplotlib() -> Any:
    """The ``matplotlib`` module, loaded (outside the memory limit, as NumPy is) with NumPy first."""
    load_numpy()
    with room_for_libraries():
        import matplotlib
        from matplotlib.backends import backend_agg  # noqa: F401  (draws PNG; SVG and PDF load their own)
        from matplotlib.figure import Figure  # noqa: F401
    return matplotlib


def new_figure(width: float, height: float) -> Any:
    """An empty figure of ``width`` by ``height`` inches in gradcli's style."""
    mpl = matplotlib()
    from matplotlib.figure import Figure

    with mpl.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def format_of(path: str, default: str = "svg") -> str:
    """The file format a path asks for by its suffix; ``-`` (standard output) gets ``default``."""
    suffix = path.rpartition(".")[2].lower() if "." in path.rpartition("/")[2] else ""
    if path == "-":
        return default
    if suffix not in FORMATS:
        raise InputProblem("a chart is written as .svg, .png or .pdf", "output", path)
    return suffix


def figure_bytes(figure: Any, fmt: str) -> bytes:
    """The figure saved as ``fmt`` (svg, png or pdf), deterministically."""
    mpl = matplotlib()
    buffer = io.BytesIO()
    with mpl.rc_context(STYLE):
        figure.savefig(buffer, format=fmt, dpi=110, metadata=_METADATA[fmt])
    return buffer.getvalue()


def plain(text: str) -> str:
    """Text as Matplotlib shows it literally: ``$`` would start mathematics."""
    return text.replace("$", r"\$")


def one_line(text: str, limit: int = 90) -> str:
    """A program as a title: its comments left out, its lines joined, cut with an ellipsis beyond
    ``limit`` characters."""
    joined = " ".join(re.sub(r"#[^\n]*", " ", text).split())
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"
