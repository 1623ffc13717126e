"""What a command reads (the program: an argument, a file, or stdin) and writes (the
report on stdout, notes and written files on stderr)."""

from __future__ import annotations

import sys
from pathlib import Path

from gradcli.core import limits
from gradcli.core.errors import InputProblem, printable


def read_program(program: str | None, file: str | None) -> str:
    """The program text from the argument, a file, or stdin (``-f -``)."""
    if program is not None and file is not None:
        raise InputProblem("give the program either as an argument or with -f FILE, not both")
    if file is None:
        if program is None:
            raise InputProblem('no program: write one, e.g. gradcli eval "(3*x + 2)**2" --at x=1, or use -f FILE')
        return program
    name = "standard input" if file == "-" else file
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        limits.allow_for(len(data))
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputProblem(f"cannot read {name}: not UTF-8 text (byte {error.start + 1})") from None
    except OSError as error:
        raise InputProblem(f"cannot read {name}: {error.strerror or error}") from None


def emit(text: str) -> None:
    """Write the report on stdout (writing is not part of the timed work)."""
    limits.stop_clock()
    sys.stdout.write(text)


def report(*lines: str) -> None:
    """Lines for stderr after a run that succeeded (``wrote g.svg (5.1 kB)``), control characters escaped."""
    sys.stderr.write("".join(f"{printable(line)}\n" for line in lines))
