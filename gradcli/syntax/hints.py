"""Hints for what people type from habit, which the parser and its syntax errors both give."""

from __future__ import annotations

import re

from gradcli.core.errors import clipped

_DERIVATIVE_NOTATION = re.compile(r"\s*d\s*/\s*d\s*([A-Za-z_]\w*)\s*(.*)", re.DOTALL)


def derivative_hint(source: str) -> str:
    """``d/dx x**2`` is Leibniz's notation: point to ``gradcli diff``."""
    notation = _DERIVATIVE_NOTATION.fullmatch(source)
    if not notation or not notation.group(2).strip():
        return ""
    body = " ".join(notation.group(2).split())
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    return f'to differentiate with respect to {notation.group(1)}, run: gradcli diff "{clipped(body)}"'
