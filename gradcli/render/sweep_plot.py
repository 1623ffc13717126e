"""Renderers of a step sweep (:mod:`gradcli.check.sweep`): a rich table, a plain-text plot, a
Matplotlib figure (written as SVG, PNG or PDF by :mod:`gradcli.render.figures`) and JSON.

Every plot is log-log: log10(relative error) against log10(h), h growing to the right, so
each method draws a V: cancellation (slope -1) on the left, truncation on the right
(slope +1 forward, +2 central). Errors of exactly 0 are drawn at
:data:`~gradcli.check.sweep.ERROR_FLOOR`; nan errors are not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from gradcli.check.sweep import ERROR_FLOOR, Sweep, SweepRow, plotted_error, theory_steps
from gradcli.core.numbers import format_number, json_number
from gradcli.render.figures import new_figure, one_line, plain

FORWARD, CENTRAL, BOTH = "f", "c", "*"  # plot symbols; the best step of each is upper case
FORWARD_FORMULA = "(f(x+h) - f(x))/h"
CENTRAL_FORMULA = "(f(x+h) - f(x-h))/2h"
BEST = "◀ best"


def _num(value: float) -> str:
    return format_number(value, 12)


def _step(value: float) -> str:
    return f"{value:.3g}"


def _err(value: float) -> str:
    if value != value:
        return "nan"
    return "0" if value == 0 else f"{value:.1e}"


def _heading(s: Sweep) -> str:
    return f"d/d{s.name} at {s.name} = {_num(s.x)}: exact (reverse mode) {_num(s.exact)}"


# ---------------------------------------------------------------- rich table


METHODS = ("forward", "central")  # the differences a sweep compares, in table order


def sweep_table(sweeps: Sequence[Sweep], console) -> None:
    """One table per input: h, forward difference and its relative error, central
    difference and its relative error; the best step of each method marked. Where that does
    not fit the console, a table per method, then a line per step."""
    from rich.text import Text

    from gradcli.render.layout import Adaptive, Stripped

    for s in sweeps:
        console.print(Stripped(Adaptive(*_sweep_layouts(s))))
        if s.kink:
            console.print(Stripped(Text(f"~ {s.name} sits on a kink: {s.kink}", style="yellow")))
    if sweeps:
        console.print(Stripped(Text(_explanation(), style="dim")))


def _sweep_layouts(s: Sweep) -> list[Callable[[int], Any]]:
    """Widest first: both methods in one table; a table per method, boxed, then compact; a line per step."""
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.layout import records, title

    def tables(*groups: Sequence[str], boxed: bool) -> Callable[[int], Group]:
        def make(width: int) -> Group:
            grids = [_sweep_grid(s, methods, boxed) for methods in groups]
            spaced = [part for grid in grids for part in (Text(""), grid)][1:]
            return Group(title(_heading(s), width), *spaced)

        return make

    apart = [(method,) for method in METHODS]
    return [
        tables(METHODS, boxed=True),
        tables(*apart, boxed=True),
        tables(*apart, boxed=False),
        lambda width: Group(title(_heading(s), width), records(_sweep_lines(s), width)),
    ]


def _sweep_grid(s: Sweep, methods: Sequence[str], boxed: bool):
    """h, then each method's difference and relative error: boxed with full headers, or compact."""
    from rich.table import Table
    from rich.text import Text

    from gradcli.render.layout import Column, add_columns

    columns = [Column("h", numeric=True)]
    for method in methods:
        columns += [
            Column(f"{method} difference" if boxed else method, numeric=True),
            Column("rel. error", numeric=True),
        ]
    table = Table() if boxed else Table(box=None, show_edge=False, padding=(0, 1), pad_edge=False)
    add_columns(table, columns)
    for row in s.rows:
        cells = [_step(row.step)]
        for method in methods:
            best = _is(row, getattr(s, f"best_{method}"))
            cells += [_num(getattr(row, method)), _error_cell(Text, getattr(row, f"{method}_error"), best)]
        table.add_row(*cells)
    return table


def _sweep_lines(s: Sweep) -> list[list[str]]:
    """A line per step: h, then each method's difference with its relative error."""
    lines = []
    for row in s.rows:
        pieces = [f"h = {_step(row.step)}"]
        for method in METHODS:
            error = _err(getattr(row, f"{method}_error"))
            best = f" {BEST}" if _is(row, getattr(s, f"best_{method}")) else ""
            pieces.append(f"{method} {_num(getattr(row, method))} ({error}{best})")
        lines.append(pieces)
    return lines


def _is(row: SweepRow, best: SweepRow | None) -> bool:
    return best is not None and row.step == best.step


def _error_cell(Text, error: float, best: bool):
    if best:
        return Text(f"{_err(error)} {BEST}", style="bold green")
    return Text(_err(error))


def _explanation() -> str:
    fwd, cen = theory_steps(1.0)
    return (
        f"forward {FORWARD_FORMULA}, central {CENTRAL_FORMULA}; "
        "relative error |exact - difference| / max(|exact|, |difference|, 1e-8). Truncation shrinks with h "
        "(forward O(h), central O(h^2)); cancellation grows as h shrinks (~eps/h, eps = 2.2e-16). "
        f"In theory the best h is about sqrt(eps) = {fwd:.1e} forward, eps^(1/3) = {cen:.1e} central, "
        "times max(1, |x|)."
    )


MAX_SWEEPS_SHOWN = 8  # inputs whose sweep the terminal shows; --json has every one


def sweep_report(sweeps: Sequence[Sweep], console) -> None:
    """The terminal report: :func:`sweep_table`, then :func:`sweep_ascii` of each input (of the
    first :data:`MAX_SWEEPS_SHOWN`), sized to the console's width."""
    from rich.text import Text

    shown = sweeps[:MAX_SWEEPS_SHOWN]
    sweep_table(shown, console)
    width = max(16, min(64, console.width - 10))
    for s in shown:
        console.print()
        console.print(Text(sweep_ascii(s, width=width)), no_wrap=True, overflow="crop")
    if len(sweeps) > len(shown):
        console.print()
        console.print(
            Text(
                f"{len(sweeps)} inputs: the sweeps of the first {len(shown)} are shown; "
                "--wrt picks others, --json has every one",
                style="dim",
            )
        )


# ---------------------------------------------------------------- plain-text plot


def _decades(values: list[float]) -> tuple[int, int]:
    """Whole decades around log10 of the values: (low, high), high > low."""
    if not values:
        return 0, 1
    lo, hi = math.floor(min(values) + 1e-9), math.ceil(max(values) - 1e-9)
    return (lo, hi) if hi > lo else (lo, lo + 1)


def _ranges(s: Sweep) -> tuple[tuple[int, int], tuple[int, int]]:
    xs = [math.log10(r.step) for r in s.rows]
    ys = [math.log10(e) for r in s.rows for e in map(plotted_error, (r.forward_error, r.central_error)) if e]
    return _decades(xs), _decades(ys)


def _tick_step(span: int, cells: float, label: int) -> int:
    """Decades between ticks so that ticks are at least ``label`` cells apart."""
    for step in (1, 2, 3, 4, 5, 10, 20, 50, 100):
        if step * cells / span >= label or step >= span:
            return step
    return span


def _has_undrawn(s: Sweep) -> bool:
    return any(plotted_error(e) is None for r in s.rows for e in (r.forward_error, r.central_error))


def _has_zero(s: Sweep) -> bool:
    return any(e == 0 for r in s.rows for e in (r.forward_error, r.central_error))


def sweep_ascii(sweep: Sweep, width: int = 64, height: int = 16) -> str:
    """log10(relative error) against log10(h) in plain ASCII (input names aside).

    The plot area is ``height`` rows of ``width`` cells. Lines: a title; ``height`` plot
    rows, each ``label |cells`` with decade labels (``1e-8``) on some rows; the x axis
    ``+----+----`` (``+`` at ticks); the tick labels; the axis title; the legend: a line
    for each method with its best step, a line for ``*``, then notes (errors of 0, nan).
    Points: ``f`` forward, ``c`` central, ``F``/``C`` their best step (shown over the other
    method), ``*`` both in one cell. No trailing newline, no trailing spaces."""
    if width < 16 or height < 4:
        raise ValueError("sweep_ascii: width must be at least 16 and height at least 4")
    (x0, x1), (y0, y1) = _ranges(sweep)
    grid = [[" "] * width for _ in range(height)]

    def col(h: float) -> int:
        return round((math.log10(h) - x0) / (x1 - x0) * (width - 1))

    def row(e: float) -> int:
        return round((y1 - math.log10(e)) / (y1 - y0) * (height - 1))

    curves = ((FORWARD, "forward_error", sweep.best_forward), (CENTRAL, "central_error", sweep.best_central))
    for symbol, error, best in curves:
        for r in sweep.rows:
            e = plotted_error(getattr(r, error))
            if e is None:
                continue
            i, j = row(e), col(r.step)
            mark = symbol.upper() if _is(r, best) else symbol
            grid[i][j] = _overlay(grid[i][j], mark)

    ystep = _tick_step(y1 - y0, height - 1, 2)
    ylabels = {row(10.0**t): f"1e{t}" for t in range(y1, y0 - 1, -1) if t % ystep == 0}
    gutter = max(len(label) for label in ylabels.values()) if ylabels else 4
    lines = [f"relative error of d/d{sweep.name} at {sweep.name} = {_num(sweep.x)} (log-log)"]
    for i in range(height):
        lines.append(f"{ylabels.get(i, ''):>{gutter}} |{''.join(grid[i])}".rstrip())

    xstep = _tick_step(x1 - x0, width - 1, 7)
    xticks = [t for t in range(x1, x0 - 1, -1) if (t - x1) % xstep == 0]
    axis = ["-"] * width
    labels = [" "] * (width + 8)
    free = len(labels) + 1  # labels go right to left, each ending a space before the last placed
    for t in xticks:
        j = col(10.0**t)
        axis[j] = "+"
        text = f"1e{t}"
        start = max(0, j - len(text) // 2)
        if start + len(text) < free:
            labels[start : start + len(text)] = text
            free = start
    lines.append(" " * gutter + " +" + "".join(axis))
    lines.append((" " * (gutter + 2) + "".join(labels)).rstrip())
    lines.append(" " * (gutter + 2) + "step h".center(width).rstrip())
    lines.extend(_legend(sweep))
    return "\n".join(lines)


def _overlay(here: str, mark: str) -> str:
    """What a cell shows when ``mark`` lands on ``here``: a best step (upper case) wins over
    an ordinary point, two ordinary points of different methods (or two bests) make ``*``."""
    if here == " " or (here.lower() == mark.lower() and mark.isupper()):
        return mark
    if here.lower() == mark.lower() or here.isupper() != mark.isupper():
        return here if here.isupper() or here.lower() == mark.lower() else mark
    return BOTH


def _best_text(best: SweepRow | None, error: str) -> str:
    if best is None:
        return "no finite error"
    return f"best h = {_step(best.step)}, error {_err(getattr(best, error))}"


def _legend(s: Sweep) -> list[str]:
    lines = [
        f"  {FORWARD} forward  {_best_text(s.best_forward, 'forward_error')} ({FORWARD.upper()})",
        f"  {CENTRAL} central  {_best_text(s.best_central, 'central_error')} ({CENTRAL.upper()})",
        f"  {BOTH} both in one cell",
    ]
    if _has_zero(s):
        lines.append(f"  errors of 0 drawn at {ERROR_FLOOR:.0e}")
    if _has_undrawn(s):
        lines.append("  nan errors not drawn")
    return lines


# ---------------------------------------------------------------- Matplotlib figure

_COLORS = {"forward": "#d95f02", "central": "#1b9e77"}
_WIDTH, _PANEL = 8.0, 5.2  # figure width, height of one input's panel (inches)
_MARKERS = {
    "forward": {"linestyle": (0, (6, 3)), "linewidth": 1.5, "marker": "o", "markersize": 3.5},
    "central": {"linestyle": "-", "linewidth": 2.5, "marker": "s", "markersize": 5},
}


def sweep_figure(sweeps: Sequence[Sweep], title: str) -> Any:
    """A Matplotlib figure: one log-log panel per input, stacked, with the forward (dashed,
    small dots) and central (solid, squares) error curves, a gap where an error is nan, the
    best step of each method ringed and labelled, dotted lines at the textbook steps
    sqrt(eps) and eps^(1/3), and a legend under each panel. ``title`` (the program) heads
    it on one line, all text literal (:func:`~gradcli.render.figures.plain`). The artists carry
    ids (``gid``, the ids of their groups in SVG): ``forward-NAME`` and ``central-NAME`` (the
    curves), ``best-forward-NAME``, ``best-central-NAME`` (the rings), ``theory-forward-NAME``,
    ``theory-central-NAME`` (the textbook steps) and ``legend-NAME``. Only the first
    :data:`MAX_SWEEPS_SHOWN` inputs get a panel, as in the terminal; a note (``more-inputs``) says so."""
    shown = sweeps[:MAX_SWEEPS_SHOWN]
    figure = new_figure(_WIDTH, 0.6 + len(shown) * _PANEL + (0.4 if len(sweeps) > len(shown) else 0) if sweeps else 2.0)
    figure.suptitle(plain(one_line(title)))
    if not sweeps:
        figure.text(0.5, 0.45, "no inputs to sweep", ha="center", va="center")
        return figure
    for s, ax in zip(shown, figure.subplots(len(shown), 1, squeeze=False)[:, 0]):
        _axes(s, ax)
    if len(sweeps) > len(shown):
        note = f"{len(sweeps)} inputs: the first {len(shown)} are drawn; --wrt picks others, --json has every one"
        figure.supxlabel(note, fontsize=9, color="#555555", gid="more-inputs")
    return figure


def _axes(s: Sweep, ax: Any) -> None:
    (x0, x1), (y0, y1) = _ranges(s)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(10.0 ** (x0 - 0.35), 10.0 ** (x1 + 0.35))  # room for the rings at either end
    # room under the lowest point for the label below its ring: about a tenth of the panel's height
    ax.set_ylim(10.0 ** (y0 - 0.12 * (y1 - y0 + 1)), 10.0 ** (y1 + 0.25))
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error vs reverse mode")
    ax.set_title(plain(_heading(s)), loc="left", pad=20 if s.kink else 6)
    if s.kink:
        ax.annotate(
            plain("on a kink: " + s.kink),
            (0, 1),
            xycoords="axes fraction",
            xytext=(0, 5),
            textcoords="offset points",
            va="bottom",
            color="#a15c00",
            fontsize=9,
        )
    _theory_lines(s, ax, (x0, x1))
    steps = [r.step for r in s.rows]
    handles = []
    # central first, so forward's smaller dots stay visible where they coincide
    for method, best in (("central", s.best_central), ("forward", s.best_forward)):
        errors = [plotted_error(getattr(r, f"{method}_error")) for r in s.rows]
        (line,) = ax.plot(
            steps,
            [math.nan if e is None else e for e in errors],
            color=_COLORS[method],
            gid=f"{method}-{s.name}",
            **_MARKERS[method],
        )
        handles.insert(0, line)
        if best is not None:
            _ring(ax, s, method, best)
    if not any(plotted_error(e) for r in s.rows for e in (r.forward_error, r.central_error)):
        ax.text(
            0.5,
            0.5,
            "no finite error to draw\n(the exact derivative or the differences are not finite)",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#666666",
        )
    _legend_below(s, ax, handles)


def _theory_lines(s: Sweep, ax: Any, decades: tuple[int, int]) -> None:
    """Dotted vertical lines at the textbook steps, labelled at the top of the panel."""
    for step, label, method in zip(theory_steps(s.x), ("sqrt(eps)", "eps^(1/3)"), METHODS):
        if 10.0 ** decades[0] <= step <= 10.0 ** decades[1]:
            ax.axvline(step, color="#888888", linestyle=":", linewidth=1.2, gid=f"theory-{method}-{s.name}")
            ax.annotate(
                label,
                (step, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                ha="left",
                va="top",
                color="#666666",
                fontsize=8,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            )


def _ring(ax: Any, s: Sweep, method: str, best: SweepRow) -> None:
    """A ring round the best step of ``method``, its step written beside it: forward's above,
    central's below, pulled inwards near either end of the axis so that it stays inside."""
    error = plotted_error(getattr(best, f"{method}_error"))
    ax.plot(
        [best.step],
        [error],
        linestyle="none",
        marker="o",
        markersize=14 if method == "central" else 10,
        markerfacecolor="none",
        markeredgecolor=_COLORS[method],
        markeredgewidth=2,
        gid=f"best-{method}-{s.name}",
    )
    (x0, x1), _ = _ranges(s)
    where = (math.log10(best.step) - x0) / (x1 - x0)
    above = method == "forward"
    ax.annotate(
        f"best h = {_step(best.step)}",
        (best.step, error),
        xytext=(0, 11 if above else -12),
        textcoords="offset points",
        ha="left" if where < 0.15 else "right" if where > 0.85 else "center",
        va="bottom" if above else "top",
        color=_COLORS[method],
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
    )


def _legend_texts(s: Sweep) -> tuple[str, str, str]:
    """The legend: a line per method with its best step, then notes."""
    forward = f"forward {FORWARD_FORMULA}, truncation O(h): {_best_text(s.best_forward, 'forward_error')}"
    central = f"central {CENTRAL_FORMULA}, truncation O(h²): {_best_text(s.best_central, 'central_error')}"
    notes = ["ringed: the best step of each method"]
    if _has_zero(s):
        notes.append(f"errors of 0 drawn at {ERROR_FLOOR:.0e}")
    if _has_undrawn(s):
        notes.append("nan errors not drawn")
    return forward, central, "; ".join(notes)


def _legend_below(s: Sweep, ax: Any, handles: list[Any]) -> None:
    """The legend under the axis title, outside the plot, so it covers no curve."""
    from matplotlib.lines import Line2D

    ring = Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=9,
        markerfacecolor="none",
        markeredgecolor="#666666",
        markeredgewidth=1.5,
    )
    legend = ax.legend(
        [*handles, ring],
        [plain(text) for text in _legend_texts(s)],
        loc="upper left",
        bbox_to_anchor=(0, -0.16),
        frameon=False,
        fontsize=9,
        handlelength=3,
        borderaxespad=0,
    )
    legend.set_gid(f"legend-{s.name}")


# ---------------------------------------------------------------- JSON


def _best_json(best: SweepRow | None, error: str) -> dict[str, Any] | None:
    if best is None:
        return None
    return {"step": json_number(best.step), "error": json_number(getattr(best, error))}


def sweep_json(sweeps: Sequence[Sweep]) -> dict[str, Any]:
    """Plain data (strict JSON once dumped: non-finite numbers as "nan", "inf", "-inf")."""
    inputs = []
    for s in sweeps:
        fwd, cen = theory_steps(s.x)
        item: dict[str, Any] = {
            "name": s.name,
            "at": json_number(s.x),
            "exact": json_number(s.exact),
            "best": {
                "forward": _best_json(s.best_forward, "forward_error"),
                "central": _best_json(s.best_central, "central_error"),
            },
            "theory_steps": {"forward": json_number(fwd), "central": json_number(cen)},
            "rows": [
                {
                    "step": json_number(r.step),
                    "forward": json_number(r.forward),
                    "forward_error": json_number(r.forward_error),
                    "central": json_number(r.central),
                    "central_error": json_number(r.central_error),
                }
                for r in s.rows
            ],
        }
        if s.kink:
            item["kink"] = s.kink
        inputs.append(item)
    return {
        "relative_error": "|exact - difference| / max(|exact|, |difference|, 1e-8)",
        "exact": "reverse mode",
        "error_floor": ERROR_FLOOR,
        "inputs": inputs,
    }
