"""Reports as terminal text: rendered in memory to the terminal's width, so an error never leaves half a report."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable

from rich.console import Console

from gradcli.render.layout import MIN_WIDTH, strip_trailing


def terminal_width(fallback: int = 120) -> int:
    """The terminal's columns (``COLUMNS`` first), ``fallback`` when there is none, never under :data:`MIN_WIDTH`."""
    return max(shutil.get_terminal_size((fallback, 24)).columns, MIN_WIDTH)


def to_terminal(draw: Callable[[Console], object]) -> str:
    """What ``draw(console)`` prints, as text sized to this terminal (colour only on a terminal)."""
    buffer = io.StringIO()
    width = terminal_width()
    terminal = sys.stdout.isatty()
    draw(Console(file=buffer, width=width, force_terminal=terminal, highlight=False, markup=False, emoji=False))
    return strip_trailing(buffer.getvalue())
