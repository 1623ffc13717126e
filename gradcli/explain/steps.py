"""The two passes as a sequence of steps a learner can walk through.

Forward: one step per computed node, in evaluation order (``a = x*3 = 2*3 = 6``).
Backward: one step per node the gradient reaches, in reverse order: the node's
gradient (the sum of what arrived), then for each argument the chain-rule product
``local derivative x gradient = contribution`` and the argument's running sum.
Constants are left out of both passes: they have values but nobody asks for their
gradient. Every step says which node values and gradients it changes, so a viewer
can replay the passes from the start.
"""

from __future__ import annotations

from typing import NamedTuple

from gradcli.ad.evaluation import Evaluation
from gradcli.ad.reverse import gradient_reach, reverse_plan
from gradcli.core.numbers import LABEL_DIGITS, format_number
from gradcli.core.precedence import Text
from gradcli.core.values import has_arrays
from gradcli.explain.texts import (
    LocalDerivative,
    NodeTexts,
    as_symbol,
    expression,
    expression_at,
    local_derivatives,
    node_texts,
    sent_back,
    vjp_formulas,
)

FORWARD = "forward"
BACKWARD = "backward"


class Step(NamedTuple):
    phase: str  # FORWARD or BACKWARD
    node: int
    title: str
    lines: tuple[str, ...]
    values: dict[int, float]  # node values known from this step on
    grads: dict[int, float]  # running gradients after this step


def num(value: float) -> str:
    return format_number(value, LABEL_DIGITS)


def build_steps(evaluation: Evaluation) -> list[Step]:
    """Every step of the forward pass, then every step of the backward pass."""
    return forward_steps(evaluation) + backward_steps(evaluation)


def forward_steps(evaluation: Evaluation) -> list[Step]:
    program, values = evaluation.program, evaluation.values
    g = program.graph
    texts = node_texts(program)
    steps = []
    for node in program.nodes:
        if g.ops[node].name == "const":
            continue
        name = texts.name(node)
        if not g.args[node]:
            line = f"{name} = {num(values[node])} (input)"
        else:
            line = _computation(evaluation, node, texts)
        steps.append(Step(FORWARD, node, f"forward: {name}", (line,), {node: values[node]}, {}))
    return steps


def _computation(evaluation: Evaluation, node: int, texts: NodeTexts) -> str:
    """``a = x*3 = 2*3 = 6``: the operation, on names, then on numbers, then the value."""
    g, values = evaluation.program.graph, evaluation.values
    name = texts.name(node)
    symbolic = expression(g, node, texts)
    numeric = expression_at(g, node, values, LABEL_DIGITS, evaluation.program.constants)
    parts = [name] if name == symbolic else [name, symbolic]
    if numeric not in parts:
        parts.append(numeric)
    parts.append(num(values[node]))
    return " = ".join(parts)


def backward_steps(evaluation: Evaluation) -> list[Step]:
    program, values, grads = evaluation.program, evaluation.values, evaluation.grads
    g = program.graph
    texts = node_texts(program)
    output = program.output
    reached = gradient_reach(program, output)
    plan = {step[1]: step for step in reverse_plan(program, output)}
    arrays = has_arrays(program, evaluation.point)
    running: dict[int, list[tuple[int, float]]] = {}  # node -> contributions received so far
    totals: dict[int, float] = {}  # node -> their sum, added up in the order the reverse sweep adds them
    steps = []
    for node in sorted(reached, reverse=True):
        if g.ops[node].name == "const":
            continue
        name = texts.name(node)
        lines = [_gradient_line(name, node, output, running.get(node, []), grads[node], texts)]
        updates = {node: grads[node]}
        if node in plan and arrays:
            lines += _array_sends(evaluation, node, texts, running, totals, updates)
        elif node in plan:
            for local in local_derivatives(program, node, values, texts):
                arg = local.wrt
                if g.ops[arg].name == "const":
                    continue
                amount = local.value * grads[node]
                running.setdefault(arg, []).append((node, amount))
                totals[arg] = totals.get(arg, 0.0) + amount
                merged = totals[arg] if len(running[arg]) > 1 else None
                lines.append(_send_line(texts[node], texts[arg], local, grads[node], merged))
                updates[arg] = totals[arg]
        elif g.args[node] and not g.ops[node].differentiable:
            lines.append(f"{name} is stop_gradient: nothing flows to {', '.join(texts.name(a) for a in g.args[node])}")
        steps.append(Step(BACKWARD, node, f"backward: {name}", tuple(lines), {}, updates))
    return _close_unreached(evaluation, steps, reached)


def _array_sends(
    evaluation: Evaluation, node: int, texts: NodeTexts, running: dict, totals: dict, updates: dict
) -> list[str]:
    """What a node of a program with arrays sends each argument: its vector-Jacobian product, as a
    formula in ``g`` (the node's gradient) and as numbers, with the running sum where paths meet."""
    program = evaluation.program
    g = program.graph
    sent = sent_back(program, node, evaluation.values, evaluation.grads[node])
    local = {d.wrt: d.formula for d in local_derivatives(program, node, evaluation.values, texts)}
    formulas = dict(zip(g.args[node], vjp_formulas(program, node, evaluation.values, texts))) if not local else {}
    lines = []
    for arg, amount in zip(g.args[node], sent):
        if amount is None or g.ops[arg].name == "const":
            continue
        running.setdefault(arg, []).append((node, amount))
        totals[arg] = totals[arg] + amount if arg in totals else amount
        updates[arg] = totals[arg]
        rule = (
            f"g × ∂{as_symbol(texts[node])}/∂{as_symbol(texts[arg])}, ∂ = {local[arg]}"
            if arg in local
            else formulas[arg]
        )
        merged = f" (running sum {num(totals[arg])})" if len(running[arg]) > 1 else ""
        lines.append(f"{rule}: {num(amount)} → {texts.name(arg)}{merged}")
    return lines


def _close_unreached(evaluation: Evaluation, steps: list[Step], reached: set[int]) -> list[Step]:
    """Nodes the gradient never reaches (unused, or cut off by stop_gradient) end with 0."""
    g = evaluation.program.graph
    unreached = [n for n in evaluation.program.nodes if n not in reached and g.ops[n].name != "const"]
    if not steps or not unreached:
        return steps
    last = steps[-1]
    names = ", ".join(node_texts(evaluation.program).name(n) for n in unreached)
    line = f"no gradient reaches {names}: its gradient stays 0"
    grads = {**last.grads, **{n: 0.0 for n in unreached}}
    return [*steps[:-1], last._replace(lines=(*last.lines, line), grads=grads)]


def _gradient_line(
    name: str, node: int, output: int, received: list[tuple[int, float]], grad: float, texts: NodeTexts
) -> str:
    if node == output:
        return f"d{as_symbol(texts[node])}/d{as_symbol(texts[node])} = 1 (the seed)"
    parts = [f"{num(amount)} from {as_symbol(texts[source])}" for source, amount in received]
    if len(parts) == 1:
        return f"gradient of {name} = {parts[0]}"
    return f"gradient of {name} = {' + '.join(parts)} = {num(grad)}"


def _send_line(name: Text, arg: Text, local: LocalDerivative, grad: float, running_sum: float | None) -> str:
    """``∂c/∂b = 2*b = 14; 14 × 1 = 14 → b``, with the running sum where paths meet."""
    shown = num(local.value)
    factor = shown if local.formula == shown else f"{local.formula} = {shown}"
    running = f" (running sum {num(running_sum)})" if running_sum is not None else ""
    amount = num(local.value * grad)
    return f"∂{as_symbol(name)}/∂{as_symbol(arg)} = {factor}; {shown} × {num(grad)} = {amount} → {arg[0]}{running}"
