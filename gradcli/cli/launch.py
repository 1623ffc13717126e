"""The console script ``gradcli`` (and ``python -m gradcli``): the command line as a short process.

The cyclic garbage collector stays paused for the whole run. Loading the command line's
modules (typer, rich, the op table) allocates some hundred thousand objects, which the
collector would walk again and again, about 6 % of a small command's time; the work on big
programs pauses it anyway (:func:`gradcli.core.gcpause.paused_gc`), and what a command
allocates is freed by reference counting or with the process.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Run the command the arguments name, with the collector paused from the first import on."""
    gc.disable()
    from gradcli.cli.app import main as run_command

    run_command()
