"""Reports for Jacobians (with the cost of each mode), Hessians and Hessian-vector products."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

from rich.console import Group
from rich.text import Text

from gradcli.ad.jacobian import Jacobian
from gradcli.ad.second_order import Hessian, HessianVectorProduct
from gradcli.check.compare import SecondComparison
from gradcli.core.numbers import format_number, json_number
from gradcli.explain.texts import expression, node_texts
from gradcli.render.derivative_report import shortened
from gradcli.render.json_report import diagnostics_data
from gradcli.render.layout import (
    Adaptive,
    Block,
    Column,
    Packed,
    Stripped,
    Verdict,
    listing,
    most_telling,
    plain_table,
    records,
    render_blocks,
    title,
    titled,
    verdict_report,
)
from gradcli.render.table import diagnostic_notes

DIGITS = 10


def num(value: float) -> str:
    return format_number(value, DIGITS)


MAX_COLUMNS = 5  # numbers across; wider matrices show their first and last columns
MAX_ROWS = 40  # rows down; longer tables show their first and last rows
MAX_POINT = 12  # inputs listed on the "at" line


def point_line(point: dict[str, float]) -> Adaptive:
    items = [f"{name} = {num(v)}" for name, v in point.items()]
    if len(items) > MAX_POINT:
        items = [*items[: MAX_POINT - 2], "…", items[-1], f"({len(items)} inputs)"]
    return listing("at  ", items)


def _kept(count: int, limit: int) -> list[int | None]:
    """Indices to show of ``count``: all, or the first and last ones around a gap (None)."""
    if count <= limit:
        return list(range(count))
    head = limit // 2 if limit > MAX_COLUMNS else limit - 1
    return [*range(head), None, *range(count - (limit - head - 1) - 1, count)]


def adaptive_table(
    heading: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], pieces: Callable[[Sequence[str]], list[str]]
) -> Stripped:
    """A table of ``rows`` under ``heading``; where it does not fit, one line of ``pieces(row)`` per row."""

    def wide(width: int) -> Group:
        table = plain_table(columns)
        for row in rows:
            table.add_row(*row)
        return titled(heading, table, width)

    def narrow(width: int) -> Group:
        return Group(title(heading, width), records([pieces(row) for row in rows], width))

    return Stripped(Adaptive(wide, narrow))


def _matrix_table(heading: str, corner: str, row_labels: list[str], column_labels: list[str], cell) -> Stripped:
    """``cell(i, j)`` for every row and column under ``heading``, the middle left out when there are many."""
    return Stripped(Adaptive(*_Matrix(heading, corner, row_labels, column_labels, cell).layouts()))


class _Matrix(NamedTuple):
    """A matrix to print: its heading, the header over its row labels, its labels and entries."""

    heading: str
    corner: str
    row_labels: list[str]
    column_labels: list[str]
    cell: Callable[[int, int], float]

    def layouts(self) -> list[Callable[[int], Group]]:
        """Widest first: as many columns as fit (at most :data:`MAX_COLUMNS`, at least the first and
        last); then a line per entry; then a block per row."""
        most = min(MAX_COLUMNS, len(self.column_labels))
        grids = [partial(self.grid, limit) for limit in [most, *range(most - 1, 1, -1)]]
        return [*grids, self.entries, self.blocks]

    def grid(self, limit: int, width: int) -> Group:
        columns = _kept(len(self.column_labels), limit)
        headers = [Column(self.corner, style="bold")]
        headers += [Column("…" if j is None else self.column_labels[j], numeric=True) for j in columns]
        table = plain_table(headers)
        for i in self.rows():
            if i is None:
                table.add_row("…", *["" for _ in columns])
            else:
                table.add_row(self.row_labels[i], *["…" if j is None else num(self.cell(i, j)) for j in columns])
        return self.framed(table, columns, width)

    def entries(self, width: int) -> Group:
        table = plain_table([Column("", style="bold"), Column(""), Column("", numeric=True)])
        table.show_header = False
        for i in self.rows():
            for k, j in enumerate([None] if i is None else self.columns()):
                table.add_row(*self.entry(i, j, k == 0))
        return self.framed(table, self.columns(), width)

    def blocks(self, width: int) -> Group:
        blocks = [None if i is None else Block(self.row_labels[i], rows=self.block_rows(i)) for i in self.rows()]
        return self.framed(render_blocks(blocks, width), self.columns(), width)

    def block_rows(self, i: int) -> list[tuple[str, list[str]]]:
        return [(column, [value]) for _, column, value in (self.entry(i, j, False) for j in self.columns())]

    def entry(self, i: int | None, j: int | None, first: bool) -> tuple[str, str, str]:
        """A line of :meth:`entries`: the row's label on its first line, the column's, the number."""
        if i is None:
            return ("…", "", "")
        label = self.row_labels[i] if first else ""
        return (label, "…", "") if j is None else (label, self.column_labels[j], num(self.cell(i, j)))

    def rows(self) -> list[int | None]:
        return _kept(len(self.row_labels), MAX_ROWS)

    def columns(self) -> list[int | None]:
        return _kept(len(self.column_labels), MAX_COLUMNS)

    def framed(self, body, columns: list[int | None], width: int) -> Group:
        """``body`` under the heading, with a note when rows or columns are left out."""
        parts = [title(self.heading, width), body]
        if None in columns or None in self.rows():
            shown = f"{len(self.row_labels)} × {len(self.column_labels)}"
            parts.append(Text(f"({shown}: the middle is left out here; --json has every number)", style="dim"))
        return Group(*parts)


# ---------------------------------------------------------------- Jacobian


def output_rows(j: Jacobian) -> Stripped:
    """Each output: how it is called, what it computes, its value."""
    program = j.program
    texts = node_texts(program)
    rows = []
    if len(j.values) != len(program.outputs) or any(isinstance(o, str) and "[" in o for o in j.outputs):
        rows = [
            ("…", "", "") if k is None else (_label(j.outputs[k]), "", num(j.values[k]))
            for k in _kept(len(j.values), MAX_ROWS)
        ]
        columns = [Column("output", style="bold"), Column("expression"), Column("value", numeric=True)]
        return adaptive_table("outputs", columns, rows, _labelled_pieces("", "", "value"))
    for k in _kept(len(program.outputs), MAX_ROWS):
        if k is None:
            rows.append(("…", "", ""))
            continue
        node = program.outputs[k]
        shown = expression(program.graph, node, texts) if program.graph.args[node] else texts.name(node)
        rows.append((program.output_label(k), shown, num(j.values[k])))
    columns = [Column("output", style="bold"), Column("expression"), Column("value", numeric=True)]
    return adaptive_table("outputs", columns, rows, _labelled_pieces("", "", "value"))


def _label(output: str | int) -> str:
    """An output's name, or its position ``[k]`` where it has none."""
    return f"[{output}]" if isinstance(output, int) else output


def _labelled_pieces(*labels: str) -> Callable[[Sequence[str]], list[str]]:
    """A row's cells as pieces of a line, each after its label (a cell without one as it is)."""

    def pieces(row: Sequence[str]) -> list[str]:
        return [f"{label} {cell}" if label else cell for label, cell in zip(labels, row) if cell]

    return pieces


def jacobian_table(j: Jacobian) -> Stripped:
    """Rows are outputs; with many inputs and fewer outputs, rows are inputs instead."""
    labels = [_label(o) for o in j.outputs]
    if len(j.inputs) > MAX_COLUMNS and len(j.outputs) < len(j.inputs):
        title = f"Jacobian, transposed (row: input, column: output), by {j.mode} mode"
        return _matrix_table(title, "d / d", j.inputs, labels, lambda i, k: j.rows[k][i])
    title = f"Jacobian (row: output, column: d / d input), by {j.mode} mode"
    columns = [f"d / d {name}" for name in j.inputs]
    return _matrix_table(title, "output", labels, columns, lambda k, i: j.rows[k][i])


def mode_costs(j: Jacobian) -> Stripped:
    """Both modes side by side: passes, time, which one gave the numbers."""
    n, m = len(j.inputs), len(j.outputs)
    rows = []
    for mode, per in (("forward", f"input (n = {n})"), ("reverse", f"output (m = {m})")):
        cost = j.costs[mode]
        seconds = "—" if cost.seconds is None else _duration(cost.seconds)
        rows.append((mode, str(cost.passes), per, seconds, "← used" if mode == j.mode else ""))
    columns = [
        Column("mode"),
        Column("passes", numeric=True),
        Column("per"),
        Column("time", numeric=True),
        Column(""),
    ]
    heading = "cost of each mode: passes after the one evaluation, and their time (best of a few runs)"
    return adaptive_table(heading, columns, rows, _cost_pieces)


def _cost_pieces(row: Sequence[str]) -> list[str]:
    mode, passes, per, seconds, used = row
    return [piece for piece in (mode, f"{passes} passes", seconds, used, f"one per {per}") if piece]


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def jacobian_notes(j: Jacobian) -> list[Text]:
    notes = [Text(f"{j.mode} mode: {j.reason}", style="dim")]
    if j.disagreement is not None:
        notes.append(Text(f"largest relative difference between the two modes: {j.disagreement:.1e}", style="dim"))
    return notes + diagnostic_notes(j.anomalies, j.kinks, node_texts(j.program))


def jacobian_parts(j: Jacobian) -> list:
    """The outputs, the Jacobian, each mode's cost and the notes, in order (no line ends in spaces)."""
    parts = [point_line(j.point), Text(""), output_rows(j), Text(""), jacobian_table(j), Text(""), mode_costs(j)]
    return [Stripped(part) for part in parts + jacobian_notes(j)]


def jacobian_data(j: Jacobian) -> dict[str, Any]:
    """``gradcli jacobian --json``."""
    return {
        "program": j.program.source,
        "at": {name: json_number(v) for name, v in j.point.items()},
        "inputs": j.inputs,
        "outputs": j.outputs,
        "values": [json_number(v) for v in j.values],
        "jacobian": [[json_number(v) for v in row] for row in j.rows],
        "mode": j.mode,
        "reason": j.reason,
        "passes": {mode: cost.passes for mode, cost in j.costs.items()},
        "seconds": {mode: cost.seconds for mode, cost in j.costs.items() if cost.seconds is not None},
        "disagreement": None if j.disagreement is None else json_number(j.disagreement),
        **diagnostics_data(j.anomalies, j.kinks),
    }


# ---------------------------------------------------------------- Hessian and H v


def hessian_table(h: Hessian, title: str = "Hessian") -> Stripped:
    names = list(h.matrix)
    heading = (
        f"{title} (forward-over-reverse: {h.passes} tangent pass{'' if h.passes == 1 else 'es'} over the gradient)"
    )
    labels = [f"d / d {name}" for name in names]
    return _matrix_table(heading, "", labels, labels, lambda i, k: h.matrix[names[i]][names[k]])


def hessian_data(h: Hessian) -> dict[str, dict[str, float | str]]:
    return {a: {b: json_number(v) for b, v in row.items()} for a, row in h.matrix.items()}


def hvp_table(r: HessianVectorProduct, title: str = "Hessian-vector product") -> Stripped:
    names = list(r.product)
    rows = []
    for k in _kept(len(names), MAX_ROWS):
        if k is None:
            rows.append(("…", "", "", ""))
            continue
        name = names[k]
        rows.append((name, num(r.direction[name]), num(r.gradient[name]), num(r.product[name])))
    columns = [Column("input"), *(Column(header, numeric=True) for header in ("v", "gradient", "(H v)"))]
    heading = f"{title} H v (forward-over-reverse: {r.passes} pass, the Hessian is not formed)"
    return adaptive_table(heading, columns, rows, _labelled_pieces("", "v =", "gradient =", "H v ="))


def hvp_data(r: HessianVectorProduct) -> dict[str, Any]:
    return {
        "direction": {k: json_number(v) for k, v in r.direction.items()},
        "product": {k: json_number(v) for k, v in r.product.items()},
        "passes": r.passes,
    }


# ---------------------------------------------------------------- compare --order 2


SECOND_COLUMNS = (
    Column("symbolic", "symbolic"),
    Column("numerical (central, of the gradient)", "numerical"),
    Column("forward-over-reverse", "forward-over-reverse"),
    Column("rel. error", "rel. error"),
)


def _symbolic_cell(r) -> str:
    """The expression and its value; with arrays the value alone (the expression is a whole row)."""
    if r.symbolic:
        return f"{shortened(r.symbolic)}\n= {num(r.symbolic_value)}"
    return "—" if math.isnan(r.symbolic_value) else num(r.symbolic_value)


def compare_second_table(c: SecondComparison, out: str) -> list:
    """The Hessian three ways, entry by entry, with the verdicts (one block per entry where the
    table does not fit)."""
    h = c.hessian
    shown, left_out = most_telling(c.rows)
    items = [
        Verdict(
            f"{r.first}, {r.second}",
            r.verdict,
            (
                _symbolic_cell(r),
                f"{num(r.numerical)}\n(h = {r.step:.2g})",
                num(r.automatic),
                Packed([f"{method} {e:.1e}" for method, e in r.errors.items()]),
            ),
        )
        for r in shown
    ]
    passes = c.passes
    parts: list = [
        listing(f"{out} = {num(h.value)}   at ", [f"{k} = {num(v)}" for k, v in h.point.items()]),
        verdict_report(
            f"d2 {out} / d a d b, three ways",
            "numerical: central differences of the gradient",
            "a, b",
            SECOND_COLUMNS,
            items,
        ),
        *([left_out] if left_out else []),
        Text(
            f"passes: forward-over-reverse {passes['forward_over_reverse']} (one per input, over the gradient graph); "
            f"central differences of the gradient {passes['numerical']} forward + {passes['numerical']} reverse; "
            "symbolic: reverse mode on the gradient's nodes",
            style="dim",
        ),
    ]
    parts += [Text(f"~ {r.first}, {r.second}: at a kink ({r.kink})", style="yellow") for r in c.rows if r.kink]
    texts = node_texts(c.hessian.program)
    parts += [
        Text(
            f"~ {r.first}, {r.second}: the kink of {texts.name(r.near_kink)} lies closer to {r.second} than the "
            f"shortest usable step (h = {r.step:.2g}), so the differences of the gradient straddle it: no check",
            style="yellow",
        )
        for r in c.rows
        if r.near_kink is not None
    ]
    return [Stripped(part) for part in parts]


def compare_second_data(c: SecondComparison) -> dict[str, Any]:
    h = c.hessian
    return {
        "program": h.program.source,
        "order": 2,
        "at": {k: json_number(v) for k, v in h.point.items()},
        "value": json_number(h.value),
        "passes": c.passes,
        "thresholds": {"pass_below": 1e-5, "warning_below": 1e-3},
        "hessian": hessian_data(h),
        "entries": [
            {
                "first": r.first,
                "second": r.second,
                "symbolic": r.symbolic,
                "symbolic_value": json_number(r.symbolic_value),
                "numerical": json_number(r.numerical),
                "step": json_number(r.step),
                "forward_over_reverse": json_number(r.automatic),
                "relative_errors": {k: json_number(v) for k, v in r.errors.items()},
                "verdict": r.verdict,
                **({"kink": r.kink} if r.kink else {}),
                **({"near_kink": node_texts(h.program).name(r.near_kink)} if r.near_kink is not None else {}),
            }
            for r in c.rows
        ],
        "failed": c.failed,
    }
