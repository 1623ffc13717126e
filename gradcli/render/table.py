"""The terminal report of ``gradcli eval``: value, gradient, and the backward trace table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from gradcli.ad.evaluation import Anomaly, Evaluation, Kink
from gradcli.core.numbers import format_number
from gradcli.explain.diagnostics import anomaly_message
from gradcli.explain.texts import NodeTexts, as_symbol
from gradcli.explain.trace import TraceRow
from gradcli.render.layout import (
    Adaptive,
    Block,
    Column,
    Packed,
    Stripped,
    add_columns,
    plain_table,
    records,
    render_blocks,
    summary,
    title,
    titled,
)

DIGITS = 10
MAX_TERMS = 6  # contributions listed in one cell before "… and N more"


def num(value: float) -> str:
    return format_number(value, DIGITS)


def _point(point: dict[str, float]) -> Packed | str:
    return Packed([f"{name} = {num(value)}" for name, value in point.items()], ", ") if point else "(no inputs)"


def _summary(ev: Evaluation) -> Adaptive:
    return summary([("at", [_point(ev.point)]), ("value", [Text(num(ev.value), style="bold")])])


def _gradient(ev: Evaluation, labels: NodeTexts) -> Adaptive | None:
    if not ev.point:
        return None
    out = labels.name(ev.program.output)

    def wide(width: int) -> Group:
        table = plain_table(
            [
                Column("input"),
                Column("value", numeric=True),
                Column(f"d {out} / d input", numeric=True, style="bold"),
            ]
        )
        for name, grad in ev.gradient.items():
            table.add_row(name, num(ev.point[name]), num(grad))
        return titled("gradient", table, width)

    def narrow(width: int) -> Group:
        rows = [
            [name, f"value {num(ev.point[name])}", f"d {out} / d {name} = {num(g)}"] for name, g in ev.gradient.items()
        ]
        return Group(title("gradient", width), records(rows, width))

    return Adaptive(wide, narrow)


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
        if local.value is None:  # a structural op of arrays: its vector-Jacobian product
            parts.append(f"to {labels.name(local.wrt)}: {formula}")
            continue
        shown = num(local.value)
        body = formula if formula == shown else f"{formula} = {shown}"
        parts.append(f"∂{as_symbol(labels[row.node])}/∂{as_symbol(labels[local.wrt])} = {body}")
    if row.kink and parts:
        parts.append("(at a kink: by convention, see below)")
    return "\n".join(parts) if parts else "—"


def _incoming_cell(row: TraceRow, labels: NodeTexts, seed: bool) -> str:
    if seed:
        return "1 (seed)"
    parts = [
        (
            f"nothing from {as_symbol(labels[c.consumer])}"
            if c.nothing
            else f"{num(c.amount)} from {as_symbol(labels[c.consumer])}" + (" (blocked)" if c.blocked else "")
        )
        for c in row.incoming
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


def _nothing_sent(row: TraceRow, arg: int, labels: NodeTexts) -> str:
    """What where sends its condition and the branch it does not take: nothing at all."""
    why = "the condition" if arg == row.inputs[0] else "the branch not taken"
    return f"nothing → {labels.name(arg)} ({why})"


def _sends_cell(row: TraceRow, labels: NodeTexts, skip: set[int]) -> str:
    if row.silent:
        return "nothing (no gradient reaches it)" if row.local else ""
    if row.sent is not None:
        return "\n".join(
            _capped(
                [
                    f"{num(amount)} → {labels.name(a)}" if amount is not None else _nothing_sent(row, a, labels)
                    for a, amount in zip(row.inputs, row.sent)
                    if a not in skip and (amount is not None or row.op == "where")
                ]
            )
        )
    parts = []
    for local in row.local:
        if local.wrt in skip or local.value is None:  # None: a structural op the gradient does not reach
            continue
        amount = local.value * row.grad
        parts.append(f"{num(local.value)} × {num(row.grad)} = {num(amount)} → {labels.name(local.wrt)}")
    return "\n".join(_capped(parts))


TRACE_COLUMNS = (
    Column("node"),
    Column("operation"),
    Column("value", numeric=True),
    Column("local derivative"),
    Column("incoming gradient"),
    Column("gradient", numeric=True),
    Column("sends (local × gradient)"),
)


def _operation(row: TraceRow) -> str:
    """What the operation column shows: ``input``, ``constant``, or the node's expression."""
    if row.role in ("input", "constant"):
        return row.role
    if row.role == "output" and not row.inputs and row.op == "var":
        return "input"
    return row.expression


def _style(row: TraceRow) -> str | None:
    return "dim" if row.role in ("unused", "constant") else ("bold" if row.role == "output" else None)


def trace_table(ev: Evaluation, rows: Sequence[TraceRow | None], labels: NodeTexts, show_constants: bool) -> Adaptive:
    """The backward trace, one row per node (the chain rule at each step); where that table does
    not fit, one block per node."""
    graph = ev.program.graph
    skip: set[int] = set()
    if not show_constants:
        skip = {a for row in rows if row is not None for a in (row.node, *row.inputs) if graph.ops[a].name == "const"}
    shown = [row for row in rows if row is None or row.node not in skip]
    return Adaptive(
        lambda width: titled("backward trace", _wide_trace(shown, labels, skip), width),
        lambda width: Group(
            title("backward trace: one block per node", width), _trace_blocks(shown, labels, skip, width)
        ),
    )


def _wide_trace(rows: Sequence[TraceRow | None], labels: NodeTexts, skip: set[int]) -> Table:
    table = add_columns(Table(show_lines=True), TRACE_COLUMNS)
    for row in rows:
        if row is None:
            table.add_row("…", *["" for _ in TRACE_COLUMNS[1:]])
            continue
        operation = _operation(row)
        table.add_row(
            _node_cell(row.label, operation),
            operation,
            num(row.value),
            _local_cell(row, labels, skip),
            _incoming_cell(row, labels, row.role == "output"),
            num(row.grad),
            _sends_cell(row, labels, skip),
            style=_style(row),
        )
    return table


def _trace_blocks(rows: Sequence[TraceRow | None], labels: NodeTexts, skip: set[int], width: int) -> Group:
    return render_blocks([None if row is None else _trace_block(row, labels, skip) for row in rows], width)


def _node_cell(label: str, operation: str) -> str:
    """The node column: empty where the node's name is its operation (an unnamed node)."""
    return "" if label == operation else label


def _node_heading(label: str, operation: str) -> str:
    """A node at the head of its block: ``x (input)``, ``b = a + 1``, or ``x**2`` (unnamed)."""
    if operation in ("input", "constant"):
        return f"{label} ({operation})"
    return operation if label == operation else f"{label} = {operation}"


def _trace_block(row: TraceRow, labels: NodeTexts, skip: set[int]) -> Block:
    """A node's heading (``b = a + 1   value 7   gradient 14``) over its chain-rule lines."""
    local = _local_cell(row, labels, skip)
    cells = [
        ("local", "" if local == "—" else local),
        ("incoming", _incoming_cell(row, labels, row.role == "output")),
        ("sends", _sends_cell(row, labels, skip)),
    ]
    return Block(
        _node_heading(row.label, _operation(row)),
        facts=[("value", num(row.value)), ("gradient", num(row.grad))],
        rows=[(label, [cell]) for label, cell in cells if cell],
        style=_style(row) or "",
    )


def diagnostic_notes(anomalies: Sequence[Anomaly], kinks: Sequence[Kink], labels: NodeTexts) -> list[Text]:
    """One line per first nan/inf and per node on a kink."""
    notes = [Text(f"! {anomaly_message(a)}", style="bold red") for a in anomalies]
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
        parts.append(_hidden_note(hidden))
    notes = diagnostic_notes(ev.anomalies, ev.kinks, labels) + _shadowing_notes(ev.program)
    if notes:
        parts += [Text(""), *notes]
    console.print(Stripped(Group(*parts)))


def _shadowing_notes(program) -> list[Text]:
    """A note for each constant the program binds as a name of its own (``e = c - d``)."""
    from gradcli.core.ops import CONSTANTS

    return [
        Text(f"~ {name} is bound in this program, so from there on {name} is that value, not the constant {num(value)}")
        for name, value in CONSTANTS.items()
        if name in program.shadowed
    ]


def _hidden_note(hidden: int) -> Text:
    return Text(f"{hidden} more nodes not shown: use --max-rows 0 for all, or --json", style="dim")


def render_forward(result, rows: Sequence[int | None], console: Console, hidden: int = 0, extra: Sequence = ()) -> None:
    """Forward mode's report: value, gradient, and each node's dual number (value, tangents)."""
    gradient = [f"d/d{k} = {num(g)}" for k, g in result.gradient.items()]
    head = summary(
        [
            ("at", [_point(result.point)]),
            ("value", [num(result.value)]),
            ("gradient", [Packed(gradient, ", ") if gradient else "(none)"]),
            ("passes", [f"{result.passes} forward pass(es), one per input"]),
        ]
    )
    nodes = _duals(result, rows)
    parts: list = [head, *extra, Text(""), _dual_table(result, nodes)]
    if hidden:
        parts.append(_hidden_note(hidden))
    console.print(Stripped(Group(*parts)))


class _Dual(NamedTuple):
    """A node of forward mode's table: its name, operation, value and tangents."""

    label: str
    operation: str
    value: str
    tangents: list[str]


def _duals(result, rows: Sequence[int | None]) -> list[_Dual | None]:
    from gradcli.explain.texts import expression, node_texts

    texts = node_texts(result.program)
    graph = result.program.graph
    duals: list[_Dual | None] = []
    for node in rows:
        if node is None:
            duals.append(None)
            continue
        operation = "input" if not graph.args[node] else expression(graph, node, texts)
        tangents = [num(t[node]) for t in result.tangents.values()]
        duals.append(_Dual(texts.name(node), operation, num(result.values[node]), tangents))
    return duals


def _dual_table(result, nodes: Sequence[_Dual | None]) -> Adaptive:
    """Each node's dual number: a table with a column per input, or one block per node."""
    heading = "forward mode: dual numbers (value, d node / d input)"
    names = list(result.tangents)

    def wide(width: int) -> Group:
        columns = [Column("node"), Column("operation"), Column("value", numeric=True)]
        table = add_columns(Table(), columns + [Column(f"d node / d {name}", numeric=True) for name in names])
        for node in nodes:
            if node is None:
                table.add_row("…", "", "", *["" for _ in names])
            else:
                table.add_row(_node_cell(node.label, node.operation), node.operation, node.value, *node.tangents)
        return titled(heading, table, width)

    def narrow(width: int) -> Group:
        blocks = [None if node is None else _dual_block(node, names) for node in nodes]
        return Group(title(f"{heading}: one block per node", width), render_blocks(blocks, width))

    return Adaptive(wide, narrow)


def _dual_block(node: _Dual, names: list[str]) -> Block:
    tangents = Packed([f"d/d{name} = {t}" for name, t in zip(names, node.tangents)])
    return Block(
        _node_heading(node.label, node.operation),
        facts=[("value", node.value)],
        rows=[("tangents", [tangents])] if names else [],
    )
