"""Results per output of a program that may have several: symbolic derivatives with their
sizes and text, Hessians and Hessian-vector products. Each output is taken as a program of
its own (:meth:`~gradcli.core.graph.Program.select`), in output order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from gradcli.ad.derivative_text import derivative_texts
from gradcli.ad.evaluation import resolve_point
from gradcli.ad.symbolic import Derivative, Sizes, derivative, may_have_arrays, second_derivative, sizes
from gradcli.core.arrays import elements
from gradcli.core.errors import InputProblem, argument
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array
from gradcli.core.ops import OPS
from gradcli.core.values import forward_values, has_arrays

MAX_ELEMENT_OUTPUTS = 64  # elements of array outputs taken one by one (diff, compare, --of, Hessians)


def element_outputs(program: Program, at: Mapping[str, Any] | None = None) -> Program:
    """The program with each element of an array-valued output as an output of its own.

    A vector-valued output and a list of outputs are one concept: ``s = softmax(x)`` has the
    outputs ``s[0]``, ``s[1]``, ... as ``[a, b]`` has ``a`` and ``b``, so that ``--of``, ``diff``,
    ``compare`` and second derivatives treat both alike. A program of numbers is returned as it is.
    """
    if not may_have_arrays(program, at):
        return program  # a program of numbers needs no values here (diff takes none)
    point = resolve_point(program, at or {})
    if not has_arrays(program, point):
        return program
    values = forward_values(program, point)
    if not any(is_array(values[out]) for out in program.outputs):
        return program
    single = len(program.outputs) == 1
    graph, outputs, names = program.graph, [], []
    for k, out in enumerate(program.outputs):
        name = program.output_names[k] or ("" if single else f"[{k}]")
        for label, where in elements(name, values[out]):
            outputs.append(graph.make(OPS["index"], (out,), where) if where else out)
            names.append(label)
    if len(outputs) > MAX_ELEMENT_OUTPUTS:
        raise InputProblem(
            f"the output has {len(outputs)} elements, more than the {MAX_ELEMENT_OUTPUTS} taken one by one here: "
            f"choose one (such as {names[0]}) with {argument('of')}, take sum(...) of it, "
            f"or use {argument('jacobian')}"
        )
    return Program(
        graph,
        outputs,
        program.inputs,
        program.labels,
        program.source,
        len(graph),
        program.defaults,
        program.bound,
        program.unread,
        names,
        program.shadowed,
        program.positions,
    )


def chosen_output(program: Program, at: Mapping[str, Any] | None, which: str | None) -> Program:
    """The program with only the output called ``which`` (a name or a position), or as it is for None.

    The listed outputs are looked up first (``b`` of ``[a, b]``), then the elements of array
    outputs (``s[1]`` of ``s = softmax(x)``, or position 1 when ``s`` is the only output).
    """
    if which is None:
        return program
    try:
        return program.select(program.output_index(which))
    except InputProblem:
        split = element_outputs(program, at)
        if split is program:
            raise
        return split.select(split.output_index(which))


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
        d = derivative(single, wrt, at) if order == 1 else second_derivative(single, wrt, at)
        measured = sizes(d)
        results.append(OutputDerivatives(single, d, measured, derivative_texts(d, measured, expand)))
    return results


SecondOrder = Any  # a Hessian or a HessianVectorProduct (gradcli.ad.second_order, imported when asked for)


def second_order_per_output(
    program: Program, at: Mapping[str, float], hessians: bool, direction: Mapping[str, float] | None = None
) -> list[tuple[str, SecondOrder]]:
    """(output label, result) for each output: its Hessian when ``hessians``, then its
    Hessian-vector product along ``direction`` when one is given. The label is empty for a
    program with a single output."""
    if not hessians and direction is None:
        return []
    from gradcli.ad.second_order import hessian, hvp

    results: list[tuple[str, SecondOrder]] = []
    for k in range(len(program.outputs)):
        single = program.select(k)
        label = program.output_label(k) if len(program.outputs) > 1 else ""
        if hessians:
            results.append((label, hessian(single, at)))
        if direction is not None:
            results.append((label, hvp(single, at, direction)))
    return results
