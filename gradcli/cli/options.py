"""The options the commands share, each declared once: its name, its type, how it is read.

Help texts differ a little per command (``--at``'s example fits the command), so each shared
option is a function of its help text that returns the ``Annotated`` type to declare it with.
"""

from typing import Annotated

import typer

READ_FILE = "Read the program from FILE ('-' for stdin)."
BY_INPUTS = "Only by these inputs: --wrt x,y (default: all)."

File = Annotated[str | None, typer.Option("--file", "-f", help=READ_FILE)]
Wrt = Annotated[list[str], typer.Option("--wrt", help=BY_INPUTS)]


def program(help: str = "The program, or use -f FILE.") -> type:
    """The program argument (or ``-f FILE``)."""
    return Annotated[str | None, typer.Argument(help=help)]


def at(help: str) -> type:
    """``--at x=1,y=2``, repeatable: the point."""
    return Annotated[list[str], typer.Option("--at", help=help)]


AtFile = Annotated[
    list[str],
    typer.Option(
        "--at-file",
        help="Input values from a file: a .json object or .npz archive of named values, or NAME=FILE.npy.",
    ),
]


def over(help: str) -> type:
    """``--over x=-4:4``, repeatable: a range of points."""
    return Annotated[list[str], typer.Option("--over", help=help)]


def points(help: str) -> type:
    """``--points N``: how many points a range without a step has."""
    return Annotated[int | None, typer.Option("--points", help=help)]


def json(help: str) -> type:
    """``--json``: strict JSON instead of tables."""
    return Annotated[bool, typer.Option("--json", help=help)]


def order(help: str) -> type:
    """``--order 1`` or ``2``: first or second derivatives."""
    return Annotated[int, typer.Option("--order", help=help)]


def of(help: str) -> type:
    """``--of NAME``: one output of several, by name or position."""
    return Annotated[str | None, typer.Option("--of", help=help)]


def output(help: str) -> type:
    """``-o FILE``: a file to write."""
    return Annotated[str | None, typer.Option("--output", "-o", help=help)]


def flag(name: str, help: str) -> type:
    """An on/off option of one command."""
    return Annotated[bool, typer.Option(name, help=help)]


def value(kind: type, *names: str, help: str) -> type:
    """An option of one command that takes a value of ``kind``."""
    return Annotated[kind, typer.Option(*names, help=help)]
