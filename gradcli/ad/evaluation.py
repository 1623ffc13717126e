"""The library's front door: evaluate a program at a point, with every gradient.

``evaluate("(3*x+2)**2", {"x": 1})`` returns an :class:`Evaluation`: the value of
every node (one forward sweep), the adjoint of every node (one reverse sweep), the
gradient with respect to each input, and the diagnostics a learner needs: where a
nan or infinity first appeared, and which nodes sit on a kink.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from gradcli.ad.reverse import adjoints, array_adjoints, gradient_reach
from gradcli.core import arrays
from gradcli.core.errors import InputProblem, MissingValues, UnknownInput, argument
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import MultipleOutputs, Program, notebook_svg
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.values import describe_shape, forward_values, has_arrays
from gradcli.syntax.parser import parse


class Anomaly(NamedTuple):
    """The first node where a nan or infinity appears, in a value or a gradient.

    It keeps the sweep's numbers so that :mod:`gradcli.explain.diagnostics` can say how
    the number came about: :attr:`message`.
    """

    kind: str  # "value" or "gradient"
    node: int
    number: float
    program: Program
    values: list[float]
    grads: list[float] | None = None
    element: tuple[int, ...] | None = None  # where in an array value the number is

    @property
    def message(self) -> str:
        """One sentence on how the number came about, from the registered explainer (``gradcli``
        loads :mod:`gradcli.explain.diagnostics`, which registers one); the bare facts without it."""
        if ANOMALY_EXPLAINERS:
            return ANOMALY_EXPLAINERS[-1](self)
        return f"{self.kind} {self.number} first appears at node {self.node}"

    def __repr__(self) -> str:
        return f"Anomaly(kind={self.kind!r}, node={self.node}, number={self.number!r})"


#: Explains an anomaly in one sentence; registered by a later layer, which the sweep cannot import.
ANOMALY_EXPLAINERS: list[Callable[[Anomaly], str]] = []


class Kink(NamedTuple):
    """A node evaluated exactly at a point where its op has no derivative."""

    node: int
    op: str
    convention: str


class Evaluation(NamedTuple):
    program: Program
    point: dict[str, float]
    values: list[float]
    grads: list[float]
    anomalies: list[Anomaly]
    kinks: list[Kink]

    @property
    def value(self) -> float:
        return self.values[self.program.output]

    @property
    def gradient(self) -> dict[str, float]:
        """d output / d input, for each input in order of first use."""
        return {name: self.grads[node] for name, node in self.program.inputs.items()}

    def _repr_svg_(self) -> str | None:
        """The graph with values and gradients as SVG, for Jupyter (needs Graphviz's dot)."""
        return notebook_svg(self)

    def __repr__(self) -> str:
        notes = f", anomalies={len(self.anomalies)}" if self.anomalies else ""
        return f"Evaluation(value={self.value!r}, gradient={self.gradient!r}{notes})"


class Point(dict):
    """A value for every input of a program, checked: what :func:`resolve_point` returns."""


def resolve_point(program: Program, at: Mapping[str, float]) -> Point:
    """Check the given values against the program's inputs; fill in declared defaults.

    A point that was resolved already (a :class:`Point` of these inputs) is taken as it is:
    its defaults were filled in, not given by the user.
    """
    inputs = program.inputs
    if isinstance(at, Point) and at.keys() == inputs.keys():
        return at
    for name in at:
        if name not in inputs:
            computed = name in program.bound or name in program.labels.values()
            raise UnknownInput(name, inputs, "at", computed)
        if name in program.unread:
            ignored = f"the program does not read {name} before it is rebound or the program ends"
            raise InputProblem(f"{ignored}, so its value would be ignored", "at", f"{name}=...")
    point = Point((name, _input_value(at[name]) if name in at else program.defaults.get(name)) for name in inputs)
    missing = [name for name, value in point.items() if value is None]
    if missing:
        raise MissingValues(missing, inputs, "at")
    return point


def _input_value(value: object) -> float | np.ndarray:
    """A number, or an array (from a list or a NumPy array) as a read-only float64 array."""
    if isinstance(value, (list, tuple)) or is_array(value):
        try:
            return arrays.as_value(value)
        except ValueError:
            raise InputProblem("the rows of an array must all have the same length", "at") from None
    return float(value)


def evaluate(program: Program | str, at: Mapping[str, float] | None = None) -> Evaluation:
    """Forward and reverse sweep of ``program`` at the point ``at`` (input name -> value or array)."""
    if isinstance(program, str):
        program = parse(program)
    point = resolve_point(program, at or {})
    with paused_gc():
        values = forward_values(program, point)
        if has_arrays(program, point):
            output_value = values[program.output]
            if is_array(output_value):
                raise InputProblem(
                    f"the output is an array of shape {describe_shape(output_value)}: a gradient needs one number; "
                    f"take sum(...) or an element y[0] of it, or use {argument('jacobian')}"
                )
            grads = array_adjoints(program, values)
        else:
            grads = adjoints(program, values)
    anomalies = [a for a in (first_bad_value(program, values), _first_bad_grad(program, values, grads)) if a]
    return Evaluation(program, point, values, grads, anomalies, find_kinks(program, values))


def evaluation_or_program(
    program: Program,
    at: Mapping[str, float],
    structure: bool = False,
    stepping: bool = False,
    note: Callable[[str], None] = lambda _: None,
) -> Program | Evaluation:
    """What a drawing of ``program`` shows: its evaluation at ``at``, or the program alone when
    values are missing or not wanted (``structure``).

    A program with several outputs is drawn as structure (``note`` says how to pick one); one
    that is to be stepped through (``stepping``) needs a single output's backward pass.
    """
    if structure or not (at or all(name in program.defaults for name in program.inputs)):
        return program
    if len(program.outputs) > 1:
        if stepping:
            raise MultipleOutputs(program)
        note(
            "the program has several outputs: drawing its structure; "
            f"{argument('of')} OUTPUT draws one output's gradients"
        )
        return program
    return evaluate(program, at)


def _finite(x: float | np.ndarray) -> bool:
    if x.__class__ is float:
        return x - x == 0.0
    total = float(np.sum(x))  # finite only when every element is (one pass, no temporary array)
    return total - total == 0.0 or bool(np.all(np.isfinite(x)))


def _all_finite(values: list) -> bool:
    try:
        return all(map(math.isfinite, values))
    except TypeError:  # arrays among them
        return all(map(_finite, values))


def _first_element(value: float | np.ndarray) -> tuple[float, tuple[int, ...] | None]:
    """The first nan or infinite number of a value, and where it is in an array."""
    if not is_array(value):
        return value, None
    where = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
    return float(value[where]), where


def first_bad_value(program: Program, values: list[float]) -> Anomaly | None:
    """The first node whose value is nan or infinite while its arguments are finite."""
    if _all_finite(values):
        return None
    g = program.graph
    for node in program.nodes:
        if not _finite(values[node]) and all(_finite(values[a]) for a in g.args[node]):
            number, element = _first_element(values[node])
            return Anomaly("value", node, number, program, values, element=element)
    return None


def _first_bad_grad(program: Program, values: list[float], grads: list[float]) -> Anomaly | None:
    """The first node of the reverse sweep whose gradient is not finite."""
    if _all_finite(grads):
        return None
    g = program.graph
    for node in reversed(program.nodes):
        if not _finite(grads[node]) and g.ops[node].name != "const":
            number, element = _first_element(grads[node])
            return Anomaly("gradient", node, number, program, values, grads, element)
    return None


def kink_on_path(ev: Evaluation, name: str) -> str | None:
    """The convention of a kink that input ``name`` feeds into, if the point sits on one."""
    return kink_among(ev, kinks_on_path(ev.program, name)) if ev.kinks else None


def kink_among(ev: Evaluation, nodes: Iterable[int]) -> str | None:
    """The convention of the first of ``nodes`` the point sits on a kink of, if any."""
    nodes = set(nodes)
    return next((k.convention for k in ev.kinks if k.node in nodes), None)


def kinks_on_path(program: Program, name: str) -> list[int]:
    """The nodes with kinks that the gradient with respect to input ``name`` passes through.

    Only paths that carry gradient count: from the input through differentiable ops, and on
    to the output. A kink behind ``stop_gradient`` is no kink of the gradient.
    """
    g = program.graph
    below = g.descendants(program.inputs[name], through=lambda op: op.differentiable)
    carries = gradient_reach(program, program.output)
    return [n for n in sorted(below & carries) if n < program.size and g.ops[n].kink is not None]


def find_kinks(program: Program, values: list[float]) -> list[Kink]:
    """Nodes evaluated exactly where their op is not differentiable."""
    g = program.graph
    kinks = []
    for node, op in enumerate(g.ops[: program.size]):
        if op.kink is not None and op.on_kink(*[values[a] for a in g.args[node]], param=g.params[node]):
            kinks.append(Kink(node, op.name, op.convention))
    return kinks
