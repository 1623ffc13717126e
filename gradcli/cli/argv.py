"""The arguments before typer sees them: a program that starts with '-', the one command
to build, and the size of the input (for the limits)."""

from __future__ import annotations

import inspect
import os
import typing

import typer


def option_names(app: typer.Typer) -> tuple[set[str], set[str]]:
    """Every option name the commands declare, and those that take a value (not flags)."""
    names: set[str] = set()
    taking_values: set[str] = set()
    for info in app.registered_commands:
        for parameter in inspect.signature(info.callback, eval_str=True).parameters.values():
            hint = parameter.annotation
            for declared in getattr(hint, "__metadata__", ()):
                if isinstance(declared, typer.models.OptionInfo):
                    # In ``Annotated``, typer.Option's first positional argument is a name, not the default.
                    spelled = (declared.default, *declared.param_decls)
                    names.update(spelled)
                    if typing.get_args(hint)[0] is not bool:
                        taking_values.update(spelled)
    return names, taking_values


def move_minus_program(app: typer.Typer, argv: list[str]) -> list[str]:
    """Let a program start with '-': ``gradcli eval "-x**2"`` is a program, not an option.

    The first argument that starts with '-' but is none of ``app``'s options is moved to the
    end, after ``--``, where the option parser takes it as the program, unchanged.
    """
    if "--" in argv or not any(arg[:1] == "-" and arg[1:2] not in ("", "-") for arg in argv):
        return argv
    options, taking_values = option_names(app)
    out: list[str] = []
    program = None
    expects_value = False
    for arg in argv:
        if expects_value:
            out.append(arg)
            expects_value = False
        elif program is None and arg.startswith("-") and arg[1:2] not in ("", "-") and arg not in options:
            program = arg
        else:
            out.append(arg)
            expects_value = arg in taking_values
    return out if program is None else [*out, "--", program]


def app_for(app: typer.Typer, settings: dict, argv: list[str]) -> typer.Typer:
    """``app`` with only the command being run: typer builds every command's options on each
    call, which is most of its start-up. Help, errors and behaviour are the same."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    info = next((c for c in app.registered_commands if c.name == name), None)
    if info is None:
        return app
    single = typer.Typer(**settings)
    single.registered_callback = app.registered_callback
    single.registered_commands = [info]
    return single


def input_size(argv: list[str]) -> int:
    """Characters of input: the arguments, and the program file named by -f (stdin counts once read)."""
    size = sum(len(arg) for arg in argv)
    for option, value in zip(argv, argv[1:]):
        if option in ("-f", "--file") and value != "-" and os.path.isfile(value):
            size += os.path.getsize(value)
    return size
