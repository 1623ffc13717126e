"""The one rule for parentheses that every printer shares (infix, LaTeX, the explain texts).

A printed operand is a :data:`Text`: its characters and how tightly its outermost
operator binds, on the op table's ladder (``PREC_ADD`` loosest ... ``PREC_ATOM``). An
operator's own precedence is its op's ``precedence`` field; a printer's special notation
(LaTeX's ``\\frac``) states its own.
"""

from __future__ import annotations

from typing import Literal

from gradcli.core.lazy_numpy import is_array
from gradcli.core.ops import PREC_ATOM, PREC_COMPARE, PREC_POW, PREC_UNARY

Text = tuple[str, int]  # printed form and its precedence

Side = Literal["left", "right"]

#: Levels whose operators group from the right, as ``**`` does: ``2**3**2`` is ``2**(3**2)``.
RIGHT_ASSOCIATIVE = frozenset({PREC_POW})

#: Levels whose operators do not group at all: ``(a < b) < c`` keeps its parentheses.
NON_ASSOCIATIVE = frozenset({PREC_COMPARE})


def number_precedence(value: float) -> int:
    """A number binds as an atom, a negative one as unary minus: ``(-2)**x``, ``x*(-2)``; an
    array literal is an atom."""
    return PREC_UNARY if not is_array(value) and value < 0 else PREC_ATOM


def parenthesize(
    text: str, inner_prec: int, outer_prec: int, side: Side = "left", brackets: tuple[str, str] = ("(", ")")
) -> str:
    """``text``, binding as ``inner_prec``, as an operand on ``side`` of an operator binding as
    ``outer_prec`` (a prefix operator's operand is on its right), in ``brackets`` when it needs
    them: when it binds looser; on a tie, on the side the operator does not group toward
    (``a - (b - c)``, ``(a**b)**c``); and when it is a unary minus on the right (``x*(-y)``)."""
    if inner_prec == outer_prec:
        wrapped = outer_prec in NON_ASSOCIATIVE or (outer_prec in RIGHT_ASSOCIATIVE) == (side == "left")
    else:
        wrapped = inner_prec < outer_prec or (side == "right" and inner_prec == PREC_UNARY)
    return f"{brackets[0]}{text}{brackets[1]}" if wrapped else text
