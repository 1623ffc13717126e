"""The one exception family of the library; the CLI turns it into exit code 2.

Messages echo what the user typed, so they pass through :func:`printable` (control
characters shown escaped, never sent raw to a terminal) and :func:`bounded` (a
10 kB program gives a message of a few lines, not 10 kB).
"""

from __future__ import annotations

import re

MAX_LINE = 240  # characters of one message line; the middle of a longer one is left out
MAX_LINES = 12
# Control characters (ESC, NUL, CR, DEL, C1), line separators, lone surrogates, and what XML forbids.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


class GradcliError(Exception):
    """Bad input: the message is meant for the user, as is."""

    exit_code = 2


class ProgramError(GradcliError):
    """A problem in the program text, optionally at a line and column (1-based)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, source: str = "") -> None:
        self.line = line
        self.column = column
        self.source = source
        self.detail = message
        super().__init__(self._render())

    def _render(self) -> str:
        if self.line is None or self.column is None:
            return self.detail
        where = f"line {self.line}, column {self.column}: "
        lines = self.source.splitlines() or [""]
        text = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        # Split the message at its first line so extra lines (hints) follow the caret.
        head, _, rest = self.detail.partition("\n")
        text, column = _window(text, self.column)
        column = len(printable(text[: column - 1])) + 1
        text = printable(text)
        caret = "".join("\t" if c == "\t" else " " for c in text[: column - 1]) + "^"
        out = f"{where}{head}\n  {text}\n  {caret}"
        return f"{out}\n{rest}" if rest else out


def _window(text: str, column: int, before: int = 50, after: int = 30) -> tuple[str, int]:
    """The part of a long line around ``column``, and the column within that part."""
    if len(text) <= before + after + 10:
        return text, column
    start = max(0, column - 1 - before)
    end = min(len(text), column - 1 + after)
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    return prefix + text[start:end] + suffix, column - start + len(prefix)


class SyntaxProblem(ProgramError):
    """The text does not follow the grammar."""


class NameProblem(ProgramError):
    """An unknown function, a wrong argument count, or a name that cannot be bound."""


class InputProblem(GradcliError):
    """Values given for the inputs do not fit the program."""


def printable(text: str) -> str:
    """``text`` with control characters (ESC, NUL, ...), lone surrogates and the characters XML
    cannot hold written as ``\\x1b`` or ``\\ud800``: safe for a terminal and for SVG, HTML, DOT."""
    return _CONTROL.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bounded(message: str) -> str:
    """At most :data:`MAX_LINES` lines of at most :data:`MAX_LINE` characters, escaped."""
    lines = printable(message).split("\n")
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], f"... ({len(lines) - MAX_LINES + 1} more lines)"]
    return "\n".join(clipped(line, MAX_LINE) for line in lines)


def clipped(text: str, limit: int = 60) -> str:
    """``text`` when short, else its start and end around ``...``: for echoing what the user typed."""
    if len(text) <= limit:
        return text
    keep = limit - 5
    return f"{text[: keep - keep // 3]} ... {text[-(keep // 3) :]}"
