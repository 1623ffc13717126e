"""Charts in the terminal, drawn with text: a curve in Braille dots, a field in shades and arrows.

Each chart is a list of lines no wider than it is asked to be, in plain characters (no colour
codes), so it reads the same on a terminal, in a pipe and in a test. A Braille cell holds 2 by
4 dots, which gives a curve twice the columns and four times the rows of the text. Numbers on
the axes are whole words: a line is never cut inside one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from gradcli.core.lazy_numpy import np
from gradcli.core.numbers import format_number

_BRAILLE = 0x2800
_DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row within cell][column within cell]
SHADES = " .:-=+*#%@"
ARROWS = "→↗↑↖←↙↓↘"  # by angle, counter-clockwise from east in eighths of a turn
MARK = "●"  # an extreme
KINK = "▲"  # on the x axis, under a kink
PATH, START, END = "•", "○", "◉"


class Mark(NamedTuple):
    x: float
    y: float
    glyph: str


def number(value: float, digits: int = 4) -> str:
    return format_number(float(value), digits)


def tidy(value: float, span: float, digits: int = 4) -> str:
    """``value`` as placed on an axis of length ``span``: to a millionth of it, so that the middle
    of -0.1 and 0.1 reads 0, not -6.9e-18."""
    step = span * 1e-6
    if step > 0 and math.isfinite(step) and math.isfinite(value / step):  # not inf: near the largest float
        value = round(value / step) * step
    return number(value, digits)


def view_limits(values: Any) -> tuple[float, float] | None:
    """The y range a chart shows: the finite values' range, unless a few points (spikes such as
    1/x near 0) stretch it past ten times the range of the middle 98 %; then that middle, padded."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if finite.size >= 50:
        q1, q99 = (float(q) for q in np.quantile(finite, [0.01, 0.99]))
        if q99 > q1 and hi - lo > 10 * (q99 - q1):
            pad = 0.5 * (q99 - q1)
            lo, hi = max(lo, q1 - pad), min(hi, q99 + pad)
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def broken_at_jumps(x: Any, y: Any, kinks: Sequence[float]) -> tuple[Any, Any]:
    """``x`` and ``y`` with a nan put in at each kink the curve jumps across (the step across it more
    than three times the steps beside it), so that no line is drawn up the jump."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    cuts = []
    for k in kinks:
        i = int(np.searchsorted(x, k, side="right")) - 1
        if 1 <= i < len(x) - 2:
            across = abs(y[i + 1] - y[i])
            beside = max(abs(y[i] - y[i - 1]), abs(y[i + 2] - y[i + 1]))
            if across > 3 * beside and across > 0:
                cuts.append(i + 1)
    if not cuts:
        return x, y
    cuts = sorted(set(cuts))
    return np.insert(x, cuts, [x[c] for c in cuts]), np.insert(y, cuts, np.nan)


def line_chart(
    x: Any, y: Any, width: int, height: int, marks: Sequence[Mark] = (), kinks: Sequence[float] = ()
) -> list[str]:
    """The curve ``y`` over ``x`` in at most ``width`` columns and ``height`` + 2 lines: labelled
    y axis at the left, x axis with its ends and middle labelled below, a gap where y is not finite,
    ``marks`` drawn over the curve and a :data:`KINK` under each of ``kinks`` on the x axis."""
    x, y = broken_at_jumps(x, y, kinks)
    limits = view_limits(y)
    lo, hi = limits if limits else (0.0, 1.0)
    labels = [tidy(hi, hi - lo), tidy((lo + hi) / 2, hi - lo), tidy(lo, hi - lo)]
    margin = max(map(len, labels)) + 1
    columns = max(8, width - margin - 1)
    x0, x1 = float(x[0]), float(x[-1])
    dots = np.zeros((height * 4, columns * 2), dtype=bool)

    def col(v: float) -> float:
        return (v - x0) / (x1 - x0) * (columns * 2 - 1) if x1 > x0 else 0.0

    def row(v: float) -> float:
        return (hi - v) / (hi - lo) * (height * 4 - 1)

    _draw_curve(dots, [col(v) for v in x], [row(v) if math.isfinite(v) else math.nan for v in y])
    cells = _braille(dots)
    for mark in marks:
        r, c = row(mark.y), col(mark.x)
        if 0 <= r < height * 4 and 0 <= c < columns * 2:
            cells[int(r) // 4][int(c) // 2] = mark.glyph
    lines = []
    for i, cells_row in enumerate(cells):
        label = labels[0] if i == 0 else labels[2] if i == height - 1 else labels[1] if i == (height - 1) // 2 else ""
        lines.append(f"{label:>{margin - 1}} {'┤' if label else '│'}{''.join(cells_row)}")
    axis = ["─"] * columns
    for k in kinks:
        c = int(round(col(k))) // 2
        if 0 <= c < columns:
            axis[c] = KINK
    lines.append(" " * margin + "└" + "".join(axis))
    lines.append(" " * (margin + 1) + _x_labels(x0, x1, columns))
    return [line.rstrip() for line in lines]


def _draw_curve(dots: Any, cols: list[float], rows: list[float]) -> None:
    """Dots along the straight pieces between neighbouring finite points, clipped to the chart."""
    height, width = dots.shape
    for k in range(len(cols)):
        if math.isnan(rows[k]):
            continue
        if k + 1 < len(cols) and not math.isnan(rows[k + 1]):
            (c0, r0), (c1, r1) = (cols[k], rows[k]), (cols[k + 1], rows[k + 1])
        else:
            (c0, r0), (c1, r1) = (cols[k], rows[k]), (cols[k], rows[k])
        steps = int(max(abs(c1 - c0), min(abs(r1 - r0), 4 * height), 1)) + 1
        for t in np.linspace(0.0, 1.0, steps):
            c, r = c0 + (c1 - c0) * t, r0 + (r1 - r0) * t
            if 0 <= r <= height - 1 and 0 <= c <= width - 1:
                dots[int(round(r)), int(round(c))] = True


def _braille(dots: Any) -> list[list[str]]:
    height, width = dots.shape
    cells = []
    for top in range(0, height, 4):
        line = []
        for left in range(0, width, 2):
            bits = 0
            for dr in range(4):
                for dc in range(2):
                    if dots[top + dr, left + dc]:
                        bits |= _DOT[dr][dc]
            line.append(chr(_BRAILLE + bits) if bits else " ")
        cells.append(line)
    return cells


def _x_labels(x0: float, x1: float, columns: int) -> str:
    """The x axis's first, middle and last values, placed under their columns where they fit."""
    left, middle, right = (tidy(v, x1 - x0) for v in (x0, x0 + (x1 - x0) / 2, x1))
    line = [" "] * columns
    for text, start in ((left, 0), (right, columns - len(right)), (middle, (columns - len(middle)) // 2)):
        if start >= 0 and all(c == " " for c in line[max(0, start - 1) : start + len(text) + 1]):
            line[start : start + len(text)] = text
    return "".join(line)


def arrow(dx: float, dy: float) -> str:
    """The arrow nearest in direction to (dx, dy), y upwards; a dot where the vector is 0 or not finite."""
    if not (math.isfinite(dx) and math.isfinite(dy)) or dx == dy == 0:
        return "·"
    return ARROWS[int(round(math.atan2(dy, dx) / (math.pi / 4))) % 8]


def field_chart(
    x: Any, y: Any, values: Any, gradient: tuple[Any, Any], width: int, height: int, path: Any | None = None
) -> list[str]:
    """``values[j, i]`` at ``x[i]``, ``y[j]`` (y upwards) as shades of :data:`SHADES` by rank, low to
    high, the gradient's direction as arrows on a sparser grid, ``path`` (points in x, y) drawn over
    it, and both axes labelled at their ends and middles."""
    values = np.asarray(values, dtype=np.float64)
    ny, nx = values.shape
    labels = [tidy(v, y[-1] - y[0]) for v in (y[-1], (y[0] + y[-1]) / 2, y[0])]
    margin = max(map(len, labels)) + 1
    columns = max(8, width - margin - 1)
    rows_at = np.linspace(ny - 1, 0, height).round().astype(int)  # the top line shows the largest y
    cols_at = np.linspace(0, nx - 1, columns).round().astype(int)
    sampled = values[np.ix_(rows_at, cols_at)]
    shade = _ranked_shades(sampled)
    gx, gy = (np.asarray(g)[np.ix_(rows_at, cols_at)] for g in gradient)
    for r in range(1, height, 3):
        for c in range(2, columns, 6):
            shade[r][c] = arrow(float(gx[r, c]), float(gy[r, c]))
    if path is not None and len(path):
        _draw_path(shade, path, x, y)
    lines = []
    for i, cells in enumerate(shade):
        label = labels[0] if i == 0 else labels[2] if i == height - 1 else labels[1] if i == (height - 1) // 2 else ""
        lines.append(f"{label:>{margin - 1}} {'┤' if label else '│'}{''.join(cells)}".rstrip())
    lines.append(" " * margin + "└" + "─" * columns)
    lines.append(" " * (margin + 1) + _x_labels(float(x[0]), float(x[-1]), columns))
    return lines


def _ranked_shades(sampled: Any) -> list[list[str]]:
    finite = sampled[np.isfinite(sampled)]
    levels = np.quantile(finite, np.linspace(0, 1, len(SHADES) + 1)[1:-1]) if finite.size else np.array([])
    index = np.searchsorted(levels, sampled, side="right")
    return [[SHADES[i] if np.isfinite(v) else "?" for i, v in zip(r, vs)] for r, vs in zip(index, sampled)]


def _draw_path(shade: list[list[str]], path: Any, x: Any, y: Any) -> None:
    height, width = len(shade), len(shade[0])
    x0, x1, y0, y1 = float(x[0]), float(x[-1]), float(y[0]), float(y[-1])

    def cell(px: float, py: float) -> tuple[int, int] | None:
        column = (px - x0) / (x1 - x0) * (width - 1)
        row = (y1 - py) / (y1 - y0) * (height - 1)
        if not (math.isfinite(column) and math.isfinite(row)):  # not finite, or so far off that it overflows
            return None
        c, r = int(round(column)), int(round(row))
        return (r, c) if 0 <= r < height and 0 <= c < width else None

    for px, py in path:
        at = cell(px, py)
        if at:
            shade[at[0]][at[1]] = PATH
    for (px, py), glyph in ((path[-1], END), (path[0], START)):
        at = cell(px, py)
        if at:
            shade[at[0]][at[1]] = glyph
