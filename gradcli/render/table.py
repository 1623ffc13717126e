"""The terminal report of ``gradcli eval``: value, gradient, and the backward trace table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from gradcli.evaluation import Anomaly, Evaluation, Kink
from gradcli.explain import NodeTexts, as_symbol
from gradcli.render.numbers import format_number
from gradcli.trace import TraceRow

DIGITS = 10
MAX_TERMS = 6  # contributions listed in one cell before "… and N more"


def num(value: float) -> str:
    return format_number(value, DIGITS)


def _summary(ev: Evaluation) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    point = ", ".join(f"{name} = {num(value)}" for name, value in ev.point.items())
    table.add_row("at", point or "(no inputs)")
    table.add_row("value", Text(num(ev.value), style="bold"))
    return table


def _gradient(ev: Evaluation, labels: NodeTexts) -> Table | None:
    if not ev.point:
        return None
    out = labels.name(ev.program.output)
    table = Table(title="gradient", title_justify="left", show_edge=False, box=None, padding=(0, 2))
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column(f"d {out} / d input", justify="right", style="bold")
    for name, grad in ev.gradient.items():
        table.add_row(name, num(ev.point[name]), num(grad))
    return table


def _local_cell(row: TraceRow, labels: NodeTexts, skip: set[int]) -> str:
    if row.op == "stop_gradient":
        return "0 (stop_gradient: no gradient flows)"
    if not row.local:
        return "—"
    seen, parts = set(), []
    for local in row.local:
        if local.wrt in skip or local.wrt in seen:
            continue
        seen.add(local.wrt)
        formula = local.formula
        shown = num(local.value)
        body = formula if formula == shown else f"{formula} = {shown}"
        parts.append(f"∂{as_symbol(row.label)}/∂{as_symbol(labels.name(local.wrt))} = {body}")
    if row.kink and parts:
        parts.append("(at a kink: by convention, see below)")
    return "\n".join(parts) if parts else "—"


def _incoming_cell(row: TraceRow, labels: NodeTexts, seed: bool) -> str:
    if seed:
        return "1 (seed)"
    parts = [
        f"{num(c.amount)} from {labels.name(c.consumer)}" + (" (blocked)" if c.blocked else "") for c in row.incoming
    ]
    if not parts:
        return "0 (does not reach the output)" if row.role == "unused" else "0"
    if len(parts) == 1:
        return parts[0]
    return " +\n".join(_capped(parts)) + f"\n= {num(row.grad)}"


def _capped(parts: list[str]) -> list[str]:
    if len(parts) <= MAX_TERMS:
        return parts
    return [*parts[: MAX_TERMS - 1], f"… and {len(parts) - MAX_TERMS + 1} more"]


def _sends_cell(row: TraceRow, labels: NodeTexts, skip: set[int]) -> str:
    parts = []
    for local in row.local:
        if local.wrt in skip:
            continue
        amount = local.value * row.grad
        parts.append(f"{num(local.value)} × {num(row.grad)} = {num(amount)} → {labels.name(local.wrt)}")
    return "\n".join(_capped(parts))


def trace_table(ev: Evaluation, rows: Sequence[TraceRow], labels: NodeTexts, show_constants: bool) -> Table:
    """The backward trace, one row per node: the chain rule at each step."""
    graph = ev.program.graph
    skip: set[int] = set()
    if not show_constants:
        skip = {a for row in rows if row is not None for a in (row.node, *row.inputs) if graph.ops[a].name == "const"}
    table = Table(title="backward trace", title_justify="left", show_lines=True)
    for header, justify in (
        ("node", "left"),
        ("operation", "left"),
        ("value", "right"),
        ("local derivative", "left"),
        ("incoming gradient", "left"),
        ("gradient", "right"),
        ("sends (local × gradient)", "left"),
    ):
        table.add_column(header, justify=justify, overflow="fold")
    for row in rows:
        if row is None:
            table.add_row("…", "", "", "", "", "", "")
            continue
        if row.node in skip:
            continue
        style = "dim" if row.role in ("unused", "constant") else ("bold" if row.role == "output" else None)
        operation = {"input": "input", "constant": "constant"}.get(row.role, row.expression)
        if row.role == "output" and not row.inputs:
            operation = "input" if row.op == "var" else operation
        table.add_row(
            row.label,
            operation,
            num(row.value),
            _local_cell(row, labels, skip),
            _incoming_cell(row, labels, row.role == "output"),
            num(row.grad),
            _sends_cell(row, labels, skip),
            style=style,
        )
    return table


def diagnostic_notes(anomalies: Sequence[Anomaly], kinks: Sequence[Kink], labels: NodeTexts) -> list[Text]:
    """One line per first nan/inf and per node on a kink."""
    notes = [Text(f"! {a.message}", style="bold red") for a in anomalies]
    for kink in kinks:
        notes.append(Text(f"~ kink at {labels.name(kink.node)}: {kink.convention}", style="yellow"))
    return notes


def render_report(
    ev: Evaluation,
    rows: Sequence[TraceRow | None],
    labels: NodeTexts,
    console: Console,
    show_constants: bool = False,
    hidden: int = 0,
    extra: Sequence = (),
) -> None:
    """Print the whole report to ``console`` (``extra``: more tables after the gradient)."""
    parts: list = [_summary(ev)]
    gradient = _gradient(ev, labels)
    if gradient is not None:
        parts += [Text(""), gradient]
    parts += extra
    parts += [Text(""), trace_table(ev, rows, labels, show_constants)]
    if hidden:
        parts.append(Text(f"{hidden} more nodes not shown: use --max-rows 0 for all, or --json", style="dim"))
    notes = diagnostic_notes(ev.anomalies, ev.kinks, labels)
    if notes:
        parts += [Text(""), *notes]
    console.print(Group(*parts))


def render_forward(result, rows: Sequence[int | None], console: Console, hidden: int = 0, extra: Sequence = ()) -> None:
    """Forward mode's report: value, gradient, and each node's dual number (value, tangents)."""
    from gradcli.explain import expression, node_texts

    program = result.program
    texts = node_texts(program)
    table = Table(title="forward mode: dual numbers (value, d node / d input)", title_justify="left")
    table.add_column("node")
    table.add_column("operation")
    table.add_column("value", justify="right")
    for name in result.tangents:
        table.add_column(f"d node / d {name}", justify="right")
    graph = program.graph
    for node in rows:
        if node is None:
            table.add_row("…", "", "", *["" for _ in result.tangents])
            continue
        operation = "input" if not graph.args[node] else expression(graph, node, texts)
        tangents = [num(t[node]) for t in result.tangents.values()]
        table.add_row(texts.name(node), operation, num(result.values[node]), *tangents)
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("at", ", ".join(f"{k} = {num(v)}" for k, v in result.point.items()) or "(no inputs)")
    summary.add_row("value", num(result.value))
    summary.add_row("gradient", ", ".join(f"d/d{k} = {num(g)}" for k, g in result.gradient.items()) or "(none)")
    summary.add_row("passes", f"{result.passes} forward pass(es), one per input")
    parts: list = [summary, *extra, Text(""), table]
    if hidden:
        parts.append(Text(f"{hidden} more nodes not shown: use --max-rows 0 for all, or --json", style="dim"))
    console.print(Group(*parts))
