"""The one exception family of the library; the CLI turns it into exit code 2.

Messages echo what the user typed, so they pass through :func:`printable` (control
characters shown escaped, never sent raw to a terminal) and :func:`bounded` (a
10 kB program gives a message of a few lines, not 10 kB).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_LINE = 240  # characters of one message line; the middle of a longer one is left out
MAX_LINES = 12
# Control characters (ESC, NUL, CR, DEL, C1), line separators, lone surrogates, and what XML forbids.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


#: Brackets an argument's name inside a message (``argument("wrt")``). It is a control character,
#: so no text a user typed can hold one unescaped: a front end renames arguments in the library's
#: own words only, never in a quoted path or formula.
ARGUMENT_MARK = "\x1f"


def argument(name: str) -> str:
    """``name`` marked as an argument in a message: ```name``` from Python, its option on the command line."""
    return f"{ARGUMENT_MARK}{name}{ARGUMENT_MARK}"


def in_python_terms(text: str) -> str:
    """A message with each marked argument written in backquotes, as Python callers read it."""
    return text.replace(ARGUMENT_MARK, "`")


class GradcliError(Exception):
    """Bad input: the message is meant for the user. ``args[0]`` keeps the arguments marked
    (:func:`argument`); ``str()`` shows them in backquotes."""

    exit_code = 2

    def __str__(self) -> str:
        return in_python_terms(super().__str__())


class ProgramError(GradcliError):
    """A problem in the program text, optionally at a line and column (1-based)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, source: str = "") -> None:
        self.line = line
        self.column = column
        self.source = source
        self.detail = message
        super().__init__(self.render(message))

    def render(self, detail: str) -> str:
        """``detail`` at this error's line and column: the line quoted, a caret under the column."""
        if self.line is None or self.column is None:
            return detail
        where = f"line {self.line}, column {self.column}: "
        lines = source_lines(self.source)
        text = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        # Split the message at its first line so extra lines (hints) follow the caret.
        head, _, rest = detail.partition("\n")
        text, column = _window(text, self.column)
        column = len(printable(text[: column - 1])) + 1
        text = printable(text)
        caret = "".join("\t" if c == "\t" else " " for c in text[: column - 1]) + "^"
        out = f"{where}{head}\n  {text}\n  {caret}"
        return f"{out}\n{rest}" if rest else out


def source_lines(source: str) -> list[str]:
    """The program's lines as the lexer numbers them: ended by \\n alone (\\r\\n too), not by the other
    characters ``str.splitlines`` ends lines at (\\f, \\v, \\x85, \\u2028, a lone \\r), which the grammar reads
    as spaces or refuses; as ``splitlines``, no empty line after a last \\n."""
    lines = [line[:-1] if line.endswith("\r") else line for line in source.split("\n")]
    return lines[:-1] if len(lines) > 1 and not lines[-1] else lines


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


class ShapeProblem(ProgramError):
    """An operation given arrays whose shapes do not fit it (at the operation's place in the text, when known)."""


class InputProblem(GradcliError):
    """Values or arguments given to a library function do not fit the program.

    ``parameter`` names the caller's argument at fault (``"at"``, ``"wrt"``, ``"direction"``, ...),
    ``text`` the part of it that is wrong, ``reason`` why. ``str()`` names the argument in Python
    terms; a front end names it in its own (the command line: ``--at x=...: ...``) from the same
    parts. A reason that mentions an argument writes its name in backquotes (``leave out `expand```),
    so that a front end can put its own name there.
    """

    def __init__(self, reason: str, parameter: str | None = None, text: str | None = None) -> None:
        self.reason = reason
        self.parameter = parameter
        self.text = text
        super().__init__(self._library_message())

    def _library_message(self) -> str:
        if self.parameter is None:
            return self.reason
        where = argument(self.parameter) if self.text is None else f"{argument(self.parameter)} {self.text}"
        return f"{where}: {self.reason}"


class UnknownInput(InputProblem):
    """An argument names an input the program does not have.

    ``computed`` says the name is one the program computes (bound or labelled), not an input;
    ``suggestion`` is the closest input name, if one is close.
    """

    def __init__(self, name: str, inputs: Sequence[str], parameter: str, computed: bool = False) -> None:
        self.name = name
        self.inputs = tuple(inputs)
        self.computed = computed
        import difflib  # only a misspelt name needs it

        close = difflib.get_close_matches(name, self.inputs, n=1)
        self.suggestion = close[0] if close else None
        if computed:
            reason = f"{name} is computed by the program, not an input"
        else:
            known = ", ".join(self.inputs) or "none"
            hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
            reason = f"the program has no input {name} (inputs: {known}){hint}"
        super().__init__(reason, parameter, name)


class MissingValues(InputProblem):
    """An argument that needs a number for every input lacks some (``names``); ``inputs`` are all of them."""

    def __init__(self, names: Sequence[str], inputs: Sequence[str], parameter: str) -> None:
        self.names = tuple(names)
        self.inputs = tuple(inputs)
        plural, pronoun = ("s", "them") if len(self.names) > 1 else ("", "it")
        listed = ", ".join(self.names)
        if parameter == "at":
            example = {name: 1 for name in self.names}
            reason = f"no value for input{plural} {listed}: pass {pronoun} in {argument('at')}, e.g. {example}"
        else:
            example = {name: 0 if k else 1 for k, name in enumerate(self.inputs)}
            reason = f"no direction for {listed}: pass one number per input in {argument(parameter)}, e.g. {example}"
        super().__init__(reason, parameter)

    def _library_message(self) -> str:
        return self.reason


class PointProblem(InputProblem):
    """A ``NAME=VALUE`` text that cannot be read; ``examples`` show well-formed ones, introduced by ``lead``."""

    def __init__(self, reason: str, parameter: str, text: str, examples: tuple[str, ...], lead: str) -> None:
        self.examples = examples
        self.lead = lead
        super().__init__(reason, parameter, text)

    def _library_message(self) -> str:
        shown = " or ".join(repr(example) for example in self.examples)
        return f"{argument(self.parameter)} {self.text}: {self.reason}, {self.lead} {shown}"


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
