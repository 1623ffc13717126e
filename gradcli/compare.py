"""Symbolic, numerical, forward and reverse derivatives side by side, with a verdict.

Relative error against reverse mode is ``|a - n| / max(|a|, |n|, 1e-8)``; below 1e-5
is PASS, below 1e-3 WARNING, otherwise FAIL (the gradient-check thresholds of the
tutorials). A point on a kink is flagged, not failed: there the methods may rightly
disagree, and the row names the convention and the one-sided slopes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from gradcli.errors import GradcliError, InputProblem
from gradcli.evaluation import Evaluation, evaluate, kink_on_path
from gradcli.forward import forward_values
from gradcli.forward_mode import forward_mode
from gradcli.graph import Program
from gradcli.numeric import central_difference, choose_step, one_sided
from gradcli.parser import parse
from gradcli.render.derivative_text import derivative_texts
from gradcli.symbolic import derivative, derivative_program, sizes

PASS, WARNING, FAIL, KINK = "PASS", "WARNING", "FAIL", "KINK"
PASS_BELOW = 1e-5
WARN_BELOW = 1e-3


def relative_error(a: float, n: float) -> float:
    if a == n or (a != a and n != n):
        return 0.0  # agreeing, also on the same infinity or on nan
    return abs(a - n) / max(abs(a), abs(n), 1e-8)


def verdict(error: float) -> str:
    if error < PASS_BELOW:
        return PASS
    return WARNING if error < WARN_BELOW else FAIL


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
) -> Comparison:
    """Every input's derivative four ways, and any hand-derived formulas checked against them.

    The numerical difference holds every ``stop_gradient`` value fixed, as automatic
    differentiation does, so both measure the same thing.
    """
    ev = evaluate(program, at)
    forward = forward_mode(program, ev.point)
    symbolic = derivative(program)
    texts = derivative_texts(symbolic, sizes(symbolic))
    grown = symbolic.program
    last = max(symbolic.nodes.values(), default=program.output)
    symbolic_values = forward_values(derivative_program(grown, last), ev.point)  # every derivative, one pass
    rows = []
    for name in program.inputs:
        node = symbolic.nodes[name]
        sym_value = symbolic_values[node]
        step = h if h is not None else choose_step(program, ev.point, name)
        numerical = central_difference(program, ev.point, name, step)
        rows.append(_row(ev, name, texts[name], sym_value, numerical, step, forward.gradient[name]))
    pairs = expect.items() if isinstance(expect, Mapping) else (expect or ())
    expectations = [_expectation(ev, name, formula) for name, formula in pairs]
    n = len(program.inputs)
    passes = {"forward": n, "reverse": 1 if n else 0, "numerical": 2 * n, "symbolic": 1}
    return Comparison(ev, rows, expectations, passes)


def _row(ev: Evaluation, name: str, text: str, sym: float, num: float, step: float, fwd: float) -> Row:
    rev = ev.gradient[name]
    methods = {"symbolic": sym, "numerical": num, "forward": fwd}
    errors = {method: relative_error(value, rev) for method, value in methods.items()}
    kink = kink_on_path(ev, name)
    if kink is not None:
        slopes = one_sided(ev.program, ev.point, name, step)
        return Row(name, text, sym, num, step, fwd, rev, errors, KINK, kink, slopes)
    worst = max(errors.values())
    return Row(name, text, sym, num, step, fwd, rev, errors, verdict(worst))


def _expectation(ev: Evaluation, name: str, formula: str) -> Expectation:
    if name not in ev.program.inputs:
        raise InputProblem(f"--expect {name}=...: the program has no input {name}")
    try:
        expected = parse(formula)
    except GradcliError as error:
        raise InputProblem(f"--expect {name}={formula}: {error}") from None
    unknown = [v for v in expected.inputs if v not in ev.point]
    if unknown:
        raise InputProblem(f"--expect {name}={formula}: {', '.join(unknown)} is not an input of the program")
    value = evaluate(expected, {v: ev.point[v] for v in expected.inputs}).value
    reverse = ev.gradient[name]
    error = relative_error(value, reverse)
    return Expectation(name, formula, value, reverse, error, verdict(error))
