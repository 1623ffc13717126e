"""The one error boundary: a library error becomes one message on stderr and exit code 2.

The library names the argument at fault in Python terms (``parameter="direction"``, and
```direction``` inside a message); here each parameter gets the option a user of the
command line typed (``--hvp``), in the command line's own wording.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import TypeVar

import typer

from gradcli.core.errors import (
    ARGUMENT_MARK,
    GradcliError,
    InputProblem,
    MissingValues,
    PointProblem,
    ProgramError,
    UnknownInput,
    bounded,
    in_python_terms,
)

OPTIONS = {  # library parameter (or name) -> command-line option (or command)
    "at": "--at",
    "at_file": "--at-file",
    "descend_from": "--descend-from",
    "learning_rate": "--lr",
    "optimizer": "--optimizer",
    "over": "--over",
    "points": "--points",
    "start": "--descend-from",
    "iterations": "--steps",
    "direction": "--hvp",
    "expand": "--expand",
    "expect": "--expect",
    "fmt": "--format",
    "gradcli.FUNCTIONS": "gradcli eval --help",
    "frames": "--frames",
    "h": "--h",
    "highlight": "--highlight",
    "jacobian": "gradcli jacobian",
    "html": "--html",
    "latex": "--latex",
    "max_nodes": "--max-nodes",
    "mode": "--mode",
    "order": "--order",
    "of": "--of",
    "output": "-o",
    "rankdir": "--rankdir",
    "wrt": "--wrt",
}
# Options written NAME=VALUE: a name alone is shown as NAME=...
PAIRED = {"at", "direction", "expect", "over", "descend_from"}
_NAMED = re.compile(ARGUMENT_MARK + r"([\w.]+)" + ARGUMENT_MARK)

Command = TypeVar("Command", bound=Callable)


def reported(command: Command) -> Command:
    """``command`` with a library error turned into one message on stderr and exit code 2."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except GradcliError as error:
            fail(error)

    return run  # type: ignore[return-value]


def fail(error: GradcliError) -> None:
    """Print one error message on stderr and exit with the error's code (2)."""
    write_error(error)
    raise typer.Exit(code=error.exit_code)


def write_error(error: GradcliError) -> None:
    """The error's one message on stderr, in the command line's terms and bounded in size."""
    sys.stderr.write(f"error: {bounded(command_line_message(error))}\n")


def command_line_message(error: GradcliError) -> str:
    """The error in the command line's terms: options where the library names parameters."""
    from gradcli.core.graph import MultipleOutputs

    if isinstance(error, ProgramError):  # the program's text is quoted as it is
        return error.render(in_options(error.detail))
    if isinstance(error, MultipleOutputs):
        return f"{error.listing}; pick one with --of, or use gradcli jacobian"
    if not isinstance(error, InputProblem):
        return in_options(_marked(error))
    option = OPTIONS.get(error.parameter or "")
    if isinstance(error, UnknownInput) and option:
        return _unknown_input(error, option)
    if isinstance(error, MissingValues) and option:
        return _missing_values(error, option)
    if isinstance(error, PointProblem) and option:
        examples = " or ".join(f"{option} {example}" for example in error.examples)
        return f"{option} {error.text}: {error.reason}, {error.lead} {examples}"
    reason = in_options(error.reason)
    if option is None:
        return reason if error.parameter is None else in_python_terms(_marked(error))
    return f"{option}: {reason}" if error.text is None else f"{option} {error.text}: {reason}"


def in_options(text: str) -> str:
    """``text`` with each argument the library marks (:func:`~gradcli.core.errors.argument`) written as
    its option (``fmt`` as ``--format``), or in backquotes when it has none."""
    return _NAMED.sub(lambda match: OPTIONS.get(match[1], f"`{match[1]}`"), text)


def _marked(error: GradcliError) -> str:
    """The error's message with its arguments still marked."""
    return error.args[0] if error.args else ""


def _unknown_input(error: UnknownInput, option: str) -> str:
    name = error.name
    where = f"{option} {name}=..." if error.parameter in PAIRED else f"{option} {name}"
    if error.parameter == "at":  # --at says more: a computed name, a close name, or the inputs
        if error.computed:
            return f"{where}: {name} is computed by the program, not an input"
        if not error.inputs:
            return f"{where}: the program has no inputs"
        hint = f"did you mean {error.suggestion}?" if error.suggestion else f"its inputs are {', '.join(error.inputs)}"
        return f"{where}: the program does not use {name}; {hint}"
    if error.parameter == "expect":
        return f"{where}: the program has no input {name}"
    return f"{where}: the program has no input {name} (inputs: {', '.join(error.inputs) or 'none'})"


def _missing_values(error: MissingValues, option: str) -> str:
    listed = ", ".join(error.names)
    if error.parameter == "at":
        pronoun = "them" if len(error.names) > 1 else "it"
        example = ",".join(f"{name}=1" for name in error.names)
        return f"no value for input{'s' * (len(error.names) > 1)} {listed}: give {pronoun} with {option} {example}"
    example = ",".join(f"{name}={0 if k else 1}" for k, name in enumerate(error.inputs))
    return f"{option}: no direction for {listed}: give one number per input, e.g. {option} {example}"
