"""Second derivatives: the Hessian and Hessian-vector products, forward-over-reverse.

Reverse mode run on nodes gives the gradient as a program of its own
(:func:`gradcli.ad.symbolic.gradient_program`), appended to the same graph through the
same op table. Evaluating it is the reverse pass; a tangent pass over it
differentiates the gradient along a direction. Along each input, n passes give the
Hessian; along a vector v, one pass gives H v without forming H, as JAX's
``jvp(grad(f))`` does. stop_gradient blocks every order: its node has no tangent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from gradcli.ad.evaluation import resolve_point
from gradcli.ad.forward_mode import tangent_sweep
from gradcli.ad.jacobian import forward_rows
from gradcli.ad.symbolic import gradient_program
from gradcli.core.errors import MissingValues, UnknownInput
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Program
from gradcli.core.values import forward_values, scalars_only


class Hessian(NamedTuple):
    program: Program
    point: dict[str, float]
    value: float
    gradient: dict[str, float]
    matrix: dict[str, dict[str, float]]  # d2 f / d row d column, inputs in order
    passes: int  # tangent passes over the gradient graph, one per input


class HessianVectorProduct(NamedTuple):
    program: Program
    point: dict[str, float]
    value: float
    gradient: dict[str, float]
    direction: dict[str, float]
    product: dict[str, float]  # (H v) per input
    passes: int  # one tangent pass over the gradient graph


def _gradient_values(program: Program, at: Mapping[str, float] | None) -> tuple[Program, dict, list[float]]:
    point = resolve_point(program, at or {})
    scalars_only(program, point, "second order (Hessians and H v)")
    gradient = gradient_program(program)
    return gradient, point, forward_values(gradient, point)


def hessian(program: Program, at: Mapping[str, float] | None = None, wrt: Sequence[str] | None = None) -> Hessian:
    """The Hessian of a single-output program: one forward-over-reverse pass per input. With
    ``wrt``, only the columns of those inputs (every row): one pass each."""
    names = list(program.inputs)
    columns = names if wrt is None else list(wrt)
    with paused_gc():
        gradient, point, values = _gradient_values(program, at)
        rows = forward_rows(gradient, values, columns)
    matrix = {a: dict(zip(columns, row)) for a, row in zip(names, rows)}
    grads = {name: values[node] for name, node in zip(names, gradient.outputs)}
    return Hessian(program, point, values[program.output], grads, matrix, len(columns))


def hvp(program: Program, at: Mapping[str, float] | None, direction: Mapping[str, float]) -> HessianVectorProduct:
    """H v for the direction v (one number per input): one forward-over-reverse pass."""
    names = list(program.inputs)
    unknown = [name for name in direction if name not in program.inputs]
    if unknown:
        raise UnknownInput(unknown[0], names, "direction")
    missing = [name for name in names if name not in direction]
    if missing:
        raise MissingValues(missing, names, "direction")
    with paused_gc():
        gradient, point, values = _gradient_values(program, at)
        seeds = {program.inputs[name]: float(direction[name]) for name in names}
        tangent = tangent_sweep(gradient, values, seeds)
    product = {name: tangent[node] or 0.0 for name, node in zip(names, gradient.outputs)}
    grads = {name: values[node] for name, node in zip(names, gradient.outputs)}
    v = {name: float(direction[name]) for name in names}
    return HessianVectorProduct(program, point, values[program.output], grads, v, product, 1 if names else 0)
