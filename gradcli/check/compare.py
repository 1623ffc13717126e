"""Symbolic, numerical, forward and reverse derivatives side by side, with a verdict.

Relative error against reverse mode is ``|a - n| / max(|a|, |n|, 1e-8)``; below 1e-5
is PASS, below 1e-3 WARNING, otherwise FAIL (the gradient-check thresholds of the
tutorials). A point on a kink is flagged, not failed: there the methods may rightly
disagree, and the row names the convention and the one-sided slopes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from gradcli.ad.derivative_text import derivative_texts
from gradcli.ad.evaluation import Evaluation, evaluate, kink_among, kinks_on_path, resolve_point
from gradcli.ad.forward_mode import forward_mode
from gradcli.ad.reverse import adjoints, array_adjoints
from gradcli.ad.second_order import Hessian, hessian
from gradcli.ad.symbolic import (
    array_second_derivative,
    checked_names,
    derivative,
    derivative_program,
    second_derivative,
    sizes,
)
from gradcli.check.array_compare import ArrayComparison, compare_arrays
from gradcli.check.numeric import (  # noqa: F401 - PASS, WARNING and the thresholds are part of this module's vocabulary
    FAIL,
    PASS,
    PASS_BELOW,
    WARN_BELOW,
    WARNING,
    ClearStep,
    central_difference,
    choose_step,
    default_step,
    one_sided,
    relative_error,
    step_clear_of_kinks,
    values_along,
    verdict,
)
from gradcli.core import arrays
from gradcli.core.errors import GradcliError, InputProblem, UnknownInput
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import np
from gradcli.core.values import forward_values, has_arrays
from gradcli.syntax.parser import parse

KINK = "KINK"
NEAR_KINK = "NEAR KINK"  # the difference step cannot avoid a kink next to the point: no verdict either way


class Row(NamedTuple):
    name: str
    symbolic: str  # the derivative expression
    symbolic_value: float
    numerical: float
    step: float
    forward: float
    reverse: float
    errors: dict[str, float]  # method -> relative error against reverse mode
    verdict: str
    kink: str | None = None  # the convention used, when the point is on a kink
    one_sided: tuple[float, float] | None = None
    near_kink: int | None = None  # a node whose kink lies within the step: shortened around it, or NEAR KINK
    usual_step: float | None = None  # the step before it was shortened to keep clear of a kink
    step_given: bool = False  # the step is the user's (--h): checked against kinks, never shortened


class Expectation(NamedTuple):
    name: str
    formula: str
    value: float
    reverse: float
    error: float
    verdict: str


class Comparison(NamedTuple):
    evaluation: Evaluation
    rows: list[Row]
    expectations: list[Expectation]
    passes: dict[str, int]  # method -> passes over the graph

    @property
    def failed(self) -> bool:
        return any(r.verdict == FAIL for r in self.rows) or any(e.verdict == FAIL for e in self.expectations)


def compare(
    program: Program,
    at: Mapping[str, float] | None = None,
    h: float | None = None,
    expect: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    wrt: Sequence[str] | None = None,
) -> Comparison | ArrayComparison:
    """Every input's derivative (each of ``wrt``) four ways, and any hand-derived formulas
    checked against them; for a program with arrays, :func:`compare_arrays`.

    The numerical difference holds every ``stop_gradient`` value fixed, as automatic
    differentiation does, so both measure the same thing.
    """
    checked_step(h)
    point = resolve_point(program, at or {})
    if has_arrays(program, point):
        if expect:
            raise InputProblem("hand-derived formulas are checked in programs of numbers only, for now", "expect")
        return compare_arrays(program, point, h, wrt)
    ev = evaluate(program, point)
    names = checked_names(program, wrt)
    forward = forward_mode(program, ev.point, names)
    symbolic = derivative(program, names)
    texts = derivative_texts(symbolic, sizes(symbolic))
    grown = symbolic.program
    last = max(symbolic.nodes.values(), default=program.output)
    symbolic_values = forward_values(derivative_program(grown, last), ev.point)  # every derivative, one pass
    rows = []
    for name in names:
        node = symbolic.nodes[name]
        usual = h if h is not None else choose_step(program, ev.point, name)
        kink, clearance = _kink_and_step(ev, name, usual, h is not None)
        numerical = central_difference(program, ev.point, name, clearance.step)
        row = _row(ev, name, texts[name], symbolic_values[node], numerical, clearance, forward.gradient[name], kink)
        if clearance.kink is not None:
            verdict = row.verdict if clearance.clear else NEAR_KINK
            row = row._replace(near_kink=clearance.kink, usual_step=usual, verdict=verdict, step_given=h is not None)
        rows.append(row)
    pairs = expect.items() if isinstance(expect, Mapping) else (expect or ())
    expectations = [_expectation(ev, name, formula) for name, formula in pairs]
    n = len(names)
    passes = {"forward": n, "reverse": 1 if n else 0, "numerical": 2 * n, "symbolic": 1}
    return Comparison(ev, rows, expectations, passes)


def worst_error(errors: Mapping[str, float]) -> float:
    """The largest error, or nan when any is nan (``max`` would skip a nan that is not first)."""
    values = list(errors.values())
    return math.nan if any(e != e for e in values) else max(values, default=0.0)


def _kink_and_step(ev: Evaluation, name: str, usual: float, given: bool) -> tuple[str | None, ClearStep]:
    """The convention of a kink on ``name``'s gradient path that the point sits on (there the
    step stays and KINK is reported), and the difference step: ``usual``, shortened so that
    ``[x - h, x + h]`` crosses no kink (a step the user ``given`` is only checked)."""
    kinks = kinks_on_path(ev.program, name)
    kink = kink_among(ev, kinks) if ev.kinks else None
    if kink is not None:
        return kink, ClearStep(usual, None, True)
    return None, step_clear_of_kinks(ev.program, ev.point, name, usual, kinks, shorten=not given)


def _row(
    ev: Evaluation, name: str, text: str, sym: float, num: float, clearance: ClearStep, fwd: float, kink: str | None
) -> Row:
    rev, step = ev.gradient[name], clearance.step
    methods = {"symbolic": sym, "numerical": num, "forward": fwd}
    errors = {method: relative_error(value, rev) for method, value in methods.items()}
    if kink is not None:
        slopes = one_sided(ev.program, ev.point, name, step)
        return Row(name, text, sym, num, step, fwd, rev, errors, KINK, kink, slopes)
    return Row(name, text, sym, num, step, fwd, rev, errors, verdict(worst_error(errors)))


def _expectation(ev: Evaluation, name: str, formula: str) -> Expectation:
    if name not in ev.program.inputs:
        raise UnknownInput(name, ev.program.inputs, "expect")
    try:
        expected = parse(formula)
    except GradcliError as error:
        raise InputProblem(str(error), "expect", f"{name}={formula}") from None
    unknown = [v for v in expected.inputs if v not in ev.point]
    if unknown:
        raise InputProblem(f"{', '.join(unknown)} is not an input of the program", "expect", f"{name}={formula}")
    value = evaluate(expected, {v: ev.point[v] for v in expected.inputs}).value
    reverse = ev.gradient[name]
    error = relative_error(value, reverse)
    return Expectation(name, formula, value, reverse, error, verdict(error))


class SecondRow(NamedTuple):
    """One Hessian entry d2 f / d a d b (a before b in input order), three ways."""

    first: str
    second: str
    symbolic: str  # the second derivative's expression (reverse-over-reverse, on nodes)
    symbolic_value: float
    numerical: float  # central difference of reverse mode's d f / d first, along second
    step: float
    automatic: float  # forward-over-reverse
    transposed: float  # forward-over-reverse's d2 f / d second d first (the Hessian is symmetric)
    errors: dict[str, float]  # against forward-over-reverse
    verdict: str
    kink: str | None = None
    near_kink: int | None = None  # a node whose kink the difference step along ``second`` cannot avoid


class SecondComparison(NamedTuple):
    hessian: Hessian
    rows: list[SecondRow]
    passes: dict[str, int]

    @property
    def failed(self) -> bool:
        return any(r.verdict == FAIL for r in self.rows)


def checked_step(h: float | None) -> None:
    """Refuse a finite-difference step that is not a positive finite number (None: chosen per input)."""
    if h is not None and not 0 < h < math.inf:
        raise InputProblem("the step must be a positive finite number", "h", f"{h}")


def compare_second(
    program: Program, at: Mapping[str, float] | None = None, h: float | None = None, wrt: Sequence[str] | None = None
) -> SecondComparison:
    """The Hessian (its entries among ``wrt``) by forward-over-reverse, against the symbolic
    second derivatives and central differences of the reverse-mode gradient (stop_gradient
    held fixed)."""
    checked_step(h)
    names = checked_names(program, wrt)
    point = resolve_point(program, at or {})
    if has_arrays(program, point):
        return _compare_second_arrays(program, point, h, names)
    H = hessian(program, at, names)
    ev = evaluate(program, H.point)
    second = second_derivative(program, names)
    texts = derivative_texts(second, sizes(second))
    symbolic_values = forward_values(
        derivative_program(program, list(second.nodes.values()) or program.outputs), H.point
    )
    kinks, clear = {}, {}
    for b in names:
        kinks[b], clear[b] = _kink_and_step(ev, b, h if h is not None else default_step(H.point[b]), h is not None)
    steps = {b: step.step for b, step in clear.items()}
    columns = {b: gradient_difference(program, H.point, b, steps[b]) for b in names}
    rows = []
    for key, node in second.nodes.items():
        a, b = key.split(",")
        automatic = H.matrix[a][b]
        numerical = columns[b][a]
        errors = {
            "symbolic": relative_error(symbolic_values[node], automatic),
            "numerical": relative_error(numerical, automatic),
            "symmetry": relative_error(H.matrix[b][a], automatic),
        }
        kink = kinks[a] or kinks[b]
        near = None if clear[b].clear else clear[b].kink
        outcome = KINK if kink is not None else NEAR_KINK if near is not None else verdict(worst_error(errors))
        rows.append(
            SecondRow(
                a,
                b,
                texts[key],
                symbolic_values[node],
                numerical,
                steps[b],
                automatic,
                H.matrix[b][a],
                errors,
                outcome,
                kink,
                near,
            )
        )
    n = len(names)
    passes = {"forward_over_reverse": n, "numerical": 2 * n, "symbolic": 1 if n else 0}
    return SecondComparison(H, rows, passes)


def gradient_difference(program: Program, point: dict[str, float], name: str, h: float) -> dict[str, float]:
    """(g(x + h) - g(x - h)) / 2h for reverse mode's gradient g, along input ``name``:
    a column of the Hessian from first derivatives only."""
    values, x = values_along(program, point, name), point[name]
    plus, minus = adjoints(program, values(x + h)), adjoints(program, values(x - h))
    return {a: (plus[node] - minus[node]) / (2 * h) for a, node in program.inputs.items()}


def _compare_second_arrays(
    program: Program, point: Mapping[str, Any], h: float | None, names: Sequence[str]
) -> SecondComparison:
    """:func:`compare_second` for a program with arrays, entry by entry over the elements: the
    Hessian by forward-over-reverse (dual numbers) against central differences of the reverse-mode
    gradient along each element, and the symbolic second derivatives a row at a time."""
    H = hessian(program, point, names)
    ev = evaluate(program, H.point)
    symbolic = _symbolic_hessian_entries(program, H.point, names)
    columns = list(next(iter(H.matrix.values()), {}))
    owner = {
        label: (name, where)
        for name, node in program.inputs.items()
        for label, where in arrays.elements(name, ev.values[node])
    }
    differences, steps = {}, {}
    for column in columns:
        name, where = owner[column]
        x = H.point[name]
        steps[column] = h if h is not None else default_step(float(np.asarray(x)[where]))
        differences[column] = _gradient_difference_along(ev, name, where, steps[column])
    order = {label: k for k, label in enumerate(H.matrix)}
    rows = []
    for b in columns:
        kink = kink_among(ev, kinks_on_path(program, owner[b][0])) if ev.kinks else None
        for a in H.matrix:
            if a in H.matrix[b] and order[a] > order[b]:
                continue  # each pair once
            automatic = H.matrix[a][b]
            transposed = H.matrix[b][a] if a in H.matrix[b] else automatic
            by_symbols = symbolic.get((a, b), symbolic.get((b, a), math.nan))
            errors = {
                "symbolic": relative_error(by_symbols, automatic),
                "numerical": relative_error(differences[b][a], automatic),
                "symmetry": relative_error(transposed, automatic),
            }
            outcome = KINK if kink is not None else verdict(worst_error(errors))
            rows.append(
                SecondRow(
                    a, b, "", by_symbols, differences[b][a], steps[b], automatic, transposed, errors, outcome, kink
                )
            )
    passes = {"forward_over_reverse": len(columns), "numerical": 2 * len(columns), "symbolic": len(H.matrix)}
    return SecondComparison(H, rows, passes)


def _symbolic_hessian_entries(
    program: Program, point: Mapping[str, Any], names: Sequence[str]
) -> dict[tuple[str, str], float]:
    """(element label, element label) -> the symbolic second derivative's value there, each
    pair in one of its two orders (:func:`array_second_derivative` builds a row per element)."""
    second = array_second_derivative(program, names, point, columns=list(program.inputs))
    rows = derivative_program(program, list(second.nodes.values()) or program.outputs)
    computed = forward_values(rows, point)
    values = dict(zip(second.nodes, (computed[node] for node in rows.outputs)))
    entries = {}
    for key, row in values.items():
        a, _, b = key.rpartition(",")
        for label, where in arrays.elements(b, row):
            entries[(a, label)] = float(np.asarray(row)[where])
    return entries


def _gradient_difference_along(ev: Evaluation, name: str, where: tuple, h: float) -> dict[str, float]:
    """Central differences of the reverse-mode gradient along one element of input ``name``
    (stop_gradient held fixed), for every element of every input."""
    program = ev.program
    values, x = values_along(program, ev.point, name), ev.point[name]
    step = arrays.one_hot(x, where) * h
    with np.errstate(all="ignore"):
        plus, minus = array_adjoints(program, values(x + step)), array_adjoints(program, values(x - step))
    result = {}
    for input_name, node in program.inputs.items():
        for label, at in arrays.elements(input_name, ev.values[node]):
            result[label] = float((np.asarray(plus[node])[at] - np.asarray(minus[node])[at]) / (2 * h))
    return result
