"""Reports for Jacobians (with the cost of each mode), Hessians and Hessian-vector products."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradcli.compare import KINK, SecondComparison
from gradcli.explain import expression, node_texts
from gradcli.jacobian import Jacobian
from gradcli.render.numbers import format_number, json_number
from gradcli.second_order import Hessian, HessianVectorProduct

DIGITS = 10
STYLES = {"PASS": "green", "WARNING": "yellow", "FAIL": "bold red", KINK: "yellow"}


def num(value: float) -> str:
    return format_number(value, DIGITS)


def point_line(point: dict[str, float]) -> Text:
    return Text("at  " + (", ".join(f"{name} = {num(v)}" for name, v in point.items()) or "(no inputs)"))


def titled(title: str, table: Table) -> Group:
    """A table under a title that keeps to one line (a table's own title wraps at its width)."""
    return Group(Text(title, style="italic"), table)


def _matrix_table(title: str, corner: str, rows: list[tuple[str, list[float]]], columns: list[str]) -> Group:
    table = Table(show_edge=False, box=None, padding=(0, 2))
    table.add_column(corner, style="bold")
    for column in columns:
        table.add_column(column, justify="right")
    for label, numbers in rows:
        table.add_row(label, *[num(v) for v in numbers])
    return titled(title, table)


# ---------------------------------------------------------------- Jacobian


def output_rows(j: Jacobian) -> Group:
    """Each output: how it is called, what it computes, its value."""
    program = j.program
    texts = node_texts(program)
    table = Table(show_edge=False, box=None, padding=(0, 2))
    table.add_column("output", style="bold")
    table.add_column("expression")
    table.add_column("value", justify="right")
    for k, (node, value) in enumerate(zip(program.outputs, j.values)):
        shown = expression(program.graph, node, texts) if program.graph.args[node] else texts.name(node)
        table.add_row(program.output_label(k), shown, num(value))
    return titled("outputs", table)


def jacobian_table(j: Jacobian) -> Group:
    labels = [j.program.output_label(k) for k in range(len(j.outputs))]
    title = f"Jacobian (row: output, column: d / d input), by {j.mode} mode"
    return _matrix_table(title, "output", list(zip(labels, j.rows)), [f"d / d {name}" for name in j.inputs])


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
    notes += [Text(f"! {a.message}", style="bold red") for a in j.anomalies]
    texts = node_texts(j.program)
    notes += [Text(f"~ kink at {texts.name(k.node)}: {k.convention}", style="yellow") for k in j.kinks]
    return notes


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
        "anomalies": [{"kind": a.kind, "node": a.node, "message": a.message} for a in j.anomalies],
        "kinks": [{"node": k.node, "op": k.op, "convention": k.convention} for k in j.kinks],
    }


# ---------------------------------------------------------------- Hessian and H v


def hessian_table(h: Hessian, title: str = "Hessian") -> Group:
    names = list(h.matrix)
    rows = [(f"d / d {a}", [h.matrix[a][b] for b in names]) for a in names]
    heading = (
        f"{title} (forward-over-reverse: {h.passes} tangent pass{'' if h.passes == 1 else 'es'} over the gradient)"
    )
    return _matrix_table(heading, "", rows, [f"d / d {b}" for b in names])


def hessian_data(h: Hessian) -> dict[str, dict[str, float | str]]:
    return {a: {b: json_number(v) for b, v in row.items()} for a, row in h.matrix.items()}


def hvp_table(r: HessianVectorProduct, title: str = "Hessian-vector product") -> Group:
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for header in ("input", "v", "gradient", "(H v)"):
        table.add_column(header, justify="left" if header == "input" else "right")
    for name in r.product:
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
