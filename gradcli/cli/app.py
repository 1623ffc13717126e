"""The ``gradcli`` command: thin typer commands over the library.

Each command parses its options, calls library functions that return data, and hands
the data to one renderer. Errors from the library (:class:`GradcliError`) become one
message on stderr and exit code 2; output is built completely before any is written.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import sys
from pathlib import Path

import typer

from gradcli import __version__
from gradcli.cli import help_text
from gradcli.core import limits
from gradcli.core.errors import GradcliError, InputProblem, bounded, printable

APP_SETTINGS = {
    "name": "gradcli",
    "help": "Gradients you can read: evaluate a program, its gradient, and the chain rule at every node.",
    "epilog": help_text.help_for(""),
    "add_completion": False,
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
}
app = typer.Typer(**APP_SETTINGS)


def command(name: str):
    """Register a command with its help page's examples and one-line summary."""
    return app.command(name, epilog=help_text.help_for(name), short_help=help_text.SUMMARIES[name])


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Gradients you can read: evaluate a program, its gradient, and the chain rule at every node."""


def fail(error: GradcliError) -> None:
    """Print one error message on stderr and exit with the error's code (2)."""
    sys.stderr.write(f"error: {bounded(str(error))}\n")
    raise typer.Exit(code=error.exit_code)


def emit(text: str) -> None:
    """Write the report on stdout (writing is not part of the timed work)."""
    limits.stop_clock()
    sys.stdout.write(text)


def report(*lines: str) -> None:
    """Lines for stderr after a run that succeeded (``wrote g.svg (5.1 kB)``), control characters escaped."""
    sys.stderr.write("".join(f"{printable(line)}\n" for line in lines))


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


def to_terminal(draw) -> str:
    """What ``draw(console)`` prints, as text sized to this terminal (colour only on a terminal).

    Everything is rendered before anything is written, so an error never leaves half a report.
    """
    from rich.console import Console

    from gradcli.render.layout import MIN_WIDTH, strip_trailing

    buffer = io.StringIO()
    width = max(shutil.get_terminal_size((120, 24)).columns, MIN_WIDTH)
    terminal = sys.stdout.isatty()
    draw(Console(file=buffer, width=width, force_terminal=terminal, highlight=False, markup=False, emoji=False))
    return strip_trailing(buffer.getvalue())


@command("eval")
def eval_command(
    program: str | None = typer.Argument(None, help='The program, e.g. "(3*x + 2)**2". Or use -f FILE.'),
    at: list[str] = typer.Option([], "--at", help="Input values: --at x=1 --at y=2, or --at x=1,y=2."),
    file: str | None = typer.Option(None, "--file", "-f", help="Read the program from FILE ('-' for stdin)."),
    json_output: bool = typer.Option(False, "--json", help="Print strict JSON instead of tables."),
    backward_order: bool = typer.Option(
        False, "--backward-order", help="List the trace output first, in the order the backward pass visits nodes."
    ),
    constants: bool = typer.Option(False, "--constants", help="Show constant nodes in the trace table."),
    max_rows: int = typer.Option(60, "--max-rows", help="Trace rows to show in the table (0: all)."),
    mode: str | None = typer.Option(
        None,
        "--mode",
        help="reverse (one backward pass; the default) or forward (dual numbers, one pass per input); "
        "for several outputs also auto (the default there: fewer passes).",
    ),
    order: int = typer.Option(1, "--order", help="2 adds the Hessian (forward-over-reverse)."),
    hvp: str | None = typer.Option(
        None, "--hvp", help="Hessian-vector product along this direction, one number per input: --hvp x=1,y=0."
    ),
    of: str | None = typer.Option(None, "--of", help="With several outputs: report this one (name or position)."),
) -> None:
    """Evaluate PROGRAM: its value, the gradient with respect to every input, and a backward trace."""
    from gradcli.ad.evaluation import evaluate
    from gradcli.syntax.parser import parse
    from gradcli.syntax.points import parse_point

    try:
        _check_order(order)
        direction = parse_point([hvp], "--hvp") if hvp is not None else None
        parsed = _selected(parse(read_program(program, file)), of)
        point = parse_point(at)
        second = _second_order(parsed, point, order, direction)
        if len(parsed.outputs) > 1:
            text = _render_outputs(parsed, point, mode or "auto", json_output, second)
        elif (mode or "reverse") == "forward":
            text = _render_forward(parsed, point, json_output, max_rows, second)
        elif (mode or "reverse") == "reverse":
            evaluation = evaluate(parsed, point)
            text = _render_eval(evaluation, json_output, backward_order, constants, max_rows, second)
        else:
            raise InputProblem(f"--mode {mode}: choose reverse or forward (auto is for programs with several outputs)")
    except GradcliError as error:
        fail(error)
    emit(text)


def names_listed(items: list[str]) -> tuple[str, ...]:
    """``--wrt x,y --wrt z`` as ``("x", "y", "z")``."""
    return tuple(name.strip() for item in items for name in item.split(",") if name.strip())


def _check_order(order: int) -> None:
    if order not in (1, 2):
        raise InputProblem(f"--order {order}: choose 1 (first derivatives) or 2 (second derivatives too)")


def _selected(program, of: str | None):
    """The program, or its one output named by ``--of``."""
    return program if of is None else program.select(program.output_index(of))


def _second_order(program, point, order: int, direction) -> list[tuple[str, object]]:
    """(output label, Hessian or H v) for each output, as ``--order 2`` and ``--hvp`` ask."""
    if order == 1 and direction is None:
        return []
    from gradcli.ad.second_order import hessian, hvp

    results: list[tuple[str, object]] = []
    for k in range(len(program.outputs)):
        single = program.select(k)
        label = program.output_label(k) if len(program.outputs) > 1 else ""
        if order == 2:
            results.append((label, hessian(single, point)))
        if direction is not None:
            results.append((label, hvp(single, point, direction)))
    return results


MAX_SECOND_ORDER_TABLES = 8  # Hessians (or H v) of several outputs shown in the terminal; --json has all


def _second_order_parts(second) -> list:
    if not second:
        return []
    from rich.text import Text

    from gradcli.ad.second_order import Hessian
    from gradcli.render.second_order_report import hessian_table, hvp_table

    parts: list = []
    if len(second) > MAX_SECOND_ORDER_TABLES:
        left_out = len(second) - MAX_SECOND_ORDER_TABLES + 1
        note = Text(f"… {left_out} more left out here: --json has them all, --of picks one output", style="dim")
        second = [*second[: MAX_SECOND_ORDER_TABLES - 2], (None, note), second[-1]]
    for label, result in second:
        if label is None:
            parts += [Text(""), result]
        elif isinstance(result, Hessian):
            parts += [Text(""), hessian_table(result, f"Hessian of {label}" if label else "Hessian")]
        else:
            parts += [
                Text(""),
                hvp_table(result, f"Hessian-vector product of {label}" if label else "Hessian-vector product"),
            ]
    return parts


def _second_order_data(second, several: bool) -> dict:
    if not second:
        return {}
    from gradcli.ad.second_order import Hessian
    from gradcli.render.second_order_report import hessian_data, hvp_data

    hessians = [hessian_data(r) for _, r in second if isinstance(r, Hessian)]
    products = [hvp_data(r) for _, r in second if not isinstance(r, Hessian)]
    data: dict = {}
    if hessians:
        data["hessian"] = hessians if several else hessians[0]
    if products:
        data["hvp"] = products if several else products[0]
    return data


def _render_outputs(program, point, mode: str, json_output: bool, second, both: bool = True) -> str:
    """The outputs' values and the Jacobian, with each mode's cost (and Hessians, H v)."""
    from gradcli.ad.jacobian import jacobian
    from gradcli.render.json_report import dumps
    from gradcli.render.second_order_report import jacobian_data, jacobian_parts

    j = jacobian(program, point, mode, both=both)
    if json_output:
        return dumps({**jacobian_data(j), **_second_order_data(second, several=True)})
    from rich.console import Group

    parts = jacobian_parts(j) + _second_order_parts(second)
    return to_terminal(lambda console: console.print(Group(*parts)))


def _render_eval(evaluation, json_output: bool, backward_order: bool, constants: bool, max_rows: int, second) -> str:
    from gradcli.explain.trace import build_trace

    if json_output:
        from gradcli.render.json_report import dumps, report_data

        return dumps({**report_data(evaluation, build_trace(evaluation)), **_second_order_data(second, False)})
    from gradcli.explain.texts import node_texts
    from gradcli.render.table import render_report

    program = evaluation.program
    shown, hidden = _rows_to_show(program, constants, max_rows)
    trace = build_trace(evaluation, [n for n in shown if n is not None])
    by_node = {row.node: row for row in trace}
    rows = [by_node[n] if n is not None else None for n in shown]
    if backward_order:
        rows.reverse()
    texts = node_texts(program)
    extra = _second_order_parts(second)
    return to_terminal(lambda console: render_report(evaluation, rows, texts, console, constants, hidden, extra))


def _render_forward(program, point, json_output: bool, max_rows: int, second) -> str:
    from gradcli.ad.forward_mode import forward_mode

    result = forward_mode(program, point)
    if json_output:
        from gradcli.render.json_report import dumps, forward_data

        return dumps({**forward_data(result), **_second_order_data(second, False)})
    from gradcli.render.table import render_forward

    shown, hidden = _rows_to_show(program, False, max_rows)
    extra = _second_order_parts(second)
    return to_terminal(lambda console: render_forward(result, shown, console, hidden, extra))


def _rows_to_show(program, constants: bool, max_rows: int) -> tuple[list[int | None], int]:
    """The nodes for the table: all, or the first and last ones around a gap (None)."""
    graph = program.graph
    nodes = [n for n in program.nodes if constants or graph.ops[n].name != "const"]
    if max_rows <= 0 or len(nodes) <= max_rows:
        return list(nodes), 0
    head = max_rows // 2
    tail = max_rows - head
    return [*nodes[:head], None, *nodes[-tail:]], len(nodes) - max_rows


@command("diff")
def diff_command(
    program: str | None = typer.Argument(None, help="The program, or use -f FILE."),
    wrt: list[str] = typer.Option([], "--wrt", help="Only by these inputs: --wrt x,y (default: all)."),
    file: str | None = typer.Option(None, "--file", "-f", help="Read the program from FILE ('-' for stdin)."),
    expand: bool = typer.Option(False, "--expand", help="One flat expression, even when it is much longer."),
    latex: bool = typer.Option(False, "--latex", help="Print LaTeX instead of gradcli syntax."),
    json_output: bool = typer.Option(False, "--json", help="Print strict JSON with the expressions and sizes."),
    order: int = typer.Option(1, "--order", help="2: second derivatives d2f/da db (each pair once)."),
    of: str | None = typer.Option(None, "--of", help="With several outputs: only this one (name or position)."),
) -> None:
    """The symbolic derivative of PROGRAM, in gradcli's own syntax (or LaTeX)."""
    from gradcli.render.derivative_report import DiffRequest, diff_report
    from gradcli.syntax.parser import parse

    try:
        _check_order(order)
        parsed = _selected(parse(read_program(program, file)), of)
        if not parsed.inputs and not json_output:  # JSON can say so: an empty "derivative"
            raise InputProblem("the program has no inputs, so there is nothing to differentiate it by")
        names = names_listed(wrt)
        if order == 2:
            inputs = len(set(names)) or len(parsed.inputs)
            limits.check_second_derivatives(inputs, "choose inputs with --wrt", outputs=len(parsed.outputs))
        text = diff_report(parsed, DiffRequest(names, order, expand, latex, json_output))
    except GradcliError as error:
        fail(error)
    emit(text)


@command("compare")
def compare_command(
    program: str | None = typer.Argument(None, help="The program, or use -f FILE."),
    at: list[str] = typer.Option([], "--at", help="Input values: --at x=1,y=2."),
    file: str | None = typer.Option(None, "--file", "-f", help="Read the program from FILE ('-' for stdin)."),
    h: float | None = typer.Option(None, "--h", help="The central-difference step (default: chosen per input)."),
    expect: list[str] = typer.Option([], "--expect", help='A hand-derived derivative to check: --expect x="2*x".'),
    json_output: bool = typer.Option(False, "--json", help="Print strict JSON with every figure."),
    sweep: bool = typer.Option(
        False, "--sweep", help="Error of forward and central differences for steps 1e-1 ... 1e-16, with a plot."
    ),
    output: str | None = typer.Option(None, "--output", "-o", help="With --sweep: also write the plot as SVG."),
    order: int = typer.Option(1, "--order", help="2: the Hessian, against central differences of the gradient."),
    of: str | None = typer.Option(None, "--of", help="With several outputs: compare this one (name or position)."),
    wrt: list[str] = typer.Option([], "--wrt", help="Only by these inputs: --wrt x,y (default: all)."),
) -> None:
    """Symbolic, numerical, forward and reverse derivatives side by side, with a verdict."""
    from gradcli.syntax.parser import parse
    from gradcli.syntax.points import parse_point

    if sweep:
        given = {"--h": h is not None, "--expect": bool(expect), "--order": order != 1}
        ignored = [name for name, present in given.items() if present]
        if ignored:
            fail(InputProblem(f"--sweep tries its own steps on first derivatives: leave out {', '.join(ignored)}"))
        _sweep(program, at, file, json_output, output, of, names_listed(wrt))
        return
    if output is not None:
        fail(InputProblem("-o goes with --sweep (the plot of the step sweep)"))
    try:
        if h is not None and not 0 < h < math.inf:
            raise InputProblem(f"--h {h}: the step must be a positive finite number")
        _check_order(order)
        if order == 2 and expect:
            raise InputProblem("--expect checks first derivatives: leave out --order 2")
        parsed = _selected(parse(read_program(program, file)), of)
        comparison, text = _comparison(parsed, parse_point(at), h, expect, order, json_output, names_listed(wrt))
    except GradcliError as error:
        fail(error)
    emit(text)
    if comparison.failed:
        raise typer.Exit(code=1)


def _comparison(program, point, h, expect: list[str], order: int, json_output: bool, wrt: tuple[str, ...]):
    """The comparison of the first or second derivatives, and its report."""
    if order == 2:
        from gradcli.check.compare import compare_second
        from gradcli.render.derivative_report import output_name
        from gradcli.render.json_report import dumps
        from gradcli.render.second_order_report import compare_second_data, compare_second_table

        limits.check_second_derivatives(len(set(wrt)) or len(program.inputs), "choose inputs with --wrt")
        comparison = compare_second(program, point, h, wrt)
        if json_output:
            return comparison, dumps(compare_second_data(comparison))
        parts = compare_second_table(comparison, output_name(program))
        return comparison, to_terminal(lambda console: [console.print(part) for part in parts])
    from gradcli.check.compare import compare
    from gradcli.render.derivative_report import compare_json, compare_table

    comparison = compare(program, point, h, _expectations(expect), wrt)
    if json_output:
        return comparison, compare_json(comparison)
    return comparison, to_terminal(lambda console: compare_table(comparison, console))


def _sweep(
    program: str | None,
    at: list[str],
    file: str | None,
    json_output: bool,
    output: str | None,
    of: str | None,
    wrt: tuple[str, ...],
) -> None:
    """``compare --sweep``: the truncation/cancellation trade-off, as a table, a plot, JSON or SVG."""
    from gradcli.ad.symbolic import checked_names
    from gradcli.check.sweep import SWEEP_EVALUATIONS, sweep
    from gradcli.render.json_report import dumps
    from gradcli.render.output_files import Output, write_outputs, writes_to_stdout
    from gradcli.render.sweep_plot import sweep_json, sweep_report, sweep_svg
    from gradcli.syntax.parser import parse
    from gradcli.syntax.points import parse_point

    written: list[str] = []
    try:
        plot_only = output is not None and writes_to_stdout(output)
        if plot_only and json_output:
            raise InputProblem(f"-o {output} and --json both write to standard output: choose one")
        parsed = _selected(parse(read_program(program, file)), of)
        names = checked_names(parsed, wrt)
        limits.check_work(len(names) * SWEEP_EVALUATIONS * parsed.size, "sweep fewer inputs with --wrt")
        sweeps = sweep(parsed, parse_point(at), names)
        if not sweeps:
            raise InputProblem("the program has no inputs, so there is no derivative to take differences of")
        if json_output:
            text = dumps(sweep_json(sweeps))
        else:
            text = "" if plot_only else to_terminal(lambda console: sweep_report(sweeps, console))
        if output is not None:
            svg = sweep_svg(sweeps, title=" ".join(parsed.source.split())).encode("utf-8")
            limits.stop_clock()
            written = write_outputs([Output("-o", output, svg)])
    except GradcliError as error:
        fail(error)
    emit(text)
    report(*written)


def _expectations(items: list[str]) -> list[tuple[str, str]]:
    expected = []
    for item in items:
        name, sep, formula = item.partition("=")
        if not sep or not name.strip() or not formula.strip():
            raise InputProblem(f'--expect {item!r}: write NAME=FORMULA, e.g. --expect x="2*(3*x + 2)*3"')
        expected.append((name.strip(), formula.strip()))
    return expected


@command("jacobian")
def jacobian_command(
    program: str | None = typer.Argument(None, help='The program, e.g. "[x0**2 + x1, x0*x1]". Or use -f FILE.'),
    at: list[str] = typer.Option([], "--at", help="Input values: --at x0=2,x1=3."),
    file: str | None = typer.Option(None, "--file", "-f", help="Read the program from FILE ('-' for stdin)."),
    mode: str = typer.Option("auto", "--mode", help="auto (fewer passes), forward (a pass per input) or reverse."),
    json_output: bool = typer.Option(False, "--json", help='Print strict JSON: "inputs", "outputs", "jacobian" rows.'),
    skip_other: bool = typer.Option(
        False, "--skip-other", help="Run only the chosen mode: faster, without the other mode's cost beside it."
    ),
) -> None:
    """The Jacobian of PROGRAM's outputs with respect to its inputs, and the cost of each mode."""
    from gradcli.syntax.parser import parse
    from gradcli.syntax.points import parse_point

    try:
        parsed = parse(read_program(program, file))
        text = _render_outputs(parsed, parse_point(at), mode, json_output, [], both=not skip_other)
    except GradcliError as error:
        fail(error)
    emit(text)


@command("graph")
def graph_command(
    program: str | None = typer.Argument(None, help="The program, or use -f FILE."),
    at: list[str] = typer.Option([], "--at", help="Input values: --at x=1,y=2. Without them: the structure only."),
    file: str | None = typer.Option(None, "--file", "-f", help="Read the program from FILE ('-' for stdin)."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write the drawing to this file."),
    fmt: str | None = typer.Option(None, "--format", help="svg, png, pdf or dot (default: from -o's extension)."),
    rankdir: str = typer.Option("LR", "--rankdir", help="LR (left to right) or TB (top down)."),
    edge_labels: bool = typer.Option(False, "--edge-labels", help="Label edges with their local derivative."),
    highlight: list[str] = typer.Option([], "--highlight", help="Pick out every path from this input to the output."),
    html: str | None = typer.Option(None, "--html", help="Write a step-through page (forward, then backward)."),
    frames: str | None = typer.Option(
        None, "--frames", help="Write one SVG per step into this folder (created if missing, if its parent exists)."
    ),
    structure: bool = typer.Option(False, "--structure", help="Draw the structure only, even with values."),
    max_nodes: int = typer.Option(1000, "--max-nodes", help="Above this many nodes, say that layout may be slow."),
    of: str | None = typer.Option(None, "--of", help="With several outputs: draw this one's gradients."),
) -> None:
    """Draw PROGRAM's computation graph with Graphviz: values, gradients, and the paths between them."""
    from gradcli.render.drawing import GraphRequest, make_drawings
    from gradcli.render.output_files import write_outputs

    try:
        request = GraphRequest(
            source=read_program(program, file),
            at=at,
            output=output,
            fmt=fmt,
            rankdir=rankdir,
            edge_labels=edge_labels,
            highlight=tuple(highlight),
            html=html,
            frames=frames,
            structure=structure,
            max_nodes=max_nodes,
            of=of,
        )
        notes: list[str] = []
        outputs, frame_folder = make_drawings(request, note=notes.append, terminal=sys.stdout.isatty())
        limits.stop_clock()
        written = write_outputs(outputs, frame_folder)
    except GradcliError as error:
        fail(error)
    except OSError as error:  # write_outputs names the file; this is only a guard against a traceback
        fail(InputProblem(f"cannot write the drawing: {error.strerror or error}"))
    report(*[f"note: {note}" for note in notes], *written)


def _option_names() -> tuple[set[str], set[str]]:
    """Every option name the commands declare, and those that take a value (not flags)."""
    import inspect

    names: set[str] = set()
    taking_values: set[str] = set()
    for info in app.registered_commands:
        for parameter in inspect.signature(info.callback).parameters.values():
            declared = getattr(parameter.default, "param_decls", None)
            if isinstance(parameter.default, typer.models.OptionInfo) and declared:
                names.update(declared)
                if parameter.annotation not in ("bool", bool):
                    taking_values.update(declared)
    return names, taking_values


def move_minus_program(argv: list[str]) -> list[str]:
    """Let a program start with '-': ``gradcli eval "-x**2"`` is a program, not an option.

    The first argument that starts with '-' but is none of our options is moved to the
    end, after ``--``, where the option parser takes it as the program, unchanged.
    """
    if "--" in argv or not any(arg[:1] == "-" and arg[1:2] not in ("", "-") for arg in argv):
        return argv
    options, taking_values = _option_names()
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


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command being run: typer builds every command's options on each
    call, which is most of its start-up. Help, errors and behaviour are the same."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    info = next((c for c in app.registered_commands if c.name == name), None)
    if info is None:
        return app
    single = typer.Typer(**APP_SETTINGS)
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


NO_COMMAND = (
    'no command: give one of eval, diff, compare, jacobian, graph, e.g. gradcli eval "(3*x + 2)**2" --at x=1 '
    "(see 'gradcli --help')"
)


def main() -> None:
    """Console-script entry point: usage errors, like input errors, are one line and exit 2."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show ∂ or → gets \u2202, not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    argv = move_minus_program(sys.argv[1:])
    if not argv:
        sys.stderr.write(f"error: {NO_COMMAND}\n")
        sys.exit(2)
    try:
        with limits.limited(input_size(argv)):
            code = app_for(argv)(args=argv, prog_name="gradcli", standalone_mode=False)
    except MemoryError:
        sys.stderr.write(f"error: {limits.memory_message()}\n")
        sys.exit(2)
    except GradcliError as error:  # a limit reached outside a command's own error handling
        sys.stderr.write(f"error: {bounded(str(error))}\n")
        sys.exit(error.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except typer.TyperException as error:
        if not hasattr(error, "format_message"):
            raise
        context = getattr(error, "ctx", None)
        where = context.command_path if context is not None else "gradcli"
        message = error.format_message() or NO_COMMAND
        sys.stderr.write(f"error: {bounded(message)} (see '{where} --help')\n")
        sys.exit(2)
    sys.exit(code or 0)
