"""Evaluation: one forward sweep over a program's nodes in topological order.

Programs of numbers run a flat loop of float kernels; a program with arrays (an array
input, an array literal, or an op such as ``sum``) runs every node's NumPy kernel instead,
with NumPy's broadcasting, and a shape that does not fit is an input error at that node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from gradcli.core import arrays
from gradcli.core.errors import InputProblem, ShapeProblem
from gradcli.core.graph import Program, per_program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.limits import MAX_ELEMENTS

# A step is (node, forward function, first argument, second argument); for a unary op
# the second is UNARY, for an op of three or more arguments the first is the tuple of
# all of them and the second is NARY.
Step = tuple[int, Callable[..., float], "int | tuple[int, ...]", int]
UNARY = -1
NARY = -2


class ForwardPlan(NamedTuple):
    """The program flattened for a fast loop: a value list with the numbers already in
    place, the inputs to fill in, then the steps that compute every other node."""

    template: list[float]
    variables: tuple[tuple[int, str], ...]
    steps: tuple[Step, ...]


@per_program
def forward_plan(program: Program) -> ForwardPlan:
    """The flat list of steps the forward sweep runs (built once per program)."""
    g = program.graph
    template = [0.0] * program.size
    variables, steps = [], []
    for node, op, args, param in zip(program.nodes, g.ops, g.args, g.params):
        if args:
            fn = op.forward if param is None else op.kernel_for(param)  # a call per node slows the first sweep
            if len(args) == 1:
                steps.append((node, fn, args[0], UNARY))
            elif len(args) == 2:
                steps.append((node, fn, args[0], args[1]))
            else:
                steps.append((node, fn, args, NARY))
        elif op.name == "const":
            template[node] = param
        else:
            variables.append((node, param))
    return ForwardPlan(template, tuple(variables), tuple(steps))


def forward_values(
    program: Program, point: Mapping[str, float], frozen: Mapping[int, float] | None = None
) -> list[float]:
    """The value of every program node, given a value for every input name.

    ``frozen`` pins some nodes to given values (finite differences hold stop_gradient
    fixed): their steps are swapped for constants, and the loop stays the same.
    """
    if has_arrays(program, point):
        return array_values(program, point, frozen)
    plan = forward_plan(program)
    values = plan.template.copy()
    for node, name in plan.variables:
        values[node] = float(point[name])
    steps = plan.steps if not frozen else [_pinned(step, frozen) for step in plan.steps]
    for node, fn, a, b in steps:
        if b >= 0:
            values[node] = fn(values[a], values[b])
        elif b == UNARY:
            values[node] = fn(values[a])
        else:
            values[node] = fn(*[values[j] for j in a])
    return values


def _pinned(step: Step, frozen: Mapping[int, float]) -> Step:
    node, fn, a, b = step
    if node not in frozen:
        return step
    value = frozen[node]
    return (node, lambda *_: value, a, b)


@per_program
def array_ops(program: Program) -> bool:
    """Whether the program makes arrays itself: an array literal or a structural op."""
    g = program.graph
    return any(not op.elementwise or is_array(param) for op, param in zip(g.ops[: program.size], g.params))


def has_arrays(program: Program, point: Mapping[str, Any]) -> bool:
    """Whether evaluating the program at ``point`` involves arrays (then NumPy kernels run every node)."""
    return array_ops(program) or any(is_array(v) for v in point.values())


def scalars_only(program: Program, point: Mapping[str, Any], what: str) -> None:
    """Refuse a computation that handles programs of numbers only, when this one has arrays."""
    if has_arrays(program, point):
        raise InputProblem(f"{what} works on programs of numbers only, for now; this one has arrays")


def array_values(program: Program, point: Mapping[str, Any], frozen: Mapping[int, Any] | None = None) -> list[Any]:
    """:func:`forward_values` with every node's NumPy kernel: a float or a float64 array per node."""
    g = program.graph
    values: list[Any] = [None] * program.size
    with np.errstate(all="ignore"):
        for node, op, args, param in zip(program.nodes, g.ops, g.args, g.params):
            if frozen and node in frozen:
                values[node] = frozen[node]
            elif not args:
                values[node] = param if op.name == "const" else arrays.as_value(point[param])
            else:
                operands = [values[a] for a in args]
                check_size(program, node, operands)
                try:
                    result = op.array_kernel_for(param)(*operands)
                except (ValueError, IndexError, TypeError) as error:
                    raise shape_problem(program, node, operands, error) from None
                values[node] = result if result.__class__ is float else arrays.as_value(result)
    return values


def check_size(program: Program, node: int, operands: list[Any]) -> None:
    """Refuse an op whose result would hold more than :data:`MAX_ELEMENTS` numbers."""
    shapes = [np.shape(v) for v in operands]
    op = program.graph.ops[node]
    if op.name == "outer":
        size = int(np.prod([np.size(v) for v in operands], dtype=np.float64))
    elif op.name == "matmul" and all(shapes):
        size = (shapes[0][0] if len(shapes[0]) == 2 else 1) * (shapes[1][-1] if len(shapes[1]) == 2 else 1)
    elif op.elementwise and len(operands) > 1:
        try:
            size = int(np.prod(np.broadcast_shapes(*shapes), dtype=np.float64))
        except ValueError:
            return  # the kernel says what does not fit
    else:
        return
    if size > MAX_ELEMENTS:
        raise shape_problem(
            program,
            node,
            operands,
            ValueError(f"the result would hold {size:,} numbers; the limit is {MAX_ELEMENTS:,}"),
        )


def describe_shape(value: Any) -> str:
    """``(2, 3)`` for a matrix, ``()`` for a number."""
    shape = np.shape(value)
    return f"({shape[0]},)" if len(shape) == 1 else str(tuple(shape))


def shape_problem(program: Program, node: int, operands: list[Any], error: Exception) -> ShapeProblem:
    """What went wrong at ``node``: the op, its operands' shapes, NumPy's reason, where in the text."""
    op = program.graph.ops[node]
    shapes = " and ".join(describe_shape(v) for v in operands)
    reason = _plain_reason(str(error))
    message = f"{op.name} of {shapes}: {reason}"
    line, column = program.positions.get(node, (None, None))
    return ShapeProblem(message, line, column, program.source)


def _plain_reason(text: str) -> str:
    """NumPy's message in a user's words, where there is a common one."""
    if "matmul: Input operand 1 has a mismatch in its core dimension 0" in text:
        return "inner dimensions differ"
    if "could not be broadcast" in text or "broadcast" in text:
        return "the shapes do not broadcast together (each axis, from the last, must agree or be 1)"
    first = text.split("\n")[0]
    return first[:200]
