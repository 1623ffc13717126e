"""Library errors speak the library's terms; the command line's boundary adds the option names.

Each library error that concerns a caller's argument names it (``parameter``) and the part of
it at fault (``text``); its ``str()`` says so in Python terms. The same error object, through
:func:`gradcli.cli.errors.command_line_message`, gives the command line's message, checked
here against the exact text the command line has always printed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from support import cli

import gradcli
from gradcli.ad.derivative_text import derivative_texts
from gradcli.ad.evaluation import evaluate
from gradcli.ad.jacobian import jacobian
from gradcli.ad.outputs import output_derivatives, second_order_per_output
from gradcli.ad.second_order import Hessian, hvp
from gradcli.ad.symbolic import Sizes, checked_names, derivative, sizes
from gradcli.check.compare import compare
from gradcli.check.sweep import sweep
from gradcli.cli.errors import command_line_message
from gradcli.core.errors import GradcliError, InputProblem, MissingValues, PointProblem, UnknownInput
from gradcli.core.graph import MultipleOutputs
from gradcli.render.drawing import GraphRequest, make_drawings, output_format
from gradcli.render.latex import derivative_latex
from gradcli.syntax.parser import parse
from gradcli.syntax.points import parse_point

PACKAGE = Path(gradcli.__file__).parent
LIBRARY_LAYERS = ("core", "syntax", "ad", "check", "explain", "render")
OPTION = re.compile(r"(?<![\w-])(--[a-z][\w-]*|-[a-z]\b)")


def raised(call, *args, **kwargs) -> GradcliError:
    with pytest.raises(GradcliError) as caught:
        call(*args, **kwargs)
    return caught.value


def assert_library_terms(error: GradcliError) -> None:
    assert not OPTION.search(str(error)), str(error)


# ---------------------------------------------------------------- one "no such input"

UNKNOWN_INPUTS = [
    # (what the caller does, parameter, library message, command-line message)
    (
        lambda: evaluate("x**2", {"y": 1}),
        "at",
        "`at` y: the program has no input y (inputs: x)",
        "--at y=...: the program does not use y; its inputs are x",
    ),
    (
        lambda: derivative(parse("x*y"), ["z"]),
        "wrt",
        "`wrt` z: the program has no input z (inputs: x, y)",
        "--wrt z: the program has no input z (inputs: x, y)",
    ),
    (
        lambda: hvp(parse("x*y"), {"x": 1, "y": 2}, {"x": 1, "y": 0, "z": 1}),
        "direction",
        "`direction` z: the program has no input z (inputs: x, y)",
        "--hvp z=...: the program has no input z (inputs: x, y)",
    ),
    (
        lambda: compare(parse("x**2"), {"x": 1}, expect={"y": "2*x"}),
        "expect",
        "`expect` y: the program has no input y (inputs: x)",
        "--expect y=...: the program has no input y",
    ),
    (
        lambda: checked_names(parse("x*y"), ["z"], "highlight"),
        "highlight",
        "`highlight` z: the program has no input z (inputs: x, y)",
        "--highlight z: the program has no input z (inputs: x, y)",
    ),
    (
        lambda: sweep(parse("x*y"), {"x": 1, "y": 2}, ["z"]),
        "names",
        "`names` z: the program has no input z (inputs: x, y)",
        "`names` z: the program has no input z (inputs: x, y)",  # the command line checks --wrt first
    ),
]


@pytest.mark.parametrize(("call", "parameter", "library", "command_line"), UNKNOWN_INPUTS, ids=lambda v: "")
def test_one_exception_and_one_wording_for_no_such_input(call, parameter, library, command_line):
    error = raised(call)
    assert type(error) is UnknownInput and isinstance(error, InputProblem)
    name = library.split()[1].rstrip(":")
    assert (error.parameter, error.text, error.name) == (parameter, name, name)
    assert str(error) == library
    assert command_line_message(error) == command_line


def test_an_unknown_input_knows_the_close_name_and_the_computed_one():
    close = raised(evaluate, "rate*x", {"rat": 1, "x": 2})
    assert (close.name, close.suggestion, close.inputs) == ("rat", "rate", ("rate", "x"))
    assert str(close) == "`at` rat: the program has no input rat (inputs: rate, x); did you mean rate?"
    assert command_line_message(close) == "--at rat=...: the program does not use rat; did you mean rate?"
    computed = raised(evaluate, "y = 2*x; y", {"x": 1, "y": 1})
    assert computed.computed and str(computed) == "`at` y: y is computed by the program, not an input"
    assert command_line_message(computed) == "--at y=...: y is computed by the program, not an input"
    none = raised(evaluate, "2", {"x": 1})
    assert str(none) == "`at` x: the program has no input x (inputs: none)"
    assert command_line_message(none) == "--at x=...: the program has no inputs"


# ---------------------------------------------------------------- missing values


def test_a_missing_value_says_how_to_pass_it_in_python():
    error = raised(evaluate, "x**2")
    assert isinstance(error, MissingValues) and error.parameter == "at" and error.names == ("x",)
    assert str(error) == "no value for input x: pass it in `at`, e.g. {'x': 1}"
    assert command_line_message(error) == "no value for input x: give it with --at x=1"
    both = raised(evaluate, "x*y + z", {"y": 2})
    assert str(both) == "no value for inputs x, z: pass them in `at`, e.g. {'x': 1, 'z': 1}"
    assert command_line_message(both) == "no value for inputs x, z: give them with --at x=1,z=1"


def test_a_direction_needs_a_number_per_input():
    error = raised(hvp, parse("x**2*y"), {"x": 1, "y": 2}, {"x": 1})
    assert isinstance(error, MissingValues) and error.parameter == "direction" and error.names == ("y",)
    assert str(error) == "no direction for y: pass one number per input in `direction`, e.g. {'x': 1, 'y': 0}"
    assert command_line_message(error) == "--hvp: no direction for y: give one number per input, e.g. --hvp x=1,y=0"


# ---------------------------------------------------------------- every other argument


def too_long(parameter: str):
    """Printing d/dx as one expression, as if it had a million operations."""
    d = derivative(parse("x**2"))
    huge = Sizes(1, 1, {"x": 10**6})
    if parameter == "expand":
        return lambda: derivative_texts(d, huge, expand=True)
    return lambda: derivative_latex(d, huge)


ARGUMENTS = [
    # (what the caller does, parameter, text, library message, command-line message)
    (
        lambda: evaluate("x = 1; x = 2; x", {"x": 1}),
        "at",
        "x=...",
        "`at` x=...: the program does not read x before it is rebound or the program ends, "
        "so its value would be ignored",
        "--at x=...: the program does not read x before it is rebound or the program ends, "
        "so its value would be ignored",
    ),
    (
        lambda: jacobian(parse("[x, x**2]"), {"x": 1}, "fast"),
        "mode",
        "fast",
        "`mode` fast: choose auto, forward, reverse",
        "--mode fast: choose auto, forward, reverse",
    ),
    (
        lambda: parse("[x, y]").output_index("z"),
        "of",
        "z",
        "`of` z: the program has 2 outputs: x, y (choose one by name or position from 0)",
        "--of z: the program has 2 outputs: x, y (choose one by name or position from 0)",
    ),
    (
        lambda: compare(parse("x**2"), {"x": 1}, expect={"x": "2*y"}),
        "expect",
        "x=2*y",
        "`expect` x=2*y: y is not an input of the program",
        "--expect x=2*y: y is not an input of the program",
    ),
    (
        lambda: parse_point(["x=1", "x=2"]),
        "at",
        "x=2",
        "`at` x=2: x is given more than once",
        "--at x=2: x is given more than once",
    ),
    (
        lambda: parse_point(["x=foo"], "direction"),
        "direction",
        "x=foo",
        "`direction` x=foo: the value must be a number, an expression of numbers such as pi/4, "
        "or an array such as [1, 2, 3]",
        "--hvp x=foo: the value must be a number, an expression of numbers such as pi/4, or an array such as [1, 2, 3]",
    ),
    (
        too_long("expand"),
        "expand",
        None,
        "`expand`: d/dx has 1,000,000 operations as one expression; "
        "leave out `expand` for the program with shared names",
        "--expand: d/dx has 1,000,000 operations as one expression; "
        "leave out --expand for the program with shared names",
    ),
    (
        too_long("latex"),
        "latex",
        None,
        "`latex`: d/dx has 1,000,000 operations as one expression, too many to print; "
        "leave out `latex` for the program with shared names",
        "--latex: d/dx has 1,000,000 operations as one expression, too many to print; "
        "leave out --latex for the program with shared names",
    ),
    (
        lambda: sweep(parse("x"), {"x": 1}, steps=[0.1, -1]),
        "steps",
        None,
        "`steps`: steps must be positive finite numbers, got -1.0",
        "`steps`: steps must be positive finite numbers, got -1.0",  # not an option of the command line
    ),
    (
        lambda: output_format("g.xyz", None),
        "output",
        "g.xyz",
        "`output` g.xyz: cannot tell the format from '.xyz' (use .svg, .png, .pdf, .dot, .gv, or `fmt`)",
        "-o g.xyz: cannot tell the format from '.xyz' (use .svg, .png, .pdf, .dot, .gv, or --format)",
    ),
    (
        lambda: make_drawings(parse("x"), GraphRequest(rankdir="up"), note=print),
        "rankdir",
        "up",
        "`rankdir` up: choose LR, TB, RL or BT",
        "--rankdir up: choose LR, TB, RL or BT",
    ),
]


@pytest.mark.parametrize(("call", "parameter", "text", "library", "command_line"), ARGUMENTS)
def test_an_argument_error_names_the_argument_and_its_text(call, parameter, text, library, command_line):
    error = raised(call)
    assert isinstance(error, InputProblem)
    assert (error.parameter, error.text) == (parameter, text)
    assert str(error) == library
    assert command_line_message(error) == command_line


def test_text_that_cannot_be_read_as_a_point_shows_examples_in_each_notation():
    error = raised(parse_point, ["1,2"], "direction")
    assert isinstance(error, PointProblem) and (error.parameter, error.text) == ("direction", "'1,2'")
    assert str(error) == "`direction` '1,2': expected NAME=NUMBER, for example 'x=1' or 'x=1,y=2'"
    assert command_line_message(error) == "--hvp '1,2': expected NAME=NUMBER, for example --hvp x=1 or --hvp x=1,y=2"
    ragged = raised(parse_point, ["w=[1,[2]]"])
    assert str(ragged) == "`at` w=[1,[2]]: the rows of an array must all have the same length"
    assert command_line_message(ragged) == "--at w=[1,[2]]: the rows of an array must all have the same length"


def test_several_outputs_point_to_select_or_to_the_jacobian():
    error = raised(evaluate, "loss1 = x**2; loss2 = x + 5; [loss1, loss2]", {"x": 1})
    assert isinstance(error, MultipleOutputs)
    assert str(error) == (
        "the program has 2 outputs: loss1, loss2 (choose one by name or position from 0); "
        "pick one with `select`, or use `jacobian`"
    )
    assert command_line_message(error) == (
        "the program has 2 outputs: loss1, loss2 (choose one by name or position from 0); "
        "pick one with --of, or use gradcli jacobian"
    )


def test_stepping_through_without_values_names_the_arguments_in_backquotes():
    error = raised(make_drawings, parse("x*y"), GraphRequest(html="page.html"), note=print)
    assert str(error) == "`html` and `frames` step through values: give every input a value with `at`"
    assert command_line_message(error) == "--html and --frames step through values: give every input a value with --at"


def test_a_highlighted_name_is_checked_before_any_drawing():
    error = raised(make_drawings, evaluate("x*y", {"x": 1, "y": 2}), GraphRequest(highlight=("x", "q")), note=print)
    assert isinstance(error, UnknownInput) and (error.parameter, error.name) == ("highlight", "q")


# ---------------------------------------------------------------- no option in a library message


def _exception_names() -> set[str]:
    import gradcli.render.drawing  # noqa: F401 - loads every module that defines an error
    import gradcli.render.graphviz_render  # noqa: F401

    found, todo = set(), [GradcliError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _without_docstring(function: ast.FunctionDef) -> list[ast.stmt]:
    body = function.body
    first = body[0] if body else None
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return body[1:] if is_doc else body


def message_texts(path: Path, exceptions: set[str]) -> list[str]:
    """The literal text of every message ``path`` raises or notes: in the ``raise`` (or the
    exception's construction, or a ``note(...)``), in the local names and module constants it
    uses, and in the module's functions it calls (the helpers that build messages)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    constants = {
        target.id: statement.value
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }
    texts: list[str] = []
    for scope in [tree, *functions.values()]:
        local = {
            target.id: node.value
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(scope):
            callee = node.func if isinstance(node, ast.Call) else None
            name = getattr(callee, "id", getattr(callee, "attr", None))
            if not (isinstance(node, ast.Raise) or name in exceptions or name == "note"):
                continue
            seen: set[str] = set()
            todo: list[ast.AST] = [node]
            while todo:
                part = todo.pop()
                texts += _strings(part)
                for used in ast.walk(part):
                    key = getattr(used, "id", None)
                    if key in seen:
                        continue
                    if isinstance(used, ast.Name) and (key in local or key in constants):
                        seen.add(key)
                        todo.append(local.get(key) or constants[key])
                    elif isinstance(used, ast.Call) and getattr(used.func, "id", None) in functions:
                        seen.add(used.func.id)
                        todo += _without_docstring(functions[used.func.id])
    return texts


LIBRARY_MODULES = sorted(p for layer in LIBRARY_LAYERS for p in (PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("path", LIBRARY_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_library_message_names_a_command_line_option(path):
    exceptions = _exception_names()
    offending = [text for text in message_texts(path, exceptions) if OPTION.search(text)]
    assert offending == [], f"{path.name}: name the parameter in backquotes, not the option: {offending}"


def test_the_message_scan_finds_options_where_they_are():
    source = 'def f(x):\n    reason = f"--wrt {x}: no"\n    raise InputProblem(reason)\n'
    path = Path(__file__).parent / "_scan_probe.py"
    try:
        path.write_text(source)
        assert any(OPTION.search(t) for t in message_texts(path, {"InputProblem"}))
    finally:
        path.unlink()


# ---------------------------------------------------------------- the diff command's computation


def value_at(text: str, **point: float) -> float:
    program = parse(text)
    return evaluate(program, {name: point[name] for name in program.inputs}).value


def test_derivatives_per_output_match_hand_derivatives():
    program = parse("[x*y, x**2]")
    first, second = output_derivatives(program)
    assert first.texts == {"x": "y", "y": "x"} and second.texts == {"x": "2*x", "y": "0"}
    assert first.sizes == sizes(first.derivative)
    pairs = output_derivatives(program, ["x", "y"], order=2)
    values = [{key: value_at(text, x=3, y=5) for key, text in found.texts.items()} for found in pairs]
    assert values == [{"x,x": 0, "x,y": 1, "y,y": 0}, {"x,x": 2, "x,y": 0, "y,y": 0}]


def test_second_order_per_output_is_labelled_by_output():
    program = parse("a = x*y; [a, x**3]")
    results = second_order_per_output(program, {"x": 2, "y": 5}, hessians=True, direction={"x": 1, "y": 1})
    assert [label for label, _ in results] == ["a", "a", "[1]", "[1]"]
    assert isinstance(results[0][1], Hessian) and results[0][1].matrix == {"x": {"x": 0, "y": 1}, "y": {"x": 1, "y": 0}}
    assert results[3][1].product == {"x": 12.0, "y": 0.0}  # [[6x, 0], [0, 0]] @ [1, 1] at x = 2
    assert second_order_per_output(parse("x**2"), {"x": 1}, hessians=False) == []


@pytest.mark.parametrize(
    ("call", "python", "command_line"),
    [
        (lambda: compare(parse("x**2"), {"x": 1}, h=0.0), "`h` 0.0: the step must", "--h 0.0: the step must"),
        (lambda: compare(parse("x**2"), {"x": 1}, h=float("nan")), "`h` nan: the step", "--h nan: the step"),
        (lambda: output_derivatives(parse("x**2"), order=7), "`order` 7: choose 1", "--order 7: choose 1"),
    ],
)
def test_arguments_the_command_line_also_checks_are_checked_by_the_library(call, python, command_line):
    with pytest.raises(InputProblem) as caught:
        call()
    assert str(caught.value).startswith(python)
    assert command_line_message(caught.value).startswith(command_line)


@pytest.mark.parametrize(
    ("args", "quoted"),
    [
        (["graph", "x", "-o", "/nonexistent/`html`.svg"], "cannot write /nonexistent/`html`.svg"),
        (["compare", "x", "--at", "x=1", "--expect", "x=2*`wrt`"], "  2*`wrt`\n"),
    ],
)
def test_the_command_line_never_renames_what_the_user_typed(args, quoted):
    """Backquoted words in a path or formula stay as typed; only the library's own words become options."""
    done = cli(*args)
    assert done.returncode == 2
    assert quoted in done.stderr
    assert "--html" not in done.stderr and "--wrt" not in done.stderr


def test_an_anomaly_explains_itself_and_its_repr_stays_short():
    ev = gradcli.evaluate("a = log(x); a*y", {"x": -1, "y": 2})
    assert ev.anomalies[0].message == "nan first appears at a = log(x): log(-1) = nan (log needs a positive argument)"
    assert repr(ev.anomalies[0]) == "Anomaly(kind='value', node=1, number=nan)"
