"""Diagnostics: where a nan or infinity was born, said in terms of the program's own names."""

from __future__ import annotations

import math

from gradcli.ad.evaluation import ANOMALY_EXPLAINERS, Anomaly
from gradcli.ad.reverse import silent_nodes
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.numbers import format_number
from gradcli.core.values import array_ops
from gradcli.explain.texts import as_symbol, expression, expression_at, local_derivatives, node_texts, sent_back


def anomaly_message(anomaly: Anomaly) -> str:
    """One sentence on an anomaly: the node, its expression and the numbers that made it."""
    if _with_arrays(anomaly):
        return _array_message(anomaly)
    if anomaly.kind == "value":
        return explain_bad_value(anomaly.program, anomaly.node, anomaly.values) + _not_taken(anomaly)
    return explain_bad_grad(anomaly.program, anomaly.node, anomaly.values, anomaly.grads)


def _not_taken(anomaly: Anomaly) -> str:
    """A note when the bad value sits in a branch ``where`` does not take: it reaches neither the
    output nor the gradient."""
    program, values = anomaly.program, anomaly.values
    output = program.output
    if not _finite(values[output]) or anomaly.node not in silent_nodes(program, values, output):
        return ""
    return "; where does not take this branch, so it reaches neither the output nor the gradient"


def _finite(value) -> bool:
    return bool(np.isfinite(value).all()) if is_array(value) else math.isfinite(value)


def explain_bad_value(program: Program, node: int, values: list[float]) -> str:
    """Say where a nan/inf value was born: ``nan first appears at log(x): log(-1) = nan``."""
    g = program.graph
    texts = node_texts(program)
    number = format_number(values[node])
    name = texts.name(node)
    if g.ops[node].name == "const":
        return f"{number} first appears at a number in the program too large for float64 (it reads as {number})"
    if not g.args[node]:
        return f"{number} first appears at input {name} (given as {number})"
    op = g.ops[node]
    shown = expression_at(g, node, values, constants=program.constants)
    domain = f" ({op.name} needs {op.domain})" if op.domain else ""
    where = name if name == expression(g, node, texts) else f"{name} = {expression(g, node, texts)}"
    return f"{number} first appears at {where}: {shown} = {number}{domain}"


def explain_bad_grad(program: Program, node: int, values: list[float], grads: list[float]) -> str:
    """Say which edge made a gradient non-finite: the consumer and its local derivative."""
    g = program.graph
    texts = node_texts(program)
    name = texts.name
    number = format_number(grads[node])
    for consumer in program.nodes:
        for pos, arg in enumerate(g.args[consumer]):
            if arg != node or not g.ops[consumer].differentiable or not math.isfinite(grads[consumer]):
                continue
            local = local_derivatives(program, consumer, values, texts)[pos]
            if not math.isfinite(local.value * grads[consumer]):
                return (
                    f"gradient {number} first appears at {name(node)} (value {format_number(values[node])}):"
                    f" d {name(consumer)} / d {name(node)} = {_formula_value(local.formula, local.value)}"
                    f" there, times an incoming gradient {format_number(grads[consumer])}"
                )
    return f"gradient {number} first appears at {name(node)}"


def _with_arrays(anomaly: Anomaly) -> bool:
    """Whether the anomaly is in a program with arrays (then the VJPs, not partials, say how it came about)."""
    return anomaly.element is not None or array_ops(anomaly.program) or any(is_array(v) for v in anomaly.values)


def _array_message(anomaly: Anomaly) -> str:
    """Where a nan or infinity first appears in a program with arrays: the node and the element."""
    program, node, values = anomaly.program, anomaly.node, anomaly.values
    g = program.graph
    texts = node_texts(program)
    number = format_number(anomaly.number)
    element = "" if anomaly.element is None else "[" + ", ".join(map(str, anomaly.element)) + "]"
    name = texts.name(node)
    if anomaly.kind == "gradient":
        return f"gradient {number} first appears at {as_symbol(texts[node])}{element}{_sender(anomaly, texts)}"
    if not g.args[node]:
        return f"{number} first appears at input {name}{element} (given as {number})"
    op = g.ops[node]
    where = name if name == expression(g, node, texts) else f"{name} = {expression(g, node, texts)}"
    at = ""
    if op.elementwise:
        shape, position = np.shape(values[node]), anomaly.element or ()
        numbers = {a: float(np.broadcast_to(values[a], shape)[position]) for a in g.args[node]}
        at = f": {expression_at(g, node, numbers, constants=program.constants)} = {number}"
    domain = f" ({op.name} needs {op.domain})" if op.domain else ""
    return f"{number} first appears at {as_symbol((where, texts[node][1]))}{element}{at}{domain}"


def _sender(anomaly: Anomaly, texts) -> str:
    """Which node's vector-Jacobian product first sent a non-finite gradient to the anomaly's node."""
    program, node = anomaly.program, anomaly.node
    g = program.graph
    for consumer in program.nodes:
        if node not in g.args[consumer] or not np.all(np.isfinite(anomaly.grads[consumer])):
            continue
        sent = sent_back(program, consumer, anomaly.values, anomaly.grads[consumer])
        for arg, amount in zip(g.args[consumer], sent):
            if arg == node and amount is not None and not np.all(np.isfinite(amount)):
                return f": from {texts.name(consumer)}, whose gradient is finite (its value is not)"
    return ""


def _formula_value(formula: str, value: float) -> str:
    shown = format_number(value)
    return shown if formula == shown else f"{formula} = {shown}"


ANOMALY_EXPLAINERS.append(anomaly_message)
