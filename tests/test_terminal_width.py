"""Every terminal report fits the terminal: at widths 40 to 120, through the real command line.

For each report and width: no line is wider than the terminal, no line ends in spaces, every
number of the report's data (read from the same command's ``--json``, and written the way the
report writes it) appears unbroken somewhere in the text, and no table header is split inside a
word. The reports offer a wide table where it fits and narrower layouts where it does not
(:mod:`gradcli.render.layout`), so each width reaches a different layout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
from rich.cells import cell_len
from support import EXAMPLES
from typer.testing import CliRunner

from gradcli import parse
from gradcli.cli import app as cli
from gradcli.core.numbers import format_number

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.grad"))
WIDTHS = (40, 60, 80, 100, 120)

# Words of the tables' headers and blocks' labels: a piece of one of them alone is a header split mid-word.
HEADER_WORDS = (
    "operation derivative incoming gradient sends value input output expression symbolic numerical central "
    "forward reverse verdict difference error"
).split()

LONG = (
    "sigmoid(w1*x1 + w2*x2 + w3*x3 + bias)*log(1 + exp(-(w1*x1 - w2*x2 + w3*x3)))"
    " + tanh(w1*x1*w2*x2 - bias**2)*sqrt(x1**2 + x2**2 + x3**2)"
)
LONG_AT = "w1=0.123456789,w2=-1.87654321,w3=2.5e-3,x1=1.5,x2=-0.333333333,x3=7,bias=0.1"
MANY = " + ".join(f"x{i}*x{i}" for i in range(20))
MANY_AT = ",".join(f"x{i}={i * 0.37 - 3:.2f}" for i in range(20))
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
SIX = "a*b*c*d*k*g + sin(a*b)*exp(c + d) - log(k)*g**3"
SIX_AT = "a=1.5,b=-2.25,c=0.3,d=1.1,k=2,g=0.7"


def _num(value, digits: int = 10) -> str:
    return format_number(float(value), digits)


def _error(value) -> str:
    return f"{float(value):.1e}"


def _sweep_error(value) -> str:
    value = float(value)
    return "nan" if value != value else ("0" if value == 0 else f"{value:.1e}")


# ---------------------------------------------------------------- the numbers of each report


def eval_numbers(data: dict) -> list[str]:
    """Value, gradient, every shown node's value and gradient; the Hessian's first and last
    columns and H v, when asked for."""
    numbers = [_num(data["value"]), *map(_num, data["gradient"].values())]
    for node in data["nodes"]:
        if node["op"] != "const":
            numbers += [_num(node["value"]), _num(node["grad"])]
    if "hessian" in data:
        numbers += matrix_numbers([list(row.values()) for row in data["hessian"].values()])
    if "hvp" in data:
        numbers += [_num(v) for v in (*data["hvp"]["direction"].values(), *data["hvp"]["product"].values())]
    return numbers


def matrix_numbers(rows: list[list]) -> list[str]:
    """A matrix's first and last columns (a narrow layout leaves out the middle ones)."""
    return [_num(row[j]) for row in rows for j in {0, len(row) - 1}]


def forward_numbers(data: dict) -> list[str]:
    numbers = [_num(data["value"]), *map(_num, data["gradient"].values())]
    for node in data["nodes"]:
        if node["op"] != "const":
            numbers += [_num(node["value"]), *map(_num, node["tangents"].values())]
    return numbers


def compare_numbers(data: dict) -> list[str]:
    numbers = [_num(data["value"], 12)]
    for row in data["inputs"]:
        numbers += [_num(row[key], 12) for key in ("symbolic_value", "numerical", "forward", "reverse")]
        numbers += map(_error, row["relative_errors"].values())
    return numbers


def second_compare_numbers(data: dict) -> list[str]:
    numbers = [_num(data["value"])]
    for row in data["entries"]:
        numbers += [_num(row[key]) for key in ("symbolic_value", "numerical", "forward_over_reverse")]
        numbers += map(_error, row["relative_errors"].values())
    return numbers


def jacobian_numbers(data: dict) -> list[str]:
    return [*map(_num, data["values"]), *matrix_numbers(data["jacobian"])]


def sweep_numbers(data: dict) -> list[str]:
    numbers = []
    for one in data["inputs"]:
        for row in one["rows"]:
            numbers += [f"{float(row['step']):.3g}", _num(row["forward"], 12), _num(row["central"], 12)]
            numbers += [_sweep_error(row["forward_error"]), _sweep_error(row["central_error"])]
    return numbers


# ---------------------------------------------------------------- the reports


class Report(NamedTuple):
    name: str
    args: tuple[str, ...]
    numbers: Callable[[dict], list[str]]


def _examples() -> list[Report]:
    reports = []
    for path in EXAMPLE_FILES:
        several = len(parse(path.read_text(encoding="utf-8")).outputs) > 1
        command, numbers = ("jacobian", jacobian_numbers) if several else ("eval", eval_numbers)
        reports.append(Report(f"{command}-{path.stem}", (command, "-f", str(path)), numbers))
    return reports


REPORTS = [
    *_examples(),
    Report("eval-sin-exp", ("eval", "sin(exp(x**2))", "--at", "x=0.5"), eval_numbers),
    Report("eval-long", ("eval", LONG, "--at", LONG_AT), eval_numbers),
    Report("eval-many-inputs", ("eval", MANY, "--at", MANY_AT), eval_numbers),
    Report("eval-nan-inf", ("eval", "log(x) + 1/y + sqrt(z)*x", "--at", "x=-1,y=0,z=2"), eval_numbers),
    Report("eval-minus-zero", ("eval", "-x*y", "--at", "x=0,y=3"), eval_numbers),
    Report("eval-tiny-huge", ("eval", "exp(x)*1e-300 + x**-3", "--at", "x=1e-5"), eval_numbers),
    Report("eval-order-2", ("eval", ROSENBROCK, "--at", "x=1,y=1", "--order", "2", "--hvp", "x=1,y=0"), eval_numbers),
    Report(
        "eval-order-2-six",
        ("eval", SIX, "--at", SIX_AT, "--order", "2", "--hvp", "a=1,b=0,c=0,d=0,k=0,g=1"),
        eval_numbers,
    ),
    Report("forward", ("eval", "x**3*sin(x)", "--at", "x=1.5", "--mode", "forward"), forward_numbers),
    Report("forward-long", ("eval", LONG, "--at", LONG_AT, "--mode", "forward"), forward_numbers),
    Report("forward-many-inputs", ("eval", MANY, "--at", MANY_AT, "--mode", "forward"), forward_numbers),
    Report("compare", ("compare", "sin(x**2)", "--at", "x=1.5"), compare_numbers),
    Report("compare-long", ("compare", LONG, "--at", LONG_AT), compare_numbers),
    Report(
        "compare-shared", ("compare", "f1 = sin(x)*x; f2 = sin(f1)*f1; f3 = sin(f2)*f2", "--at", "x=1"), compare_numbers
    ),
    Report("compare-kink", ("compare", "abs(x) + y", "--at", "x=0,y=-2.5"), compare_numbers),
    Report("compare-order-2", ("compare", "x**3*sin(y)", "--at", "x=1,y=2", "--order", "2"), second_compare_numbers),
    Report(
        "compare-order-2-three",
        ("compare", "x*y*z + sin(x*y)", "--at", "x=1,y=2,z=-3", "--order", "2"),
        second_compare_numbers,
    ),
    Report("jacobian", ("jacobian", "[x0**2 + x1, x0*x1]", "--at", "x0=2,x1=3"), jacobian_numbers),
    Report(
        "jacobian-3x3", ("jacobian", "[x*y*z, sin(x) + z, exp(y)/z]", "--at", "x=0.3,y=-1.4,z=0.5"), jacobian_numbers
    ),
    Report("jacobian-wide", ("jacobian", f"[{MANY}, x0*x19 - x7]", "--at", MANY_AT), jacobian_numbers),
    Report("sweep", ("compare", "sin(x)", "--at", "x=1", "--sweep"), sweep_numbers),
    Report("sweep-large", ("compare", "1e6*sin(x)", "--at", "x=-1e5", "--sweep"), sweep_numbers),
]


def run(args: tuple[str, ...], width: int = 120) -> str:
    """What ``gradcli ARGS`` prints on a terminal ``width`` columns wide (run in this process)."""
    argv = cli.move_minus_program(list(args))
    env = {"COLUMNS": str(width), "LINES": "24", "NO_COLOR": "1", "FORCE_COLOR": None}
    done = CliRunner().invoke(cli.app_for(argv), argv, env=env, catch_exceptions=False)
    assert done.exit_code in (0, 1), done.output  # 1: compare found a FAIL
    return done.stdout


@cache
def data_of(args: tuple[str, ...]) -> dict:
    return json.loads(run((*args, "--json")))


@cache
def text_of(args: tuple[str, ...], width: int) -> str:
    return run(args, width)


def _source(args: tuple[str, ...]) -> str:
    """The command line, and the program file it names."""
    files = [Path(args[k + 1]).read_text(encoding="utf-8") for k, arg in enumerate(args) if arg == "-f"]
    return " ".join([*args, *files])


def _unbroken(number: str, text: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.e])", text) is not None


# ---------------------------------------------------------------- the checks


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_no_line_is_wider_than_the_terminal(report: Report, width: int):
    text = text_of(report.args, width)
    wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not wide, f"{len(wide)} lines wider than {width}:\n" + "\n".join(wide[:5])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_no_line_ends_in_spaces(report: Report, width: int):
    text = text_of(report.args, width)
    padded = [repr(line) for line in text.splitlines() if line != line.rstrip()]
    assert not padded, f"{len(padded)} lines end in spaces:\n" + "\n".join(padded[:5])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_every_number_is_whole(report: Report, width: int):
    text = text_of(report.args, width)
    broken = sorted({n for n in report.numbers(data_of(report.args)) if not _unbroken(n, text)})
    assert not broken, f"not found whole at width {width}: {broken}\n{text}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_headers_are_not_split_inside_a_word(report: Report, width: int):
    text = text_of(report.args, width)
    names = set(re.findall(r"[A-Za-z]+", _source(report.args)))
    pieces = {
        word
        for word in re.findall(r"[A-Za-z]+", text)
        if len(word) >= 4 and word not in names and any(h != word and h.startswith(word) for h in HEADER_WORDS)
    }
    assert not pieces, f"pieces of header words at width {width}: {sorted(pieces)}\n{text}"


def test_wide_table_is_kept_where_it_fits():
    """The README's trace table, unchanged at 120 columns; one block per node at 80."""
    args = ("eval", "a = x*3; b = a + 1; c = b**2", "--at", "x=2")
    wide = text_of(args, 120)
    assert (
        "┃ node ┃ operation ┃ value ┃ local derivative ┃ incoming gradient ┃ gradient ┃ sends (local × gradient) ┃"
        in wide
    )
    assert (
        "│ c    │ b**2      │    49 │ ∂c/∂b = 2*b = 14 │ 1 (seed)          │        1 │ 14 × 1 = 14 → b          │"
        in wide
    )
    narrow = text_of(args, 80)
    assert "┃" not in narrow and "c = b**2   value 49   gradient 1" in narrow


def test_an_unnamed_node_is_not_named_twice():
    """The node column is empty where the node's name is its expression (``x**2 | x**2``)."""
    args = ("eval", "y = (x**2 + 1)*3", "--at", "x=2")
    wide = text_of(args, 120)
    assert re.search(r"^│ +│ x\*\*2 +│", wide, re.MULTILINE), wide
    assert not re.search(r"^│ x\*\*2 +│ x\*\*2 +│", wide, re.MULTILINE), wide
    narrow = text_of(args, 60)
    assert re.search(r"^x\*\*2(   |$)", narrow, re.MULTILINE), narrow
    assert "x**2 = x**2" not in narrow
