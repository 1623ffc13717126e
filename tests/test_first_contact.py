"""What a newcomer meets in the first hour: labels that agree with the syntax, names that
shadow constants, kinks near the point, second derivatives in the tails, and the slips
people type from habit. Every case here once went wrong (issue 9).
"""

from __future__ import annotations

import math
import re
import resource

import pytest
from mpmath import mp
from support import assert_clean_error, cli, high_precision, strict_json  # noqa: F401 - the fixture applies by import

import gradcli
from gradcli.ad.second_order import hessian
from gradcli.check.compare import KINK, NEAR_KINK, compare, compare_second
from gradcli.check.numeric import FAIL, PASS, relative_error, verdict
from gradcli.explain.texts import node_texts
from gradcli.syntax.parser import parse

# ---------------------------------------------------------------- labels


def labels(program: str) -> list[str]:
    parsed = parse(program)
    return [node_texts(parsed).name(n) for n in parsed.nodes]


def test_a_negative_base_is_parenthesised_wherever_it_is_printed():
    assert "(-2)**x" in labels("(-2)**x + 1")
    ev = gradcli.evaluate("(-2)**x", {"x": 1.5})
    assert "(-2)**1.5 = nan" in ev.anomalies[0].message
    table = cli("eval", "(-2)**x", "--at", "x=1.5").stdout
    assert "(-2)**x" in table and "-2**x" not in table
    dot = cli("graph", "(-2)**x", "--at", "x=2").stdout
    assert "(-2)**x" in dot and "-2**x" not in dot
    assert gradcli.evaluate(labels("(-2)**x")[-1].replace("f", "(-2)**x"), {"x": 3}).value == -8


def test_no_internal_names_the_output_is_f_and_long_nodes_are_t1_t2():
    program = "sin(x)*cos(x)*exp(x)*sqrt(x) + log(x)*tanh(x)*sigmoid(x)*atan(x)"
    names = labels(program)
    assert not any("#" in name for name in names), names
    assert names[-1] == "f"
    shared = [name for name in names if re.fullmatch(r"t\d+", name)]
    assert shared == [f"t{k}" for k in range(1, len(shared) + 1)] and shared
    done = cli("eval", program, "--at", "x=0.5")
    assert done.returncode == 0 and "#" not in done.stdout and "d f / d input" in done.stdout


def test_t_names_and_f_avoid_the_programs_own_names():
    names = labels("t1 = x*2; f = t1 + 1; sin(f)*cos(f)*exp(f)*sqrt(f)*log(f)*tanh(f) + 1")
    assert names.count("t1") == 1 and names.count("f") == 1
    assert names[-1] == "f_2" and "t2" in names


def test_a_rebound_name_keeps_its_spelling_for_its_last_binding():
    names = labels("c = x*2\nc = c + 1\nc = c*c\nc")
    assert "c_1" in names and "c_2" in names and names[-1] == "c"
    assert not any("#" in name for name in names)
    done = cli("diff", "c = x*2\nc = sin(c) + c\nc = sin(c)*c\nc")
    assert done.returncode == 0 and "#" not in done.stdout
    assert gradcli.evaluate(done.stdout, {"x": 0.3}).value == pytest.approx(
        gradcli.evaluate("c = x*2\nc = sin(c) + c\nc = sin(c)*c\nc", {"x": 0.3}).gradient["x"]
    )


def test_e_and_pi_keep_their_names_and_minus_zero_prints_as_zero():
    assert "e**x" in labels("e**x + 1")
    assert "pi*x" in labels("pi*x + 1")
    done = cli("eval", "x*y", "--at", "x=-0.0,y=1")
    assert done.returncode == 0
    assert not re.search(r"(?<![\w.])-0(?![\w.])", done.stdout), done.stdout
    assert strict_json(cli("eval", "x*y", "--at", "x=-0.0,y=1", "--json").stdout)["value"] == 0.0


# ---------------------------------------------------------------- names that shadow constants


def test_e_may_be_bound_as_in_python():
    """Programs translated from micrograd's tests use e as a variable."""
    ev = gradcli.evaluate("a = 2; b = -3; c = 10; e = a*b; d = e + c; d", {})
    assert ev.value == 4 and ev.gradient == {"a": -3, "b": 2, "c": 1}
    assert gradcli.evaluate("e = c - d; e**2", {"c": 1, "d": 3}).gradient == {"c": -4, "d": 4}
    assert gradcli.evaluate("y = e*x; e = 2*x; e + y", {"x": 1}).value == pytest.approx(2 + math.e)


def test_the_trace_says_when_a_constant_is_shadowed():
    done = cli("eval", "e = c - d; e**2", "--at", "c=1,d=3")
    assert done.returncode == 0 and "e is bound in this program" in " ".join(done.stdout.split())
    assert "bound in this program" not in cli("eval", "e*x", "--at", "x=1").stdout


def test_a_shadowed_constant_is_printed_as_a_number_in_derivatives():
    done = cli("diff", "e = x*2; e*2.718281828459045*x")
    assert done.returncode == 0, done.stderr
    reread = gradcli.evaluate(done.stdout, {"x": 0.7}).value
    assert reread == pytest.approx(gradcli.evaluate("4*2.718281828459045*x", {"x": 0.7}).value)


def test_an_unbound_function_name_says_how_to_declare_an_input():
    assert_clean_error(cli("eval", "y0 + 1", "--at", "y0=1"), "y0 is a function", "y0 = 1")


# ---------------------------------------------------------------- kinks and the difference step


def test_a_step_that_straddles_a_kink_is_shortened():
    done = cli("compare", "abs(x)", "--at", "x=1e-7", "--json")
    assert done.returncode == 0, done.stdout
    (row,) = strict_json(done.stdout)["inputs"]
    assert row["verdict"] == PASS and row["step"] < 1e-7 and row["numerical"] == pytest.approx(1)


def test_the_report_says_why_a_step_was_shortened():
    text = " ".join(cli("compare", "abs(x)", "--at", "x=1e-7").stdout.split())
    assert "the step was shortened from 6.1e-06 to 9.5e-08" in text and "kink of f" in text


def test_a_kink_too_close_for_any_step_is_near_kink_not_fail():
    comparison = compare(parse("relu(x) + 1e6"), {"x": 1e-12})
    (row,) = comparison.rows
    assert row.verdict == NEAR_KINK and not comparison.failed
    assert cli("compare", "relu(x) + 1e6", "--at", "x=1e-12").returncode == 0


def test_kinks_behind_stop_gradient_are_no_kinks_of_the_gradient():
    (row,) = compare(parse("relu(stop_gradient(x)) + x"), {"x": 0}).rows
    assert row.verdict == PASS and row.kink is None
    (row,) = compare(parse("relu(x) + x"), {"x": 0}).rows
    assert row.verdict == KINK


def test_a_nan_error_never_passes():
    assert math.isnan(relative_error(math.nan, math.nan)) and verdict(math.nan) == FAIL
    assert relative_error(math.inf, math.inf) == 0
    (row,) = compare(parse("sqrt(x)"), {"x": -1}).rows
    assert row.verdict != PASS


def test_compare_accepts_a_program_with_an_unused_default():
    done = cli("compare", "w = 2; x**2", "--at", "x=1", "--json")
    assert done.returncode == 0, done.stderr
    assert strict_json(done.stdout)["inputs"][1]["reverse"] == 2


# ---------------------------------------------------------------- second derivatives in the tails


def mp_second(formula, x):
    with mp.workdps(60):
        return mp.diff(formula, mp.mpf(x), 2)


@pytest.mark.parametrize(
    "program, formula",
    [
        ("tanh(x)", mp.tanh),
        (
            "0.5*x*(1 + tanh(0.7978845608*(x + 0.044715*x**3)))",
            lambda t: t / 2 * (1 + mp.tanh(mp.mpf("0.7978845608") * (t + mp.mpf("0.044715") * t**3))),
        ),
        ("x*sigmoid(1.702*x)", lambda t: t / (1 + mp.exp(-mp.mpf("1.702") * t))),
        ("x*tanh(softplus(x))", lambda t: t * mp.tanh(mp.log(1 + mp.exp(t)))),
        ("-softplus(-x)", lambda t: -mp.log(1 + mp.exp(-t))),
    ],
    ids=["tanh", "gelu_tanh", "gelu_sigmoid", "mish", "log_sigmoid"],
)
@pytest.mark.parametrize("x", [-1000.0, -300.0, -40.0, 0.3, 40.0, 300.0, 1000.0])
def test_second_derivatives_stay_finite_in_the_tails(program, formula, x):
    got = hessian(parse(program), {"x": x}).matrix["x"]["x"]
    want = mp_second(formula, x)
    assert math.isfinite(got), (program, x, got)
    assert abs(got - want) <= 1e-9 * max(1, abs(want)), (program, x, got, want)


# ---------------------------------------------------------------- slips people type from habit


@pytest.mark.parametrize(
    "program, fragment",
    [
        ("d/dx x**2", 'gradcli diff "x**2"'),
        ("d/dx (x**2 + 1)", 'gradcli diff "x**2 + 1"'),
        ("import math", "nothing to import"),
        ("def f(x): return x**2", "no function definitions"),
        ("lambda x: x", "no function definitions"),
        ("math.tanh(x)", "tanh(...), not math.tanh(...)"),
        ("x**2 if x > 0 else 0", "no if/else"),
        ("f(x) = x**2", "write f = x**2"),
        ("x²", "x**2, not x²"),
        ("for i in x", "not Python"),
    ],
)
def test_habits_get_hints_that_point_the_right_way(program, fragment):
    stderr = assert_clean_error(cli("eval", program, "--at", "x=1"), "hint:", fragment)
    assert "missing operator" not in stderr


@pytest.mark.parametrize(
    "program, value", [("3×x", 6), ("x·x", 4), ("x − 1", 1), ("π*x", 2 * math.pi), ("x ÷ 4", 0.5), ("−x", -2)]
)
def test_typographic_signs_read_as_their_ascii_operators(program, value):
    done = cli("eval", program, "--at", "x=2", "--json")
    assert done.returncode == 0, done.stderr
    assert strict_json(done.stdout)["value"] == pytest.approx(value)


def test_an_array_output_gets_its_jacobian():
    done = cli("eval", "x**2", "--at", "x=[1,2,3]", "--json")
    assert done.returncode == 0, done.stderr
    report = strict_json(done.stdout)
    assert report["jacobian"] == [[2, 0, 0], [0, 4, 0], [0, 0, 6]]  # d(x_i**2)/dx_j = 2 x_i delta_ij
    assert report["outputs"] == ["f[0]", "f[1]", "f[2]"]


def test_gradcli_without_a_command_exits_2():
    assert_clean_error(cli(), "no command", "eval")


@pytest.mark.parametrize("which", ["²", "1.5", "[", "", "--", "99999999999999999999", "-3", "٣"])
def test_odd_values_of_of_are_clean_errors(which):
    done = cli("eval", "[x, x*y]", "--at", "x=1,y=2", "--of", which)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


# ---------------------------------------------------------------- what is echoed back


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x\x1b[31m + 1", "--at", "x=1"],
        ["eval", "x + 1", "--at", "x=1\x1b]0;owned\x07"],
        ["eval", "\x9b31m x"],
        ["eval", "-f", "-", "--at", "x=1"],
        ["diff", "x", "--wrt", "\x1b[2J"],
    ],
)
def test_control_characters_are_echoed_escaped(args):
    done = cli(*args, stdin="frobnicate\x00(x)")
    assert done.returncode == 2
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", done.stderr), repr(done.stderr)
    assert "\\x1b" in done.stderr or "\\x9b" in done.stderr or "\\x00" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x" * 20_000 + " +", "--at", "x=1"],
        ["eval", "frobnicate" * 2000 + "(x)"],
        ["eval", "x", "--at", "x=" + "1" * 20_000 + "q"],
        ["eval", "[x, y]", "--at", "x=1,y=2", "--of", "z" * 20_000],
        ["eval", "\n".join(["x +"] * 5000)],
    ],
)
def test_error_messages_stay_small_whatever_the_input(args):
    done = cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr) < 3000 and len(done.stderr.splitlines()) <= 12, len(done.stderr)


def test_sweep_json_is_strict_at_infinity():
    done = cli("compare", "x**2", "--at", "x=inf", "--sweep", "--json")
    assert done.returncode == 0, done.stderr
    strict_json(done.stdout)


def test_sweep_without_inputs_is_an_error_not_an_empty_success():
    assert_clean_error(cli("compare", "2", "--sweep"), "no inputs")


def test_sweep_follows_of_and_refuses_what_it_would_ignore():
    report = strict_json(cli("compare", "[x*y, x + y]", "--at", "x=1,y=2", "--sweep", "--of", "0", "--json").stdout)
    assert [item["exact"] for item in report["inputs"]] == [2, 1]  # d(x*y)/dx = y, d(x*y)/dy = x
    assert_clean_error(cli("compare", "x", "--at", "x=1", "--sweep", "--order", "2"), "--order")
    assert_clean_error(cli("compare", "x", "--at", "x=1", "--sweep", "--h", "0.1"), "--h")


# ---------------------------------------------------------------- work that grows faster than the input


def sum_of_products(n: int) -> str:
    return " + ".join(f"x{k}*x{(k + 1) % n}" for k in range(n))


def every_input(n: int) -> str:
    return ",".join(f"x{k}=1" for k in range(n))


def test_too_many_second_derivatives_are_refused_before_any_work():
    stderr = assert_clean_error(cli("diff", sum_of_products(400), "--order", "2"), "80,200 second derivatives", "--wrt")
    assert "GRADCLI_TIME_LIMIT" in stderr
    done = cli("diff", sum_of_products(400), "--order", "2", "--wrt", "x1", "--wrt", "x2")
    assert done.returncode == 0 and "# d2f/dx1dx2\n1" in done.stdout
    args = ("compare", sum_of_products(400), "--at", every_input(400), "--order", "2")
    assert_clean_error(cli(*args), "second derivatives", "--wrt")
    assert cli(*args, "--wrt", "x5", "--json").returncode == 0


def test_a_sweep_of_every_input_of_a_big_program_is_refused_and_wrt_picks_some():
    args = ("compare", sum_of_products(493), "--at", every_input(493), "--sweep")
    assert_clean_error(cli(*args), "node evaluations", "--wrt")
    report = strict_json(cli(*args, "--wrt", "x3", "--json").stdout)
    assert [item["name"] for item in report["inputs"]] == ["x3"] and report["inputs"][0]["exact"] == 2


def test_compare_wrt_compares_only_those_inputs():
    report = strict_json(cli("compare", "x*y + z", "--at", "x=2,y=3,z=1", "--wrt", "y", "--json").stdout)
    assert [row["name"] for row in report["inputs"]] == ["y"] and report["inputs"][0]["reverse"] == 2
    assert_clean_error(cli("compare", "x*y", "--at", "x=2,y=3", "--wrt", "q"), "no input q")


def at_most_300_megabytes() -> None:
    limit = 300 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("function", ["sigmoid", "tanh", "softplus", "log"])
def test_deep_derivatives_print_in_little_memory(function):
    """The LaTeX of a 430-deep chain once held every partial text: a gigabyte for a 4 kB input.
    The address space is capped from outside, so this holds whatever gradcli's own limits say."""
    program = f"{function}(" * 430 + "x" + ")" * 430
    done = cli("diff", program, "--latex", columns=None, binary=True, preexec_fn=at_most_300_megabytes, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert len(done.stdout) > 100_000


def test_the_second_derivative_of_a_deep_chain_stays_linear():
    """Numbers that would not fold used to be pulled through every level of a deep product."""
    from gradcli.ad.symbolic import second_derivative

    sizes = []
    for depth in (100, 200, 400):
        program = parse("tanh(" * depth + "x" + ")" * depth)
        sizes.append(len(second_derivative(program).program.graph))
    assert sizes[2] - sizes[1] <= 2.2 * (sizes[1] - sizes[0]), sizes
    assert cli("diff", "tanh(" * 800 + "x" + ")" * 800, "--order", "2").returncode == 0


def test_the_time_limit_stops_a_run_and_names_itself():
    program = "v = x\n" + "v = sin(v) + x\n" * 200_000 + "v"
    stderr = assert_clean_error(cli("eval", "-f", "-", stdin=program, env={"GRADCLI_TIME_LIMIT": "0.3"}))
    assert "stopped after 0.3 s" in stderr and "GRADCLI_TIME_LIMIT" in stderr


def test_the_memory_limit_stops_a_run_and_names_itself():
    program = "v = x\n" + "v = sin(v) + x\n" * 20_000 + "v"
    done = cli("eval", "-f", "-", "--at", "x=1", "--json", "--trace", stdin=program, env={"GRADCLI_MEMORY_LIMIT": "80"})
    stderr = assert_clean_error(done, "80 MB", "GRADCLI_MEMORY_LIMIT")
    assert "Traceback" not in stderr


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_limit_setting_is_an_input_error(value):
    assert_clean_error(cli("eval", "x", "--at", "x=1", env={"GRADCLI_TIME_LIMIT": value}), "GRADCLI_TIME_LIMIT")


def test_a_terminal_that_cannot_show_the_symbols_gets_escapes_not_a_traceback():
    done = cli("eval", "x**2", "--at", "x=1", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and "\\u2202f/\\u2202x" in done.stdout and "Traceback" not in done.stderr


# ---------------------------------------------------------------- found in review


@pytest.mark.parametrize("program, at", [("log(x)", "x=-1"), ("x*2", "x=inf"), ("sqrt(x)", "x=0")])
def test_a_nan_in_any_column_fails(program, at):
    """max() skipped a nan that was not the first error: only the numerical one was nan here."""
    done = cli("compare", program, "--at", at, "--json")
    (row,) = strict_json(done.stdout)["inputs"]
    assert row["verdict"] == FAIL and done.returncode == 1, row


def test_a_constant_used_before_it_is_shadowed_is_printed_as_its_value():
    table = cli("eval", "y = x**pi; pi = 2; y*pi", "--at", "x=2").stdout
    assert "x**3.141592653589793" in table and "x**pi" not in table
    assert "∂y/∂x = 3.141592653589793*x**2.141592653589793" in table
    dot = cli("graph", "y = x**pi; pi = 2; y*pi", "--at", "x=2").stdout
    assert 'label="y = x**3.141592653589793\\n' in dot and 'label="y = x**pi\\n' not in dot
    latex = cli("diff", "y = e**x; e = 3; y*e", "--latex").stdout
    assert "2.718281828459045^{x}" in latex and "e^{x}" not in latex


def test_second_derivatives_near_a_kink_take_a_step_clear_of_it():
    (row,) = compare_second(parse("abs(x)*x"), {"x": 1e-7}).rows
    assert row.verdict == PASS and row.step < 1e-7 and row.numerical == pytest.approx(2 * 1e-7 / abs(1e-7))
    comparison = compare_second(parse("abs(x)*x + 1e6"), {"x": 1e-12})
    assert comparison.rows[0].verdict == NEAR_KINK and not comparison.failed
    assert cli("compare", "abs(x)*x", "--at", "x=1e-7", "--order", "2").returncode == 0


def test_kink_notes_name_the_input_and_the_users_step():
    text = " ".join(cli("compare", "max(x, y)", "--at", "x=1,y=1.0000001").stdout.split())
    assert "[y - h, y + h]" in text and "[x - h, x + h]" in text
    text = " ".join(cli("compare", "abs(x)", "--at", "x=1", "--h", "2").stdout.split())
    assert "the step --h 2 puts the kink of f inside [x - h, x + h]" in text


@pytest.mark.parametrize(
    "program, output",
    [
        ("c = x*2; c = x*2; c", "c"),
        ("c = x*2; d = c; c = d + 1; d", "d"),
        ("a = x*2; b = x*2; b", "b"),
        ("u = x*2; y = u", "y"),
    ],
)
def test_the_output_is_called_by_the_name_it_is_written_as(program, output):
    parsed = parse(program)
    assert node_texts(parsed).name(parsed.output) == output


def test_limits_the_user_set_are_named_as_theirs():
    stderr = assert_clean_error(cli("eval", "x", "--at", "x=1", env={"GRADCLI_TIME_LIMIT": "0.000001"}))
    assert "the time limit GRADCLI_TIME_LIMIT=0.000001 sets" in stderr
    assert_clean_error(cli("eval", "x", "--at", "x=1", env={"GRADCLI_MEMORY_LIMIT": "20"}), "at least 64")


def test_wrt_takes_a_list():
    report = strict_json(cli("compare", "x*y + z", "--at", "x=1,y=2,z=3", "--wrt", "x,z", "--json").stdout)
    assert [row["name"] for row in report["inputs"]] == ["x", "z"]
    assert cli("diff", "x*y + z", "--wrt", "y,z").stdout == "# df/dy\nx\n\n# df/dz\n1\n"


def test_a_comparison_of_thousands_of_entries_shows_the_worst_forty():
    """25,200 Hessian entries drawn as rich tables took 17-27 s; the terminal shows the 40 that matter."""
    n = 224
    args = ("compare", sum_of_products(n), "--at", every_input(n), "--order", "2")
    text = " ".join(cli(*args).stdout.split())
    assert "25,200 entries (25,200 PASS); the 40 with the worst verdicts" in text
    assert len(strict_json(cli(*args, "--json").stdout)["entries"]) == 25_200
    at = "x0=0," + every_input(60)[len("x0=1,") :]
    report = strict_json(cli("compare", "relu(x0) + " + sum_of_products(60), "--at", at, "--json").stdout)
    table = cli("compare", "relu(x0) + " + sum_of_products(60), "--at", at).stdout
    assert "60 entries (1 KINK, 59 PASS)" in " ".join(table.split()) and report["inputs"][0]["verdict"] == "KINK"
    assert any(line.startswith("│ x0 ") and "KINK" in line for line in table.splitlines())  # among the 40 shown


def test_a_sweep_of_many_inputs_shows_eight_in_the_terminal():
    args = ("compare", sum_of_products(200), "--at", every_input(200), "--sweep")
    text = " ".join(cli(*args).stdout.split())
    assert "200 inputs: the sweeps of the first 8 are shown" in text and "d/dx8 " not in text
    assert len(strict_json(cli(*args, "--json").stdout)["inputs"]) == 200
