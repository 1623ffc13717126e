"""Reports as terminal text: rendered in memory to the terminal's width, so an error never leaves half a report."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable

from rich.console import Console

from gradcli.render.layout import MIN_WIDTH, strip_trailing


def to_terminal(draw: Callable[[Console], object]) -> str:
    """What ``draw(console)`` prints, as text sized to this terminal (colour only on a terminal)."""
    buffer = io.StringIO()
    width = max(shutil.get_terminal_size((120, 24)).columns, MIN_WIDTH)
    terminal = sys.stdout.isatty()
    draw(Console(file=buffer, width=width, force_terminal=terminal, highlight=False, markup=False, emoji=False))
    return strip_trailing(buffer.getvalue())
