"""Results per output of a program that may have several: symbolic derivatives with their
sizes and text, Hessians and Hessian-vector products. Each output is taken as a program of
its own (:meth:`~gradcli.core.graph.Program.select`), in output order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from gradcli.ad.derivative_text import derivative_texts
from gradcli.ad.second_order import Hessian, HessianVectorProduct, hessian, hvp
from gradcli.ad.symbolic import Derivative, Sizes, derivative, second_derivative, sizes
from gradcli.core.errors import InputProblem
from gradcli.core.graph import Program


class OutputDerivatives(NamedTuple):
    """The symbolic derivatives of one output."""

    program: Program  # the program with this output as its only one
    derivative: Derivative
    sizes: Sizes
    texts: dict[str, str]  # key (input name, or "a,b" for a second derivative) -> gradcli text


def output_derivatives(
    program: Program,
    wrt: Sequence[str] | None = None,
    order: int = 1,
    expand: bool = False,
    at: Mapping[str, Any] | None = None,
) -> list[OutputDerivatives]:
    """Each output's first (``order`` 1) or second (2, each pair once) derivatives by ``wrt``
    (default: every input), as gradcli text: flat with ``expand``, else the shorter form."""
    results = []
    for k in range(len(program.outputs)):
        single = program.select(k)
        if order not in (1, 2):
            raise InputProblem("choose 1 (first derivatives) or 2 (second derivatives)", "order", str(order))
        d = derivative(single, wrt, at) if order == 1 else second_derivative(single, wrt)
        measured = sizes(d)
        results.append(OutputDerivatives(single, d, measured, derivative_texts(d, measured, expand)))
    return results


SecondOrder = Hessian | HessianVectorProduct


def second_order_per_output(
    program: Program, at: Mapping[str, float], hessians: bool, direction: Mapping[str, float] | None = None
) -> list[tuple[str, SecondOrder]]:
    """(output label, result) for each output: its Hessian when ``hessians``, then its
    Hessian-vector product along ``direction`` when one is given. The label is empty for a
    program with a single output."""
    results: list[tuple[str, SecondOrder]] = []
    for k in range(len(program.outputs)):
        single = program.select(k)
        label = program.output_label(k) if len(program.outputs) > 1 else ""
        if hessians:
            results.append((label, hessian(single, at)))
        if direction is not None:
            results.append((label, hvp(single, at, direction)))
    return results
