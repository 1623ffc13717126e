"""Reports for Jacobians (with the cost of each mode), Hessians and Hessian-vector products."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradcli.compare import KINK, SecondComparison
from gradcli.explain import expression, node_texts
from gradcli.jacobian import Jacobian
from gradcli.render.json_report import diagnostics_data
from gradcli.render.numbers import format_number, json_number
from gradcli.render.table import diagnostic_notes
from gradcli.second_order import Hessian, HessianVectorProduct

DIGITS = 10
STYLES = {"PASS": "green", "WARNING": "yellow", "FAIL": "bold red", KINK: "yellow"}


def num(value: float) -> str:
    return format_number(value, DIGITS)


MAX_COLUMNS = 5  # numbers across; wider matrices show their first and last columns
MAX_ROWS = 40  # rows down; longer tables show their first and last rows
MAX_POINT = 12  # inputs listed on the "at" line


def point_line(point: dict[str, float]) -> Text:
    items = [f"{name} = {num(v)}" for name, v in point.items()]
    if len(items) > MAX_POINT:
        items = [*items[: MAX_POINT - 2], "…", items[-1], f"({len(items)} inputs)"]
    return Text("at  " + (", ".join(items) or "(no inputs)"))


def titled(title: str, table: Table) -> Group:
    """A table under a title that keeps to one line (a table's own title wraps at its width)."""
    return Group(Text(title, style="italic"), table)


def _kept(count: int, limit: int) -> list[int | None]:
    """Indices to show of ``count``: all, or the first and last ones around a gap (None)."""
    if count <= limit:
        return list(range(count))
    head = limit // 2 if limit > MAX_COLUMNS else limit - 1
    return [*range(head), None, *range(count - (limit - head - 1) - 1, count)]


def _matrix_table(title: str, corner: str, row_labels: list[str], column_labels: list[str], cell) -> Group:
    """``cell(i, j)`` for every row and column, the middle left out when there are many."""
    table = Table(show_edge=False, box=None, padding=(0, 2))
    table.add_column(corner, style="bold")
    columns = _kept(len(column_labels), MAX_COLUMNS)
    rows = _kept(len(row_labels), MAX_ROWS)
    for j in columns:
        table.add_column("…" if j is None else column_labels[j], justify="right")
    for i in rows:
        if i is None:
            table.add_row("…", *["" for _ in columns])
            continue
        table.add_row(row_labels[i], *["…" if j is None else num(cell(i, j)) for j in columns])
    parts = [Text(title, style="italic"), table]
    if None in columns or None in rows:
        shown = f"{len(row_labels)} × {len(column_labels)}"
        parts.append(Text(f"({shown}: the middle is left out here; --json has every number)", style="dim"))
    return Group(*parts)


# ---------------------------------------------------------------- Jacobian


def output_rows(j: Jacobian) -> Group:
    """Each output: how it is called, what it computes, its value."""
    program = j.program
    texts = node_texts(program)
    table = Table(show_edge=False, box=None, padding=(0, 2))
    table.add_column("output", style="bold")
    table.add_column("expression")
    table.add_column("value", justify="right")
    for k in _kept(len(program.outputs), MAX_ROWS):
        if k is None:
            table.add_row("…", "", "")
            continue
        node = program.outputs[k]
        shown = expression(program.graph, node, texts) if program.graph.args[node] else texts.name(node)
        table.add_row(program.output_label(k), shown, num(j.values[k]))
    return titled("outputs", table)


def jacobian_table(j: Jacobian) -> Group:
    """Rows are outputs; with many inputs and fewer outputs, rows are inputs instead."""
    labels = [j.program.output_label(k) for k in range(len(j.outputs))]
    if len(j.inputs) > MAX_COLUMNS and len(j.outputs) < len(j.inputs):
        title = f"Jacobian, transposed (row: input, column: output), by {j.mode} mode"
        return _matrix_table(title, "d / d", j.inputs, labels, lambda i, k: j.rows[k][i])
    title = f"Jacobian (row: output, column: d / d input), by {j.mode} mode"
    columns = [f"d / d {name}" for name in j.inputs]
    return _matrix_table(title, "output", labels, columns, lambda k, i: j.rows[k][i])


def mode_costs(j: Jacobian) -> Group:
    """Both modes side by side: passes, time, which one gave the numbers."""
    n, m = len(j.inputs), len(j.outputs)
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for header, justify in (("mode", "left"), ("passes", "right"), ("per", "left"), ("time", "right"), ("", "left")):
        table.add_column(header, justify=justify)
    for mode, per in (("forward", f"input (n = {n})"), ("reverse", f"output (m = {m})")):
        cost = j.costs[mode]
        seconds = "—" if cost.seconds is None else _duration(cost.seconds)
        table.add_row(mode, str(cost.passes), per, seconds, "← used" if mode == j.mode else "")
    return titled("cost of each mode: passes after the one evaluation, and their time (best of a few runs)", table)


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
    return [
        point_line(j.point),
        Text(""),
        output_rows(j),
        Text(""),
        jacobian_table(j),
        Text(""),
        mode_costs(j),
        *jacobian_notes(j),
    ]


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


def hessian_table(h: Hessian, title: str = "Hessian") -> Group:
    names = list(h.matrix)
    heading = (
        f"{title} (forward-over-reverse: {h.passes} tangent pass{'' if h.passes == 1 else 'es'} over the gradient)"
    )
    labels = [f"d / d {name}" for name in names]
    return _matrix_table(heading, "", labels, labels, lambda i, k: h.matrix[names[i]][names[k]])


def hessian_data(h: Hessian) -> dict[str, dict[str, float | str]]:
    return {a: {b: json_number(v) for b, v in row.items()} for a, row in h.matrix.items()}


def hvp_table(r: HessianVectorProduct, title: str = "Hessian-vector product") -> Group:
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for header in ("input", "v", "gradient", "(H v)"):
        table.add_column(header, justify="left" if header == "input" else "right")
    names = list(r.product)
    for k in _kept(len(names), MAX_ROWS):
        if k is None:
            table.add_row("…", "", "", "")
            continue
        name = names[k]
        table.add_row(name, num(r.direction[name]), num(r.gradient[name]), num(r.product[name]))
    return titled(f"{title} H v (forward-over-reverse: {r.passes} pass, the Hessian is not formed)", table)


def hvp_data(r: HessianVectorProduct) -> dict[str, Any]:
    return {
        "direction": {k: json_number(v) for k, v in r.direction.items()},
        "product": {k: json_number(v) for k, v in r.product.items()},
        "passes": r.passes,
    }


# ---------------------------------------------------------------- compare --order 2


def compare_second_table(c: SecondComparison, out: str) -> list:
    """The Hessian three ways, entry by entry, with the verdicts."""
    h = c.hessian
    table = Table(title=f"d2 {out} / d a d b, three ways", title_justify="left", show_lines=True)
    headers = ("a, b", "symbolic", "numerical (central, of the gradient)", "forward-over-reverse", "rel. error", "")
    for header in headers:
        table.add_column(header, overflow="fold")
    for r in c.rows:
        symbolic = r.symbolic if len(r.symbolic) <= 40 else r.symbolic[:37] + "..."
        errors = "\n".join(f"{method} {e:.1e}" for method, e in r.errors.items())
        table.add_row(
            f"{r.first}, {r.second}",
            f"{symbolic}\n= {num(r.symbolic_value)}",
            f"{num(r.numerical)}\n(h = {r.step:.2g})",
            num(r.automatic),
            errors,
            Text(r.verdict, style=STYLES[r.verdict]),
        )
    passes = c.passes
    parts: list = [
        Text(
            f"{out} = {num(h.value)}   at {', '.join(f'{k} = {num(v)}' for k, v in h.point.items()) or '(no inputs)'}"
        ),
        table,
        Text(
            f"passes: forward-over-reverse {passes['forward_over_reverse']} (one per input, over the gradient graph); "
            f"central differences of the gradient {passes['numerical']} forward + {passes['numerical']} reverse; "
            "symbolic: reverse mode on the gradient's nodes",
            style="dim",
        ),
    ]
    parts += [Text(f"~ {r.first}, {r.second}: at a kink ({r.kink})", style="yellow") for r in c.rows if r.kink]
    return parts


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
                "step": r.step,
                "forward_over_reverse": json_number(r.automatic),
                "relative_errors": {k: json_number(v) for k, v in r.errors.items()},
                "verdict": r.verdict,
                **({"kink": r.kink} if r.kink else {}),
            }
            for r in c.rows
        ],
        "failed": c.failed,
    }
