"""Running the real Graphviz ``dot`` program on DOT text (through the graphviz package)."""

from __future__ import annotations

from gradcli.errors import GradcliError

FORMATS = ("svg", "png", "pdf", "dot")

INSTALL_HINT = (
    "Graphviz's 'dot' program is not installed, so {fmt} cannot be drawn: install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda: conda install graphviz), "
    "or write DOT instead (-o FILE.dot or --format dot; --html and --frames need dot)"
)


class GraphvizMissing(GradcliError):
    """The ``dot`` executable is not on PATH."""


class GraphvizFailed(GradcliError):
    """``dot`` ran and failed."""


def render(dot_text: str, fmt: str) -> bytes:
    """The drawing of ``dot_text`` in ``fmt`` (svg, png, pdf), or the DOT itself for ``dot``."""
    if fmt == "dot":
        return dot_text.encode("utf-8")
    import graphviz

    try:
        return graphviz.pipe("dot", fmt, dot_text.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(INSTALL_HINT.format(fmt=fmt.upper())) from None
    except graphviz.CalledProcessError as error:
        detail = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise GraphvizFailed(f"Graphviz could not draw the graph: {detail[-1] if detail else error}") from None


def svg_text(dot_text: str) -> str:
    return render(dot_text, "svg").decode("utf-8")


def notebook_svg(subject) -> str | None:
    """SVG for Jupyter's ``_repr_svg_``; None (so the text repr shows) without Graphviz."""
    from gradcli.render.dot import to_dot

    try:
        return svg_text(to_dot(subject))
    except GraphvizMissing:
        return None
