"""The one exception family of the library; the CLI turns it into exit code 2."""

from __future__ import annotations


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
