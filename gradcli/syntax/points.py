"""Reading input values written as text: ``x=1,y=2`` and ``x=pi/4``, as the command line's ``--at`` takes them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gradcli.core.errors import GradcliError, InputProblem, PointProblem, clipped
from gradcli.core.values import forward_values
from gradcli.syntax.parser import parse

_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", re.DOTALL)
# One way to split any number (not \d+\.?\d*, which backtracks for ages on 20,000 digits and a q).
_NUMBER = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf|nan)", re.IGNORECASE)
_NEXT_ASSIGNMENT = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


def parse_point(items: Iterable[str], parameter: str = "at") -> dict[str, float]:
    """``["x=1,y=2", "z=-pi/4"]`` -> ``{"x": 1.0, "y": 2.0, "z": -0.785...}``; errors name ``parameter``."""
    point: dict[str, float] = {}
    for item in items:
        for part in _NEXT_ASSIGNMENT.split(item):
            name, value = _split(part, parameter)
            if name in point:
                raise InputProblem(f"{name} is given more than once", parameter, part.strip())
            point[name] = value
    return point


def _split(part: str, parameter: str) -> tuple[str, float]:
    match = _ASSIGNMENT.fullmatch(part)
    if match is None or not match.group(2).strip():
        examples = ("x=1", "x=1,y=2")
        raise PointProblem("expected NAME=NUMBER", parameter, repr(part.strip()), examples, "for example")
    return match.group(1), number_value(match.group(2).strip(), match.group(1), parameter)


def number_value(text: str, name: str, parameter: str = "at") -> float:
    """A number, or an expression of numbers and constants such as ``pi/4`` or ``-1e-3``."""
    if _NUMBER.fullmatch(text):
        return float(text)
    shown = clipped(f"{name}={text}")
    if text.lstrip().startswith("["):
        reason = "values are single numbers (arrays are not supported yet); give each one a name of its own"
        raise PointProblem(reason, parameter, shown, (f"{name}0=1,{name}1=2",), "e.g.")
    try:
        program = parse(text)
    except GradcliError:
        program = None
    if program is None or program.inputs or len(program.outputs) != 1:
        raise InputProblem("the value must be a number or an expression of numbers, e.g. pi/4", parameter, shown)
    return forward_values(program, {})[program.output]
