"""The ``gradcli`` command: thin typer commands over the library.

Each command parses its options, calls library functions that return data, and hands the
data to one renderer; :func:`~gradcli.cli.errors.reported` turns a library error into one
message on stderr and exit code 2. Output is built completely before any is written.
"""

import math
import sys

import typer

from gradcli import __version__
from gradcli.cli import argv as arguments
from gradcli.cli import help_text, options
from gradcli.cli.errors import in_options, reported, write_error
from gradcli.cli.streams import emit, read_program, report
from gradcli.core import lazy_numpy, limits
from gradcli.core.errors import GradcliError, InputProblem, bounded

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
    """Register a command with its help page's examples and one-line summary; library errors reported."""
    register = app.command(name, epilog=help_text.help_for(name), short_help=help_text.SUMMARIES[name])
    return lambda function: register(reported(function))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Gradients you can read: evaluate a program, its gradient, and the chain rule at every node."""


@command("eval")
def eval_command(
    program: options.program('The program, e.g. "(3*x + 2)**2". Or use -f FILE.') = None,
    at: options.at("Input values: --at x=1 --at y=2, or --at x=1,y=2.") = (),
    at_file: options.AtFile = (),
    file: options.File = None,
    json_output: options.json("Print strict JSON instead of tables.") = False,
    backward_order: options.flag(
        "--backward-order", "List the trace output first, in the order the backward pass visits nodes."
    ) = False,
    constants: options.flag("--constants", "Show constant nodes in the trace table.") = False,
    trace: options.flag(
        "--trace", "With --json: each node's whole trace row (local derivatives, what it sends), not only its gradient."
    ) = False,
    max_rows: options.value(int, "--max-rows", help="Trace rows to show in the table (0: all).") = 60,
    mode: options.value(
        str | None,
        "--mode",
        help="reverse (one backward pass; the default) or forward (dual numbers, one pass per input); "
        "for several outputs also auto (the default there: fewer passes).",
    ) = None,
    order: options.order("2 adds the Hessian (forward-over-reverse).") = 1,
    hvp: options.value(
        str | None, "--hvp", help="Hessian-vector product along this direction, one number per input: --hvp x=1,y=0."
    ) = None,
    of: options.of("With several outputs: report this one (name or position).") = None,
    over: options.over("A row per point: --over x=0:1:0.1 (START:STOP:STEP, or START:STOP with --points).") = (),
    points: options.points("With --over START:STOP: how many points (default 11).") = None,
    csv_output: options.flag("--csv", "With --over: print CSV, every number in full.") = False,
) -> None:
    """Evaluate PROGRAM: its value, the gradient with respect to every input, and a backward trace."""
    from gradcli.ad.evaluation import evaluate
    from gradcli.core.values import has_arrays
    from gradcli.render.eval_report import eval_report, forward_report, outputs_report
    from gradcli.syntax.points import parse_point

    _check_order(order)
    if over or csv_output or points is not None:
        given = {"--order 2": order == 2, "--hvp": hvp is not None, "--mode": mode is not None,
                 "--backward-order": backward_order, "--constants": constants, "--trace": trace}  # fmt: skip
        return _eval_over(program, file, at, at_file, of, over, points, csv_output, json_output, given)
    if trace and not json_output:
        raise InputProblem("--trace goes with --json (the table always shows the trace)")
    direction = parse_point([hvp], "direction") if hvp is not None else None
    parsed = _program(program, file)
    point = parse_point(at, files=at_file)
    second = []
    if of is not None or order == 2 or direction is not None:  # the commonest run needs none of these
        from gradcli.ad.outputs import chosen_output, element_outputs, second_order_per_output

        parsed = chosen_output(parsed, point, of)
        by_element = element_outputs(parsed, point) if order == 2 or direction is not None else parsed
        second = second_order_per_output(by_element, point, order == 2, direction)
    if len(parsed.outputs) > 1 or has_arrays(parsed, point):
        from gradcli.ad.jacobian import jacobian, vector_valued

        several = len(parsed.outputs) > 1 or vector_valued(parsed, point)
    else:
        several = False
    if several:
        emit(outputs_report(jacobian(parsed, point, mode or "auto"), second, json_output))
    elif (mode or "reverse") == "forward":
        from gradcli.ad.forward_mode import forward_mode

        emit(forward_report(forward_mode(parsed, point), second, json_output, max_rows))
    elif (mode or "reverse") == "reverse":
        emit(eval_report(evaluate(parsed, point), second, json_output, backward_order, constants, max_rows, trace))
    else:
        raise InputProblem(f"--mode {mode}: choose reverse or forward (auto is for programs with several outputs)")


def _eval_over(program, file, at, at_file, of, over, points, csv_output, json_output, given) -> None:
    """``eval --over``: value and gradient at every point of a range, as a table, CSV or JSON."""
    from gradcli.ad.batch import evaluate_over
    from gradcli.ad.outputs import chosen_output
    from gradcli.render.range_report import table_csv, table_json, table_text
    from gradcli.syntax.points import parse_point, parse_ranges, range_points

    if not over:
        raise InputProblem("--csv and --points go with --over (a range of points)")
    ignored = [name for name, on in given.items() if on]
    if ignored:
        raise InputProblem(f"--over gives a value and gradient per point: leave out {', '.join(ignored)}")
    if csv_output and json_output:
        raise InputProblem("--csv and --json: choose one")
    ranges = parse_ranges(over)
    parsed = _program(program, file)
    point = parse_point(at, files=at_file)
    parsed = chosen_output(parsed, point, of)
    batch = evaluate_over(parsed, range_points(ranges, points), point)
    varying = list(ranges)
    if json_output:
        emit(table_json(batch, varying))
    elif csv_output:
        emit(table_csv(batch, varying))
    else:
        emit(table_text(batch, varying, _terminal_width()))


def _terminal_width() -> int:
    """Charts and tables of points fit 80 columns where there is no terminal to ask."""
    from gradcli.render.terminal import terminal_width

    return terminal_width(80)


def names_listed(items: list[str]) -> tuple[str, ...]:
    """``--wrt x,y --wrt z`` as ``("x", "y", "z")``."""
    return tuple(name.strip() for item in items for name in item.split(",") if name.strip())


def _check_order(order: int) -> None:
    if order not in (1, 2):
        raise InputProblem(f"--order {order}: choose 1 (first derivatives) or 2 (second derivatives too)")


def _program(program: str | None, file: str | None):
    """The program (argument or file) parsed."""
    from gradcli.syntax.parser import parse

    return parse(read_program(program, file))


def _count_second_derivatives(program, wrt: tuple[str, ...], outputs: int = 1) -> None:
    """Refuse more second derivatives than the time limit allows, before any work."""
    inputs = len(set(wrt)) or len(program.inputs)
    limits.check_second_derivatives(inputs, "choose inputs with --wrt", outputs=outputs)


@command("diff")
def diff_command(
    program: options.program() = None,
    wrt: options.Wrt = (),
    at: options.at("Values of array inputs, for their shapes: --at x=[1,2,3] (programs of numbers need none).") = (),
    at_file: options.AtFile = (),
    file: options.File = None,
    expand: options.flag("--expand", "One flat expression, even when it is much longer.") = False,
    latex: options.flag("--latex", "Print LaTeX instead of gradcli syntax.") = False,
    json_output: options.json("Print strict JSON with the expressions and sizes.") = False,
    order: options.order("2: second derivatives d2f/da db (each pair once).") = 1,
    of: options.of("With several outputs: only this one (name or position).") = None,
) -> None:
    """The symbolic derivative of PROGRAM, in gradcli's own syntax (or LaTeX)."""
    from gradcli.ad.outputs import chosen_output, element_outputs, output_derivatives
    from gradcli.render.derivative_report import diff_report
    from gradcli.syntax.points import parse_point

    _check_order(order)
    parsed = _program(program, file)
    if not parsed.inputs and not json_output:  # JSON can say so: an empty "derivative"
        raise InputProblem("the program has no inputs, so there is nothing to differentiate it by")
    names = names_listed(wrt)
    point = parse_point(at, files=at_file)
    parsed = element_outputs(chosen_output(parsed, point, of), point)
    if order == 2:
        _count_second_derivatives(parsed, names, outputs=len(parsed.outputs))
    emit(diff_report(parsed, output_derivatives(parsed, names, order, expand, point), order, latex, json_output))


@command("compare")
def compare_command(
    program: options.program() = None,
    at: options.at("Input values: --at x=1,y=2.") = (),
    at_file: options.AtFile = (),
    file: options.File = None,
    h: options.value(float | None, "--h", help="The central-difference step (default: chosen per input).") = None,
    expect: options.value(list[str], "--expect", help='A hand-derived derivative to check: --expect x="2*x".') = (),
    json_output: options.json("Print strict JSON with every figure.") = False,
    sweep: options.flag(
        "--sweep", "Error of forward and central differences for steps 1e-1 ... 1e-16, with a plot."
    ) = False,
    output: options.output("With --sweep: also write the plot as SVG, PNG or PDF.") = None,
    order: options.order("2: the Hessian, against central differences of the gradient.") = 1,
    of: options.of("With several outputs: compare this one (name or position).") = None,
    wrt: options.Wrt = (),
) -> None:
    """Symbolic, numerical, forward and reverse derivatives side by side, with a verdict."""
    from gradcli.ad.outputs import chosen_output, element_outputs
    from gradcli.check.compare import compare, compare_second
    from gradcli.render.check_report import comparison_report, second_comparison_report
    from gradcli.syntax.points import parse_point

    if sweep:
        _check_sweep_options(h, expect, order, output, json_output)
    else:
        _check_compare_options(h, expect, order, output)
    parsed = _program(program, file)
    point, names = parse_point(at, files=at_file), names_listed(wrt)
    parsed = element_outputs(chosen_output(parsed, point, of), point)
    if sweep:
        return _sweep(parsed, point, names, output, json_output)
    if order == 2:
        _count_second_derivatives(parsed, names)
        comparison = compare_second(parsed, point, h, names)
        emit(second_comparison_report(comparison, parsed, json_output))
    else:
        comparison = compare(parsed, point, h, _expectations(expect), names)
        emit(comparison_report(comparison, json_output))
    if comparison.failed:
        raise typer.Exit(code=1)


def _check_compare_options(h: float | None, expect: list[str], order: int, output: str | None) -> None:
    if output is not None:
        raise InputProblem("-o goes with --sweep (the plot of the step sweep)")
    if h is not None and not 0 < h < math.inf:
        raise InputProblem(f"--h {h}: the step must be a positive finite number")
    _check_order(order)
    if order == 2 and expect:
        raise InputProblem("--expect checks first derivatives: leave out --order 2")


def _check_sweep_options(h: float | None, expect: list[str], order: int, output: str | None, json_output: bool):
    from gradcli.render.figures import format_of
    from gradcli.render.output_files import writes_to_stdout

    ignored = [name for name, given in (("--h", h is not None), ("--expect", expect), ("--order", order != 1)) if given]
    if ignored:
        raise InputProblem(f"--sweep tries its own steps on first derivatives: leave out {', '.join(ignored)}")
    if output is not None and writes_to_stdout(output) and json_output:
        raise InputProblem(f"-o {output} and --json both write to standard output: choose one")
    if output is not None:
        format_of("-" if writes_to_stdout(output) else output)  # .svg, .png or .pdf: refused before any work


def _sweep(program, point: dict, wrt: tuple[str, ...], output: str | None, json_output: bool) -> None:
    """``compare --sweep``: the truncation/cancellation trade-off, as a table, a plot, JSON or a chart file."""
    from gradcli.ad.symbolic import checked_names
    from gradcli.check.sweep import SWEEP_EVALUATIONS, sweep
    from gradcli.render.check_report import sweep_plot, sweep_text
    from gradcli.render.figures import format_of
    from gradcli.render.output_files import Output, write_outputs, writes_to_stdout

    names = checked_names(program, wrt)
    limits.check_work(len(names) * SWEEP_EVALUATIONS * program.size, "sweep fewer inputs with --wrt")
    sweeps = sweep(program, point, names)
    if not sweeps:
        raise InputProblem("the program has no inputs, so there is no derivative to take differences of")
    text = "" if output is not None and writes_to_stdout(output) else sweep_text(sweeps, json_output)
    written = []
    if output is not None:
        fmt = format_of("-" if writes_to_stdout(output) else output)  # standard output gets SVG
        chart = sweep_plot(sweeps, program, fmt)
        limits.stop_clock()
        written = write_outputs([Output("-o", output, chart)])
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
    program: options.program('The program, e.g. "[x0**2 + x1, x0*x1]". Or use -f FILE.') = None,
    at: options.at("Input values: --at x0=2,x1=3.") = (),
    at_file: options.AtFile = (),
    file: options.File = None,
    mode: options.value(str, "--mode", help="auto (fewer passes), forward (a pass per input) or reverse.") = "auto",
    json_output: options.json('Print strict JSON: "inputs", "outputs", "jacobian" rows.') = False,
    skip_other: options.flag(
        "--skip-other", "Run only the chosen mode: faster, without the other mode's cost beside it."
    ) = False,
) -> None:
    """The Jacobian of PROGRAM's outputs with respect to its inputs, and the cost of each mode."""
    from gradcli.ad.jacobian import jacobian
    from gradcli.render.eval_report import outputs_report
    from gradcli.syntax.points import parse_point

    parsed = _program(program, file)
    emit(outputs_report(jacobian(parsed, parse_point(at, files=at_file), mode, both=not skip_other), [], json_output))


@command("plot")
def plot_command(
    program: options.program() = None,
    over: options.over("The range: --over x=-4:4 (curves), --over x=-2:2,y=-1:3 (a field).") = (),
    at: options.at("Values of the other inputs: --at y=2.") = (),
    at_file: options.AtFile = (),
    file: options.File = None,
    order: options.order("2 adds f'' (curves of one input).") = 1,
    points: options.points("Points along each input (default 401 for curves, 121 a side for a field).") = None,
    output: options.output("Write the chart to FILE: .svg, .png or .pdf.") = None,
    descend_from: options.value(
        str | None, "--descend-from", help="Draw gradient descent from this point: --descend-from x=-1.5,y=2."
    ) = None,
    lr: options.value(float, "--lr", help="The descent's learning rate.") = 0.001,
    steps: options.value(int, "--steps", help="The descent's steps.") = 1000,
    optimizer: options.value(str, "--optimizer", help="sgd, momentum (0.9) or adam.") = "sgd",
    of: options.of("With several outputs: plot this one (name or position).") = None,
) -> None:
    """Curves of f, f' (and f'') over a range of one input; f and its gradient over two."""
    from gradcli.ad.outputs import chosen_output
    from gradcli.render.output_files import Output, write_outputs, writes_to_stdout
    from gradcli.render.range_figures import chart_bytes, plot
    from gradcli.render.range_report import chart_notes, chart_text
    from gradcli.syntax.points import parse_point, parse_ranges

    if not over:
        raise InputProblem("give the range to plot over: --over x=-4:4, or two inputs: --over x=-2:2,y=-1:3")
    _check_order(order)
    if output is not None:
        from gradcli.render.figures import format_of

        format_of(output)
    ranges = parse_ranges(over)
    parsed = _program(program, file)
    point = parse_point(at, files=at_file)
    parsed = chosen_output(parsed, point, of)
    start = parse_point([descend_from], "descend_from") if descend_from is not None else None
    chart = plot(parsed, ranges, point, order, points, start, lr, steps, optimizer)
    if output is None:
        return emit(chart_text(chart.data, _terminal_width()))
    data = chart_bytes(chart, output)
    limits.stop_clock()
    written = write_outputs([Output("-o", output, data)])
    if not writes_to_stdout(output):
        emit(chart_notes(chart.data, _terminal_width()))
    report(*written)


@command("graph")
def graph_command(
    program: options.program() = None,
    at: options.at("Input values: --at x=1,y=2. Without them: the structure only.") = (),
    at_file: options.AtFile = (),
    file: options.File = None,
    output: options.output("Write the drawing to this file.") = None,
    fmt: options.value(str | None, "--format", help="svg, png, pdf or dot (default: from -o's extension).") = None,
    rankdir: options.value(str, "--rankdir", help="LR (left to right) or TB (top down).") = "LR",
    edge_labels: options.flag("--edge-labels", "Label edges with their local derivative.") = False,
    highlight: options.value(list[str], "--highlight", help="Pick out every path from this input to the output.") = (),
    html: options.value(str | None, "--html", help="Write a step-through page (forward, then backward).") = None,
    frames: options.value(
        str | None,
        "--frames",
        help="Write one SVG per step into this folder (created if missing, if its parent exists).",
    ) = None,
    structure: options.flag("--structure", "Draw the structure only, even with values.") = False,
    max_nodes: options.value(int, "--max-nodes", help="Above this many nodes, say that layout may be slow.") = 1000,
    of: options.of("With several outputs: draw this one's gradients.") = None,
) -> None:
    """Draw PROGRAM's computation graph with Graphviz: values, gradients, and the paths between them."""
    from gradcli.ad.evaluation import evaluation_or_program
    from gradcli.ad.outputs import chosen_output
    from gradcli.render.drawing import GraphRequest, drawing_format, make_drawings
    from gradcli.syntax.parser import parse
    from gradcli.syntax.points import parse_point

    request = GraphRequest(output, fmt, rankdir, edge_labels, tuple(highlight), html, frames, max_nodes)
    source = read_program(program, file)
    drawing_format(request)  # checked before the program is
    parsed, notes = parse(source), []
    point = parse_point(at, files=at_file)  # checked even when only the structure is drawn
    parsed = chosen_output(parsed, point, of)
    drawn = evaluation_or_program(parsed, point, structure, request.stepping, notes.append)
    outputs, frame_folder = make_drawings(drawn, request, note=notes.append, terminal=sys.stdout.isatty())
    limits.stop_clock()
    report(*[f"note: {in_options(note)}" for note in notes], *_written(outputs, frame_folder))


def _written(outputs, frame_folder) -> list[str]:
    """Write the drawings, all or nothing; what was written, for stderr."""
    from gradcli.render.output_files import write_outputs

    try:
        return write_outputs(outputs, frame_folder)
    except OSError as error:  # write_outputs names the file; this is only a guard against a traceback
        raise InputProblem(f"cannot write the drawing: {error.strerror or error}") from None


def move_minus_program(argv: list[str]) -> list[str]:
    """Let a program start with '-' (see :func:`gradcli.cli.argv.move_minus_program`)."""
    return arguments.move_minus_program(app, argv)


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command being run (see :func:`gradcli.cli.argv.app_for`)."""
    return arguments.app_for(app, APP_SETTINGS, argv)


NO_COMMAND = (
    'no command: give one of eval, diff, compare, jacobian, graph, plot, e.g. gradcli eval "(3*x + 2)**2" --at x=1 '
    "(see 'gradcli --help')"
)


def main() -> None:
    """Console-script entry point: usage errors, like input errors, are one line and exit 2."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show ∂ or → gets \u2202, not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    lazy_numpy.QUIET = True  # nan and inf are values here, reported at their node, never warnings
    argv = move_minus_program(sys.argv[1:])
    if not argv:
        sys.stderr.write(f"error: {NO_COMMAND}\n")
        sys.exit(2)
    try:
        with limits.limited(arguments.input_size(argv)):
            code = app_for(argv)(args=argv, prog_name="gradcli", standalone_mode=False)
    except MemoryError:
        sys.stderr.write(f"error: {limits.memory_message()}\n")
        sys.exit(2)
    except GradcliError as error:  # a limit reached outside a command's own error handling
        write_error(error)
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
