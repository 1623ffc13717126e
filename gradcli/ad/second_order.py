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
from typing import Any, NamedTuple

from gradcli.ad.dual_arrays import gradient_and_hvp
from gradcli.ad.evaluation import resolve_point
from gradcli.ad.forward_mode import tangent_sweep
from gradcli.ad.jacobian import forward_rows
from gradcli.ad.symbolic import gradient_program
from gradcli.core import arrays, limits
from gradcli.core.errors import InputProblem, MissingValues, UnknownInput
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.values import forward_values, has_arrays


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
    gradient = gradient_program(program)
    return gradient, point, forward_values(gradient, point)


def hessian(program: Program, at: Mapping[str, float] | None = None, wrt: Sequence[str] | None = None) -> Hessian:
    """The Hessian of a single-output program: one forward-over-reverse pass per input. With
    ``wrt``, only the columns of those inputs (every row): one pass each."""
    point = resolve_point(program, at or {})
    if has_arrays(program, point):
        return _array_hessian(program, point, wrt)
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
    point = resolve_point(program, at or {})
    if has_arrays(program, point) or any(is_array(direction[name]) for name in names):  # shapes checked there
        return _array_hvp(program, point, direction)
    with paused_gc():
        gradient, point, values = _gradient_values(program, at)
        seeds = {program.inputs[name]: float(direction[name]) for name in names}
        tangent = tangent_sweep(gradient, values, seeds)
    product = {name: tangent[node] or 0.0 for name, node in zip(names, gradient.outputs)}
    grads = {name: values[node] for name, node in zip(names, gradient.outputs)}
    v = {name: float(direction[name]) for name in names}
    return HessianVectorProduct(program, point, values[program.output], grads, v, product, 1 if names else 0)


# ---------------------------------------------------------------- arrays: forward-over-reverse on duals


def _scalar_output_values(program: Program, point: Mapping[str, Any]) -> list[Any]:
    values = forward_values(program, point)
    if is_array(values[program.output]):
        raise InputProblem("second derivatives need an output that is one number; take sum(...) or an element of it")
    return values


def _array_hvp(program: Program, point: Mapping[str, Any], direction: Mapping[str, Any]) -> HessianVectorProduct:
    """H v of a program with arrays: ``direction`` holds, per input, a number or an array of its shape."""
    values = _scalar_output_values(program, point)
    seeds = {}
    for name, node in program.inputs.items():
        shape = np.shape(values[node])
        if np.shape(direction[name]) not in ((), shape):
            reason = f"{name} has shape {shape}: give a direction of that shape (or one number for every element)"
            raise InputProblem(reason, "direction")
        seeds[node] = arrays.as_value(np.broadcast_to(direction[name], shape))
    with paused_gc():
        gradient, product = gradient_and_hvp(program, values, seeds)
    names = program.inputs.items()
    return HessianVectorProduct(
        program,
        dict(point),
        values[program.output],
        {name: gradient[node] for name, node in names},
        {name: seeds[node] for name, node in names},
        {name: product[node] for name, node in names},
        1 if program.inputs else 0,
    )


def _array_hessian(program: Program, point: Mapping[str, Any], wrt: Sequence[str] | None) -> Hessian:
    """The Hessian of a program with arrays, one H e_j per input element j (of ``wrt``'s inputs):
    rows and columns are elements, ``W[0, 1]``."""
    values = _scalar_output_values(program, point)
    rows, columns = [], []
    for name, node in program.inputs.items():
        for label, at in arrays.elements(name, values[node]):
            rows.append((label, node, at))
            if wrt is None or name in wrt:
                columns.append((label, node, at))
    elements = sum(int(np.size(v)) for v in values)
    limits.check_work(len(columns) * 4 * elements, "choose fewer inputs with --wrt")
    matrix: dict[str, dict[str, float]] = {label: {} for label, _, _ in rows}
    gradient: dict[str, float] = {}
    with paused_gc():
        for column, node, at in columns:
            grads, product = gradient_and_hvp(program, values, {node: arrays.one_hot(values[node], at)})
            for label, row_node, row_at in rows:
                matrix[label][column] = float(np.asarray(product[row_node])[row_at])
                gradient[label] = float(np.asarray(grads[row_node])[row_at])
    return Hessian(program, dict(point), values[program.output], gradient, matrix, len(columns))
