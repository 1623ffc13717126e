"""Charts of a program over a range as figures (SVG, PNG, PDF), and the library's :func:`plot`.

:func:`curves_figure` stacks f, f′ and f″ over one input with the extremes annotated, kinks as
dotted lines and gaps shaded; :func:`field_figure` fills the contours of f over two inputs with
the gradient's direction as arrows, and beside it f along a descent path. :func:`plot` builds
either from a program and returns a :class:`Chart`, which a notebook shows and a test reads.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from gradcli.ad.descent import descend
from gradcli.core.errors import InputProblem
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import np
from gradcli.explain.curves import Curves, Field, curves, field
from gradcli.render.figures import COLORS, figure_bytes, format_of, new_figure, one_line, plain
from gradcli.render.range_report import descent_summary, gap_sentence, optimizer_name
from gradcli.render.text_charts import broken_at_jumps, tidy, view_limits
from gradcli.syntax.parser import parse
from gradcli.syntax.points import Range

CURVE_POINTS = 401  # points of a curve unless asked: the middle of -4:4 falls on one
FIELD_POINTS = 121  # points along each axis of a field
ARROWS = 19  # arrows along each axis of a field
MAX_CHART_POINTS = 10_000  # along one input: more than a chart's pixels
MAX_FIELD_POINTS = 256  # along each input of a field: 256 by 256 points make one batch (CHUNK)


def curves_figure(c: Curves) -> Any:
    """f, f′ (and f″) in stacked panels sharing the x axis."""
    fig = new_figure(7.5, 1.0 + 2.3 * len(c.curves))
    axes = fig.subplots(len(c.curves), 1, sharex=True, squeeze=False)[:, 0]
    held = ", ".join(f"{k} = {tidy(v, 0)}" for k, v in c.held.items() if np.ndim(v) == 0)
    title = f"f({c.name}) = {one_line(c.program.source)}" + (f"   ({held})" if held else "")
    fig.suptitle(plain(title))
    span = float(c.x[-1] - c.x[0])
    for ax, curve in zip(axes, c.curves):
        color = COLORS.get(curve.label, "#333")
        ax.plot(*broken_at_jumps(c.x, curve.values, [k.x for k in c.kinks]), color=color, linewidth=1.8,
                gid=f"curve-{curve.label}")  # fmt: skip
        ax.set_ylabel(plain(f"{curve.label}({c.name})"))
        limits = view_limits(curve.values)
        if limits:
            pad = 0.08 * (limits[1] - limits[0])
            ax.set_ylim(limits[0] - pad, limits[1] + pad)
        for e in curve.extremes:
            ax.plot([e.x], [e.value], "o", color=color, markersize=5, gid=f"{e.kind}-{curve.label}")
            label = f"{curve.label} {e.kind} {tidy(e.value, 0, 6)} at {c.name} = {tidy(e.x, span, 6)}"
            ax.annotate(plain(label), (e.x, e.value), xytext=(0, -18 if e.kind == "max" else 12),
                        textcoords="offset points", fontsize=9, color=color, ha="center",
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})  # fmt: skip
        for k in c.kinks:
            ax.axvline(k.x, color=COLORS["kink"], linestyle=":", linewidth=1.2, gid="kink")
        for gap in (g for g in c.gaps if g.curve in ("f", curve.label)):  # no derivative where f has no value
            ax.axvspan(gap.start, gap.stop, color=COLORS["gap"], alpha=0.6, linewidth=0, gid="gap")
    for k in c.kinks[:4]:
        axes[0].annotate(plain(f"kink: {k.node}"), (k.x, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(3, -12), textcoords="offset points", fontsize=8, color=COLORS["kink"])  # fmt: skip
    axes[-1].set_xlabel(plain(c.name))
    notes = [gap_sentence(g, c.name) for g in c.gaps[:3]]
    if notes:
        fig.text(0.01, 0.0, plain("\n".join(notes)), fontsize=8, va="bottom", ha="left", wrap=True)
        fig.get_layout_engine().set(rect=(0, 0.04 * len(notes), 1, 1 - 0.04 * len(notes)))
    return fig


def field_figure(f: Field) -> Any:
    """Filled contours of f, the gradient's direction as arrows, the descent path and f along it."""
    fig = new_figure(11.5 if f.descent is not None else 6.8, 5.2)
    if f.descent is not None:
        ax, along = fig.subplots(1, 2, width_ratios=(1.25, 1))
    else:
        ax, along = fig.subplots(1, 1), None
    a, b = f.names
    fig.suptitle(plain(f"f({a}, {b}) = {one_line(f.program.source)}"))
    finite = f.values[np.isfinite(f.values)]
    if finite.size:
        levels = np.unique(np.quantile(finite, np.linspace(0, 1, 25)))
        if len(levels) >= 2:
            filled = ax.contourf(f.x, f.y, f.values, levels=levels, cmap="viridis")
            filled.set_gid("contours")
            bar = fig.colorbar(filled, ax=ax, label="f (levels by rank)")
            bar.ax.tick_params(labelsize=8)
    step_x, step_y = max(1, len(f.x) // ARROWS), max(1, len(f.y) // ARROWS)
    gx, gy = (g[::step_y, ::step_x] for g in f.gradient)
    with np.errstate(all="ignore"):
        norm = np.hypot(gx, gy)
        u, v = np.where(norm > 0, gx / norm, 0.0), np.where(norm > 0, gy / norm, 0.0)
    ax.quiver(f.x[::step_x], f.y[::step_y], u, v, color="white", alpha=0.75, scale=ARROWS * 1.6, width=0.003,
              gid="gradient")  # fmt: skip
    ax.set_xlabel(plain(a))
    ax.set_ylabel(plain(b))
    ax.set_xlim(f.x[0], f.x[-1])
    ax.set_ylim(f.y[0], f.y[-1])
    ax.set_title("arrows: the gradient's direction (steepest ascent)", fontsize=9)
    if f.descent is not None:
        _descent(ax, along, f)
    return fig


def _descent(ax: Any, along: Any, f: Field) -> None:
    d = f.descent
    path = d.points
    ax.plot(path[:, 0], path[:, 1], color=COLORS["path"], linewidth=1.6, gid="descent-path")
    ax.plot(path[:1, 0], path[:1, 1], "o", color=COLORS["path"], markersize=6, gid="descent-start")
    ax.plot(path[-1:, 0], path[-1:, 1], "*", color="white", markeredgecolor=COLORS["path"], markersize=12,
            gid="descent-end")  # fmt: skip
    steps = np.arange(len(d.values))
    values = np.where(np.isfinite(d.values), d.values, np.nan)  # a diverged path ends at inf: no point to draw
    finite = values[np.isfinite(values)]
    positive = finite.size > 0 and bool(np.all(finite > 0))
    # log10 f on a linear axis, as the terminal chart does: Matplotlib's log axis fails (OverflowError in its
    # tick labels) over the hundreds of decades of a diverging path
    log = positive and finite.max() > 1e3 * finite.min()
    along.plot(steps, np.log10(values) if log else values, color=COLORS["path"], linewidth=1.6, gid="descent-values")
    along.set_xlabel("step")
    along.set_ylabel("log10 f" if log else "f")
    summary = textwrap.fill(descent_summary(d, len(path) - 1), 72)
    along.set_title(plain(f"f along the path ({optimizer_name(d)})\n{summary}"), fontsize=9)


# ---------------------------------------------------------------- the library's plot()


LARGEST_DRAWN = 1e300  # Matplotlib's axes and colour bars fail (ValueError, singular matrix) near the largest float


def drawable(data: Curves | Field) -> None:
    """Refuse values Matplotlib cannot place on an axis (``1e308*x``, ``--over x=1e308:1.7e308``),
    naming the first such input or curve."""
    if isinstance(data, Curves):
        named = [(data.name, data.x), *((f"{c.label}({data.name})", c.values) for c in data.curves)]
    else:
        named = [(data.names[0], data.x), (data.names[1], data.y), ("f", data.values)]
        if data.descent is not None:
            named.append(("f along the descent", data.descent.values))
    for label, values in named:
        finite = np.abs(np.asarray(values, dtype=np.float64))
        finite = finite[np.isfinite(finite)]
        if finite.size and finite.max() > LARGEST_DRAWN:
            raise InputProblem(
                f"{label} reaches {finite.max():.4g} here: too large to draw into a file (at most {LARGEST_DRAWN:g}); "
                "without `output` the chart in text shows it"
            )


class Chart:
    """A chart of a program over a range: ``data`` (a :class:`~gradcli.explain.curves.Curves` or
    :class:`~gradcli.explain.curves.Field`, the arrays behind it), shown by a notebook as SVG."""

    def __init__(self, data: Curves | Field) -> None:
        self.data = data

    def figure(self) -> Any:
        """The Matplotlib figure (a new one each call)."""
        drawable(self.data)
        return curves_figure(self.data) if isinstance(self.data, Curves) else field_figure(self.data)

    def to_bytes(self, fmt: str = "svg") -> bytes:
        """The chart as a file's bytes: ``svg``, ``png`` or ``pdf``."""
        return figure_bytes(self.figure(), format_of(f"chart.{fmt}"))

    def _repr_svg_(self) -> str:
        return self.to_bytes("svg").decode("utf-8")

    def __repr__(self) -> str:
        kind = "curves" if isinstance(self.data, Curves) else "field"
        return f"Chart({kind} of {one_line(self.data.program.source, 60)!r})"


def plot(
    program: Program | str,
    over: Mapping[str, tuple[float, float] | Range],
    at: Mapping[str, Any] | None = None,
    order: int = 1,
    points: int | None = None,
    descend_from: Mapping[str, float] | None = None,
    learning_rate: float = 0.001,
    iterations: int = 1000,
    optimizer: str = "sgd",
) -> Chart:
    """A chart of ``program`` over ``over``: ``{"x": (-4, 4)}`` gives f and f′ along x (f″ too with
    ``order=2``); two inputs give f's contours and gradient field, with the path of gradient descent
    from ``descend_from`` when given."""
    if isinstance(program, str):
        program = parse(program)
    if points is not None and not 2 <= points <= MAX_CHART_POINTS:
        raise InputProblem(f"{points}: a chart takes from 2 to {MAX_CHART_POINTS:,} points along an input", "points")
    ranges = [r if isinstance(r, Range) else Range(name, float(r[0]), float(r[1])) for name, r in over.items()]
    if len(ranges) == 1:
        if descend_from:
            raise InputProblem("a descent path is drawn over two inputs", "descend_from")
        return Chart(curves(program, ranges[0].name, ranges[0].values(points or CURVE_POINTS), at, order))
    if len(ranges) != 2:
        raise InputProblem("a chart is over one input (curves) or two (a field)", "over")
    if order != 1:
        raise InputProblem("a field shows f and its gradient; order 2 is for curves of one input", "order")
    descent = None
    names = (ranges[0].name, ranges[1].name)
    if descend_from:
        if set(descend_from) != set(names):
            raise InputProblem(f"start from a point of both {names[0]} and {names[1]}", "descend_from")
        start = {name: descend_from[name] for name in names}
        descent = descend(program, start, learning_rate, iterations, optimizer, at)
    if max(r.size(points or FIELD_POINTS) for r in ranges) > MAX_FIELD_POINTS:
        raise InputProblem(f"a field takes at most {MAX_FIELD_POINTS} points along each input", "points")
    grid = [r.values(points or FIELD_POINTS) for r in ranges]
    return Chart(field(program, names, grid[0], grid[1], at, descent))


def chart_bytes(chart: Chart, path: str) -> bytes:
    """The chart in the format ``path`` asks for by its suffix."""
    return chart.to_bytes(format_of(path))
