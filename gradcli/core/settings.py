"""Numbers read from the environment (``GRADCLI_TIME_LIMIT=60``), checked like any input."""

from __future__ import annotations

import math
import os

from gradcli.core.errors import InputProblem, printable


def number_setting(variable: str, default: float, example: str, zero_allowed: bool = False) -> float:
    """The number in the environment variable ``variable`` (``default`` when unset): positive and
    finite, or 0 where ``zero_allowed`` (meaning "no limit"); anything else is refused."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not ((value > 0 or (zero_allowed and value == 0)) and math.isfinite(value)):
        raise InputProblem(f"{variable}={printable(text)}: give {example}")
    return value
