"""Diagnostics: where a nan or infinity was born, said in terms of the program's own names."""

from __future__ import annotations

import math

from gradcli.ad.evaluation import ANOMALY_EXPLAINERS, Anomaly
from gradcli.core.graph import Program
from gradcli.core.numbers import format_number
from gradcli.explain.texts import expression, expression_at, local_derivatives, node_texts


def anomaly_message(anomaly: Anomaly) -> str:
    """One sentence on an anomaly: the node, its expression and the numbers that made it."""
    if anomaly.kind == "value":
        return explain_bad_value(anomaly.program, anomaly.node, anomaly.values)
    return explain_bad_grad(anomaly.program, anomaly.node, anomaly.values, anomaly.grads)


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


def _formula_value(formula: str, value: float) -> str:
    shown = format_number(value)
    return shown if formula == shown else f"{formula} = {shown}"


ANOMALY_EXPLAINERS.append(anomaly_message)
