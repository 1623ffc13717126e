"""Reports for ``gradcli eval`` and ``gradcli jacobian``: the backward trace of one output,
the forward-mode tangents, or the Jacobian of several outputs, each with the Hessians and
Hessian-vector products asked for; as terminal text or strict JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from gradcli.ad.evaluation import Evaluation
from gradcli.core.graph import Program
from gradcli.explain.texts import node_texts
from gradcli.explain.trace import build_trace
from gradcli.render.table import render_forward, render_report
from gradcli.render.terminal import to_terminal

# Second-order results, forward mode, Jacobians and JSON are imported by the reports that have
# them: the commonest run, one output's table, starts without their modules.

MAX_SECOND_ORDER_TABLES = 8  # Hessians (or H v) of several outputs shown in the terminal; --json has all

SecondResults = list[tuple[str, Any]]  # (output's label, Hessian or HessianVectorProduct)


def eval_report(
    evaluation: Evaluation,
    second: SecondResults,
    json_output: bool = False,
    backward_order: bool = False,
    constants: bool = False,
    max_rows: int = 60,
    trace: bool = False,
) -> str:
    """One output's value, gradient and backward trace (``max_rows`` rows, 0: all; the output
    first with ``backward_order``), then its second-order results. As JSON, per node its value and
    adjoint, or with ``trace`` its whole trace row."""
    if json_output:
        from gradcli.render.json_report import evaluation_json

        rows = build_trace(evaluation) if trace else None
        return evaluation_json(evaluation, rows, second_order_data(second, False))
    program = evaluation.program
    shown, hidden = rows_to_show(program, constants, max_rows)
    trace = build_trace(evaluation, [n for n in shown if n is not None])
    by_node = {row.node: row for row in trace}
    rows = [by_node[n] if n is not None else None for n in shown]
    if backward_order:
        rows.reverse()
    texts = node_texts(program)
    extra = second_order_parts(second)
    return to_terminal(lambda console: render_report(evaluation, rows, texts, console, constants, hidden, extra))


def forward_report(result: Any, second: SecondResults, json_output: bool = False, max_rows: int = 60) -> str:
    """One output's value and gradient by forward mode (a ``ForwardResult``), each node's tangents,
    then second-order results."""
    if json_output:
        from gradcli.render.json_report import dumps, forward_data

        return dumps({**forward_data(result), **second_order_data(second, False)})
    shown, hidden = rows_to_show(result.program, False, max_rows)
    extra = second_order_parts(second)
    return to_terminal(lambda console: render_forward(result, shown, console, hidden, extra))


def outputs_report(jacobian: Any, second: SecondResults, json_output: bool = False) -> str:
    """The outputs' values and the Jacobian (a ``Jacobian``), with each mode's cost, then second-order results."""
    from gradcli.render.second_order_report import jacobian_data, jacobian_parts

    if json_output:
        from gradcli.render.json_report import dumps

        return dumps({**jacobian_data(jacobian), **second_order_data(second, several=True)})
    parts = jacobian_parts(jacobian) + second_order_parts(second)
    return to_terminal(lambda console: console.print(Group(*parts)))


def rows_to_show(program: Program, constants: bool, max_rows: int) -> tuple[list[int | None], int]:
    """The nodes for the table: all, or the first and last ones around a gap (None); and how many are left out."""
    graph = program.graph
    nodes = [n for n in program.nodes if constants or graph.ops[n].name != "const"]
    if max_rows <= 0 or len(nodes) <= max_rows:
        return list(nodes), 0
    head = max_rows // 2
    tail = max_rows - head
    return [*nodes[:head], None, *nodes[-tail:]], len(nodes) - max_rows


def second_order_parts(second: SecondResults) -> list:
    """A table per Hessian or H v, at most :data:`MAX_SECOND_ORDER_TABLES` (a note stands for the rest)."""
    if not second:
        return []
    from gradcli.ad.second_order import Hessian
    from gradcli.render.second_order_report import hessian_table, hvp_table

    shown: list[tuple[str | None, Any]] = list(second)
    if len(shown) > MAX_SECOND_ORDER_TABLES:
        left_out = len(shown) - MAX_SECOND_ORDER_TABLES + 1
        note = Text(f"… {left_out} more left out here: --json has them all, --of picks one output", style="dim")
        shown = [*shown[: MAX_SECOND_ORDER_TABLES - 2], (None, note), shown[-1]]
    parts: list = []
    for label, result in shown:
        if label is None:
            parts += [Text(""), result]
        elif isinstance(result, Hessian):
            parts += [Text(""), hessian_table(result, f"Hessian of {label}" if label else "Hessian")]
        else:
            title = f"Hessian-vector product of {label}" if label else "Hessian-vector product"
            parts += [Text(""), hvp_table(result, title)]
    return parts


def second_order_data(second: SecondResults, several: bool) -> dict[str, Any]:
    """``"hessian"`` and ``"hvp"`` for JSON: one each, or (``several``) a list per output."""
    if not second:
        return {}
    from gradcli.ad.second_order import Hessian
    from gradcli.render.second_order_report import hessian_data, hvp_data

    hessians = [hessian_data(r) for _, r in second if isinstance(r, Hessian)]
    products = [hvp_data(r) for _, r in second if not isinstance(r, Hessian)]
    data: dict[str, Any] = {}
    if hessians:
        data["hessian"] = hessians if several else hessians[0]
    if products:
        data["hvp"] = products if several else products[0]
    return data
