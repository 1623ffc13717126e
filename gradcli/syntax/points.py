"""Reading input values written as text: ``x=1,y=2`` and ``x=pi/4``, as the command line's ``--at`` takes them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from gradcli.core.errors import GradcliError, InputProblem, PointProblem, ShapeProblem, clipped
from gradcli.core.values import forward_values
from gradcli.syntax.parser import parse

_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", re.DOTALL)
# One way to split any number (not \d+\.?\d*, which backtracks for ages on 20,000 digits and a q).
_NUMBER = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf|nan)", re.IGNORECASE)
_NEXT_ASSIGNMENT = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


def parse_point(items: Iterable[str], parameter: str = "at") -> dict[str, Any]:
    """``["x=1,y=2", "z=-pi/4"]`` -> ``{"x": 1.0, "y": 2.0, "z": -0.785...}``; errors name ``parameter``."""
    point: dict[str, Any] = {}
    for item in items:
        for part in _NEXT_ASSIGNMENT.split(item):
            name, value = _split(part, parameter)
            if name in point:
                raise InputProblem(f"{name} is given more than once", parameter, part.strip())
            point[name] = value
    return point


def _split(part: str, parameter: str) -> tuple[str, Any]:
    match = _ASSIGNMENT.fullmatch(part)
    if match is None or not match.group(2).strip():
        examples = ("x=1", "x=1,y=2")
        raise PointProblem("expected NAME=NUMBER", parameter, repr(part.strip()), examples, "for example")
    return match.group(1), number_value(match.group(2).strip(), match.group(1), parameter)


def number_value(text: str, name: str, parameter: str = "at") -> Any:
    """A number, an expression of numbers and constants such as ``pi/4`` or ``-1e-3``, or an array
    of them written as a list, ``[1, 2]`` or ``[[1, 2], [3, 4]]``."""
    if _NUMBER.fullmatch(text):
        return float(text)
    shown = clipped(f"{name}={text}")
    try:
        program = parse(text, list_of_outputs=False)
        if program.inputs or len(program.outputs) != 1:
            program = None
        else:
            return forward_values(program, {})[program.output]
    except GradcliError as error:
        if isinstance(error, ShapeProblem):
            raise InputProblem("the rows of an array must all have the same length", parameter, shown) from None
    examples = "a number, an expression of numbers such as pi/4, or an array such as [1, 2, 3]"
    raise InputProblem(f"the value must be {examples}", parameter, shown)
