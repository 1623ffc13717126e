"""The machine-readable report: strict JSON (non-finite numbers as strings)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from gradcli.ad.evaluation import Anomaly, Evaluation, Kink
from gradcli.core.lazy_numpy import is_array
from gradcli.core.numbers import json_number
from gradcli.explain.diagnostics import anomaly_message
from gradcli.explain.trace import TraceRow


def _node(row: TraceRow) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": row.node,
        "label": row.label,
        "op": row.op,
        "role": row.role,
        "expression": row.expression,
        "inputs": list(row.inputs),
        "value": json_number(row.value),
        "grad": json_number(row.grad),
        "local": [{"wrt": d.wrt, "formula": d.formula, "value": json_number(d.value)} for d in row.local],
        "incoming": [
            {
                "from": c.consumer,
                "local": json_number(c.local),
                "upstream": json_number(c.upstream),
                "amount": json_number(c.amount),
                **({"blocked": True} if c.blocked else {}),
                **({"nothing": True} if c.nothing else {}),
            }
            for c in row.incoming
        ],
    }
    if row.kink:
        node["kink"] = row.kink
    if is_array(row.value):
        node["shape"] = list(row.value.shape)
    if row.sent is not None:
        node["sends"] = [
            {"to": a, "amount": json_number(amount)} for a, amount in zip(row.inputs, row.sent) if amount is not None
        ]
    return node


def report_data(ev: Evaluation, rows: Sequence[TraceRow] | None = None) -> dict[str, Any]:
    """Everything ``gradcli eval --json`` prints, as plain data: per node its value and adjoint, or
    with ``rows`` (``--trace``) its whole trace row, local derivatives and incoming gradients."""
    return {**_head(ev), "nodes": list(_nodes(ev, rows)), **diagnostics_data(ev.anomalies, ev.kinks)}


def evaluation_json(ev: Evaluation, rows: Iterable[TraceRow] | None, extra: dict[str, Any]) -> str:
    """``gradcli eval --json`` as text. A large program's nodes are written one at a time into the
    text, never held as one object of every node's fields (for 100,000 nodes, a third of a GB)."""
    if ev.program.size <= PRETTY_LIMIT:
        return dumps({**report_data(ev, None if rows is None else list(rows)), **extra})
    compact = {"separators": (",", ":"), "allow_nan": False}
    tail = {**diagnostics_data(ev.anomalies, ev.kinks), **extra}
    nodes = ",".join(json.dumps(node, **compact) for node in _nodes(ev, rows))
    return f'{json.dumps(_head(ev), **compact)[:-1]},"nodes":[{nodes}],{json.dumps(tail, **compact)[1:]}\n'


def _head(ev: Evaluation) -> dict[str, Any]:
    program = ev.program
    return {
        "program": program.source,
        "at": {name: json_number(v) for name, v in ev.point.items()},
        "value": json_number(ev.value),
        "gradient": {name: json_number(g) for name, g in ev.gradient.items()},
        "output": program.output,
    }


def _nodes(ev: Evaluation, rows: Iterable[TraceRow] | None) -> Iterator[dict[str, Any]]:
    """Each node's JSON: its trace row's, or its id, op, arguments, value and adjoint (and name)."""
    if rows is not None:
        yield from map(_node, rows)
        return
    program = ev.program
    g = program.graph
    names = {**program.labels, **{node: name for name, node in program.inputs.items()}}
    for node in program.nodes:
        summary = {"id": node, "op": g.ops[node].name, "inputs": list(g.args[node])}
        if node in names:
            summary["label"] = names[node]
        summary["value"] = json_number(ev.values[node])
        summary["grad"] = json_number(ev.grads[node])
        yield summary


def diagnostics_data(anomalies: Sequence[Anomaly], kinks: Sequence[Kink]) -> dict[str, Any]:
    """Where a nan or infinity first appeared, and the nodes on a kink."""
    return {
        "anomalies": [{"kind": a.kind, "node": a.node, "message": anomaly_message(a)} for a in anomalies],
        "kinks": [{"node": k.node, "op": k.op, "convention": k.convention} for k in kinks],
    }


PRETTY_LIMIT = 2000  # nodes; larger reports are written compactly


def dumps(data: Any) -> str:
    """Strict JSON (``allow_nan=False``), indented unless the graph is large."""
    if len(data.get("nodes", ())) <= PRETTY_LIMIT:
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    return json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n"


def forward_data(result) -> dict[str, Any]:
    """``gradcli eval --mode forward --json``: value, gradient, passes, each node's tangents."""
    program = result.program
    return {
        "program": program.source,
        "mode": "forward",
        "passes": result.passes,
        "at": {name: json_number(v) for name, v in result.point.items()},
        "value": json_number(result.value),
        "gradient": {name: json_number(g) for name, g in result.gradient.items()},
        "output": program.output,
        "nodes": [
            {
                "id": node,
                "op": program.graph.ops[node].name,
                "inputs": list(program.graph.args[node]),
                "value": json_number(result.values[node]),
                "tangents": {name: json_number(t[node]) for name, t in result.tangents.items()},
            }
            for node in program.nodes
        ],
    }
