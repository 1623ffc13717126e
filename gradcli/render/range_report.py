"""Reports of a program over a range: ``gradcli plot`` in the terminal, and ``gradcli eval --over``'s
table of points as text, CSV or JSON.

The terminal charts come from :mod:`gradcli.render.text_charts`; each extreme, kink, gap and
held input is then said in words under the chart, wrapped between words to the width.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from gradcli.ad.batch import Batch
from gradcli.ad.descent import Descent
from gradcli.core.lazy_numpy import np
from gradcli.core.numbers import format_number, json_number
from gradcli.explain.curves import Curves, Field, Gap
from gradcli.render.figures import one_line
from gradcli.render.text_charts import END, KINK, MARK, PATH, SHADES, START, Mark, field_chart, line_chart, number, tidy

PANEL_HEIGHT = 9  # lines of one curve's chart in the terminal


def curves_text(c: Curves, width: int, height: int = PANEL_HEIGHT) -> str:
    """f, f′ (and f″) as stacked charts, then their extremes, kinks and gaps in words."""
    name = c.name
    lines = _wrapped(f"f({name}) = {one_line(c.program.source, 200)}, for {name} from {number(c.x[0])} "
                     f"to {number(c.x[-1])} ({len(c.x):,} points)", width)  # fmt: skip
    kinks = [k.x for k in c.kinks]
    for curve in c.curves:
        lines.append(f"{curve.label}({name})")
        marks = [Mark(e.x, e.value, MARK) for e in curve.extremes]
        lines += line_chart(c.x, curve.values, width, height, marks, kinks)
    lines += _curve_notes(c, width)
    return "\n".join(lines) + "\n"


def _curve_notes(c: Curves, width: int) -> list[str]:
    notes = []
    span = float(c.x[-1] - c.x[0])
    for curve in c.curves:
        for e in curve.extremes:
            notes.append(f"{MARK} {curve.label} {e.kind} {number(e.value, 6)} at {c.name} = {tidy(e.x, span, 6)}")
        if curve.more_extremes:
            notes.append(f"  and {curve.more_extremes} more extremes of {curve.label}")
    for k in c.kinks:
        notes.append(f"{KINK} kink of {k.node} at {c.name} = {tidy(k.x, span, 6)}: {k.convention}")
    if c.more_kinks:
        notes.append(f"  and {c.more_kinks} more kinks")
    notes += [gap_sentence(g, c.name) for g in c.gaps]
    if c.held:
        notes.append("held: " + ", ".join(f"{k} = {format_number(v)}" for k, v in c.held.items()))
    if not c.vectorised:
        notes.append("the program builds arrays, so it was evaluated one point at a time")
    return [line for note in notes for line in _wrapped(note, width)]


def gap_sentence(gap: Gap, name: str) -> str:
    """``gap: f is nan or -inf for -4 ≤ x ≤ 0; at -4, nan first appears at log(x): log(-4) = nan ...``."""
    numbers = " or ".join(gap.numbers)
    if gap.start == gap.stop:
        where = f"{name} = {number(gap.start, 6)}"
    else:
        where = f"{number(gap.start, 6)} ≤ {name} ≤ {number(gap.stop, 6)}; at {number(gap.start, 6)}"
    return f"gap: {gap.curve} is {numbers} for {where}, {gap.why or 'first at ' + gap.node}"


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters; a word longer than a line (a long program
    without spaces, ``x**x**...``) is broken rather than left sticking out."""
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False, subsequent_indent="  ") or [""]


def chart_text(data: Curves | Field, width: int) -> str:
    """A chart of :func:`gradcli.render.range_figures.plot` as terminal text."""
    return curves_text(data, width) if isinstance(data, Curves) else field_text(data, width)


def chart_notes(data: Curves | Field, width: int) -> str:
    """What a chart written to a file says in words: its extremes, kinks, gaps, the descent's end."""
    if isinstance(data, Curves):
        lines = _curve_notes(data, width)
    else:
        lines = [line for gap in data.gaps for line in _wrapped(gap_sentence(gap, "(x, y)"), width)]
        if data.descent is not None:
            lines += _wrapped(descent_summary(data.descent, len(data.descent.points) - 1), width)
    return "\n".join(lines) + "\n" if lines else ""


# ---------------------------------------------------------------- two inputs


def field_text(f: Field, width: int, height: int = 2 * PANEL_HEIGHT) -> str:
    """f over two inputs in shades, the gradient as arrows, and the descent path with f along it."""
    a, b = f.names
    lines = _wrapped(f"f({a}, {b}) = {one_line(f.program.source, 200)}, for {a} from {number(f.x[0])} to "
                     f"{number(f.x[-1])}, {b} from {number(f.y[0])} to {number(f.y[-1])}", width)  # fmt: skip
    path = f.descent.points if f.descent is not None else None
    lines += field_chart(f.x, f.y, f.values, f.gradient, width, height, path)
    finite = f.values[np.isfinite(f.values)]
    if finite.size:
        low, high = number(finite.min()), number(finite.max())
        lines += _wrapped(f"shades: f by rank, from '{SHADES[0]}' (lowest, {low}) to '{SHADES[-1]}' "
                          f"(highest, {high}); arrows: the gradient's direction (steepest ascent)", width)  # fmt: skip
    lines += [line for gap in f.gaps for line in _wrapped(gap_sentence(gap, f"({a}, {b})"), width)]
    if f.descent is not None:
        lines += _descent_lines(f.descent, width)
    if f.held:
        lines += _wrapped("held: " + ", ".join(f"{k} = {format_number(v)}" for k, v in f.held.items()), width)
    return "\n".join(lines) + "\n"


def _descent_lines(d: Descent, width: int) -> list[str]:
    taken = len(d.points) - 1
    start = ", ".join(f"{n} = {format_number(float(v))}" for n, v in zip(d.names, d.points[0]))
    lines = _wrapped(f"{START} start {start}; {PATH} path; {END} end", width)
    steps = np.arange(len(d.values))
    log = bool(np.all(d.values > 0)) and len(d.values) > 1 and d.values.max() > 1e3 * d.values.min()
    shown = np.log10(d.values) if log else d.values
    lines += _wrapped(f"f along the path ({optimizer_name(d)}), by step" + (" (log10 f)" if log else ""), width)
    lines += line_chart(steps, shown, width, PANEL_HEIGHT)
    lines += _wrapped(descent_summary(d, taken), width)
    return lines


def optimizer_name(d: Descent) -> str:
    return f"{d.optimizer}, learning rate {format_number(d.learning_rate)}"


def descent_summary(d: Descent, taken: int) -> str:
    """``after 2000 steps: x = 0.5589, y = 0.3102, f = 0.1951``, or why the path stopped."""
    final = ", ".join(f"{n} = {format_number(v, 10)}" for n, v in d.final.items())
    head = f"stopped: {d.stopped}; last point" if d.stopped else f"after {taken:,} steps"
    return f"{head}: {final}, f = {format_number(d.final_value, 10)}"


# ---------------------------------------------------------------- eval --over: one row per point


def table_columns(batch: Batch, varying: list[str]) -> list[tuple[str, Any]]:
    """The table's columns: the varying inputs, f, then d f/d input for every input (a column per
    element for an array input: ``df/dw[0]``, ``df/dw[1]``)."""
    columns = [(name, batch.inputs[name]) for name in varying]
    columns.append(("f", batch.value))
    for name in batch.program.inputs:
        gradient = np.asarray(batch.gradient(name))
        if gradient.ndim <= 1:
            columns.append((f"df/d{name}", gradient))
            continue
        for index in np.ndindex(*gradient.shape[1:]):
            head = f"df/d{name}" + "".join(f"[{k}]" for k in index)  # no comma: a CSV header field
            columns.append((head, gradient[(slice(None), *index)]))
    return columns


def table_text(batch: Batch, varying: list[str], width: int) -> str:
    """The points as aligned columns; columns that do not fit the width continue in a block below."""
    columns = [(head, [format_number(float(v)) for v in values]) for head, values in table_columns(batch, varying)]
    widths = [max(len(head), *(len(t) for t in texts)) for head, texts in columns]
    first, rest = 1, list(range(1, len(columns)))
    blocks, block, used = [], [], widths[0]
    for k in rest:
        if block and used + 2 + widths[k] > width:
            blocks.append(block)
            block, used = [], widths[0]
        block.append(k)
        used += 2 + widths[k]
    blocks.append(block)
    out = []
    for block in blocks:
        shown = list(range(first)) + block
        out.append("  ".join(f"{columns[k][0]:>{widths[k]}}" for k in shown))
        for i in range(len(batch.value)):
            out.append("  ".join(f"{columns[k][1][i]:>{widths[k]}}" for k in shown))
        out.append("")
    return "\n".join(out[:-1]) + "\n"


def table_csv(batch: Batch, varying: list[str]) -> str:
    """The points as CSV with every number in full (``repr``: it reads back to the same bits)."""
    columns = table_columns(batch, varying)
    rows = [",".join(head for head, _ in columns)]
    data = [np.asarray(values, dtype=np.float64).tolist() for _, values in columns]
    rows += [",".join(map(repr, row)) for row in zip(*data)]
    return "\n".join(rows) + "\n"


def table_json(batch: Batch, varying: list[str]) -> str:
    """The points as strict JSON: the program, the varying inputs, the held ones, f and the gradient."""
    program = batch.program
    data = {
        "program": program.source,
        "points": len(batch.value),
        "over": {name: json_number(np.asarray(batch.inputs[name])) for name in varying},
        "held": {name: json_number(value) for name, value in batch.held(varying).items()},
        "value": json_number(np.asarray(batch.value)),
        "gradient": {name: json_number(np.asarray(batch.gradient(name))) for name in program.inputs},
        "vectorised": batch.vectorised,
    }
    compact = {} if len(batch.value) <= 200 else {"indent": None, "separators": (",", ":")}
    return json.dumps(data, **{"indent": 2, **compact}, allow_nan=False) + "\n"
