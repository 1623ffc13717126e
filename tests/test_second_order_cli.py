"""Second derivatives, Jacobians and their options through the real command line.

The numbers are checked against SymPy or exact hand-worked values; the errors against the
rules every command keeps: one ``error:`` line, exit code 2, nothing on stdout.
"""

from __future__ import annotations

import sympy as sp
from support import assert_clean_error, cli, json_report

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


# ---------------------------------------------------------------- jacobian


def test_worked_example_22_in_every_mode():
    for mode in ("auto", "forward", "reverse"):
        data = json_report("jacobian", "[x0**2 + x1, x0*x1]", "--at", "x0=2,x1=3", "--mode", mode)
        assert data["inputs"] == ["x0", "x1"]
        assert data["outputs"] == [0, 1]
        assert data["jacobian"] == [[4, 1], [3, 2]]
        assert data["values"] == [7, 6]
        assert data["passes"] == {"forward": 2, "reverse": 2}
        assert set(data["seconds"]) == {"forward", "reverse"}
        assert data["mode"] == ("reverse" if mode == "auto" else mode)


def test_auto_says_why_and_picks_the_mode_with_fewer_passes():
    many_in = json_report("jacobian", "a*b*c + d", "--at", "a=1,b=2,c=3,d=4")
    assert many_in["mode"] == "reverse" and "1 output < 4 inputs" in many_in["reason"]
    many_out = json_report("jacobian", "[sin(x), cos(x), x**2]", "--at", "x=0.5")
    assert many_out["mode"] == "forward" and "1 input < 3 outputs" in many_out["reason"]
    assert many_out["passes"] == {"forward": 1, "reverse": 3}


def test_output_names_come_from_bindings():
    data = json_report("jacobian", "s = x**2; loss1 = s*3; loss2 = s + 5; [loss1, loss2]", "--at", "x=2")
    assert data["outputs"] == ["loss1", "loss2"]
    assert data["jacobian"] == [[12], [4]]


def test_jacobian_against_sympy():
    x, y, z = sp.symbols("x y z", real=True)
    exprs = [sp.sin(x * y) + z**2, sp.exp(x - z) * y, sp.log(1 + x**2) / (1 + y**2)]
    program = "[sin(x*y) + z**2, exp(x - z)*y, log(1 + x**2)/(1 + y**2)]"
    point = {x: sp.Rational(3, 10), y: sp.Rational(-7, 5), z: sp.Rational(1, 2)}
    truth = sp.Matrix(exprs).jacobian([x, y, z]).subs(point)
    for mode in ("forward", "reverse"):
        data = json_report("jacobian", program, "--at", "x=0.3,y=-1.4,z=0.5", "--mode", mode)
        for i in range(3):
            for j in range(3):
                want = float(sp.N(truth[i, j], 30))
                assert abs(data["jacobian"][i][j] - want) <= 1e-14 * max(1.0, abs(want))


def test_table_shows_both_modes_side_by_side():
    done = cli("jacobian", "[x0**2 + x1, x0*x1]", "--at", "x0=2,x1=3")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "cost of each mode" in out and "← used" in out
    forward = next(line for line in out.splitlines() if line.strip().startswith("forward "))
    reverse = next(line for line in out.splitlines() if line.strip().startswith("reverse "))
    assert "input (n = 2)" in forward and "output (m = 2)" in reverse
    assert "µs" in forward + reverse or "ms" in forward + reverse


def test_skip_other_runs_one_mode():
    data = json_report("jacobian", "[x*y, x + y, x - y]", "--at", "x=1,y=2", "--skip-other")
    assert data["mode"] == "forward"  # 2 inputs < 3 outputs
    assert list(data["seconds"]) == [data["mode"]]
    assert data["disagreement"] is None


def test_a_single_output_program_has_a_one_row_jacobian():
    data = json_report("jacobian", "x*y + x**2", "--at", "x=2,y=3")
    assert data["jacobian"] == [[7, 2]] and data["outputs"] == [0]


def test_eval_of_several_outputs_reports_the_jacobian_and_one_hessian_each():
    data = json_report("eval", "[x0**2 + x1, x0*x1]", "--at", "x0=2,x1=3", "--order", "2")
    assert data["jacobian"] == [[4, 1], [3, 2]]
    assert data["hessian"] == [
        {"x0": {"x0": 2, "x1": 0}, "x1": {"x0": 0, "x1": 0}},
        {"x0": {"x0": 0, "x1": 1}, "x1": {"x0": 1, "x1": 0}},
    ]


def test_of_selects_one_output_for_eval_and_diff():
    data = json_report("eval", "s = x**2; loss1 = s*3; loss2 = s + 5; [loss1, loss2]", "--at", "x=2", "--of", "loss2")
    assert data["value"] == 9 and data["gradient"] == {"x": 4}
    by_position = json_report("eval", "[x0**2 + x1, x0*x1]", "--at", "x0=2,x1=3", "--of", "1")
    assert by_position["gradient"] == {"x0": 3, "x1": 2}
    done = cli("diff", "[x0**2 + x1, x0*x1]", "--of", "0", "--wrt", "x0")
    assert done.stdout == "2*x0\n"


# ---------------------------------------------------------------- Hessians and H v


def test_rosenbrock_hessian_and_hvp_at_its_minimum():
    data = json_report("eval", ROSENBROCK, "--at", "x=1,y=1", "--order", "2", "--hvp", "x=1,y=0")
    assert data["hessian"] == {"x": {"x": 802, "y": -400}, "y": {"x": -400, "y": 200}}
    assert data["hvp"] == {"direction": {"x": 1, "y": 0}, "product": {"x": 802, "y": -400}, "passes": 1}


def test_worked_example_15_second_derivative():
    data = json_report("eval", "x**3", "--at", "x=2", "--order", "2")
    assert data["gradient"] == {"x": 12} and data["hessian"] == {"x": {"x": 12}}
    assert cli("diff", "x**3", "--order", "2").stdout == "6*x\n"


def test_hessian_in_forward_mode_report_too():
    data = json_report("eval", ROSENBROCK, "--at", "x=0.5,y=2", "--order", "2", "--mode", "forward")
    x, y = sp.symbols("x y")
    truth = sp.hessian((1 - x) ** 2 + 100 * (y - x**2) ** 2, [x, y]).subs({x: sp.Rational(1, 2), y: 2})
    assert data["hessian"]["x"]["x"] == float(truth[0, 0]) and data["hessian"]["x"]["y"] == float(truth[0, 1])


def test_stop_gradient_blocks_second_derivatives_on_the_command_line():
    data = json_report("eval", "y = x**2; z = stop_gradient(y)*x", "--at", "x=2", "--order", "2", "--hvp", "x=1")
    assert data["gradient"] == {"x": 4} and data["hessian"] == {"x": {"x": 0}}
    assert data["hvp"]["product"] == {"x": 0}
    assert cli("diff", "y = x**2; z = stop_gradient(y)*x", "--order", "2").stdout == "0\n"


def test_table_report_names_the_passes():
    done = cli("eval", ROSENBROCK, "--at", "x=1,y=1", "--order", "2", "--hvp", "x=1,y=0", "--max-rows", "2")
    assert done.returncode == 0, done.stderr
    assert "Hessian (forward-over-reverse: 2 tangent passes over the gradient)" in done.stdout
    assert "1 pass, the Hessian is not formed" in done.stdout


def test_diff_order_2_headings_and_json():
    done = cli("diff", ROSENBROCK, "--order", "2")
    assert done.stdout.split("\n\n")[1].startswith("# d2f/dxdy\n-400*x")
    data = json_report("diff", "x*y**3", "--order", "2")
    assert data["order"] == 2
    assert data["hessian"]["x"]["y"] == data["hessian"]["y"]["x"]
    x, y = sp.symbols("x y")
    for a, b in (("x", "x"), ("x", "y"), ("y", "y")):
        text = data["hessian"][a][b]
        assert sp.simplify(sp.sympify(text) - sp.diff(x * y**3, sp.Symbol(a), sp.Symbol(b))) == 0


def test_compare_order_2_passes_and_flags_kinks():
    data = json_report("compare", ROSENBROCK, "--at", "x=0.7,y=-0.3", "--order", "2")
    assert not data["failed"] and {e["verdict"] for e in data["entries"]} == {"PASS"}
    assert [(e["first"], e["second"]) for e in data["entries"]] == [("x", "x"), ("x", "y"), ("y", "y")]
    kink = cli("compare", "relu(x)**2*y", "--at", "x=0,y=1", "--order", "2")
    assert kink.returncode == 0 and "KINK" in kink.stdout


# ---------------------------------------------------------------- bad input


def test_bad_second_order_options():
    assert_clean_error(cli("eval", "x**2", "--at", "x=1", "--order", "3"), "--order 3")
    assert_clean_error(cli("eval", "x*y", "--at", "x=1,y=2", "--hvp", "x=1"), "--hvp: no direction for y")
    assert_clean_error(cli("eval", "x*y", "--at", "x=1,y=2", "--hvp", "x=1,z=0"), "no input z")
    assert_clean_error(cli("eval", "x*y", "--at", "x=1,y=2", "--hvp", "x=one"), "--hvp")
    assert_clean_error(cli("compare", "x**2", "--at", "x=1", "--order", "2", "--expect", "x=2*x"), "--expect")
    assert_clean_error(cli("jacobian", "[x, y]", "--at", "x=1,y=2", "--mode", "sideways"), "--mode sideways")
    assert_clean_error(cli("eval", "[x, x*y]", "--at", "x=1,y=2", "--mode", "bogus"), "--mode bogus")


def test_several_outputs_where_one_is_needed():
    message = assert_clean_error(cli("compare", "[x, x*y]", "--at", "x=1,y=2"), "2 outputs", "--of")
    assert "x, [1]" in message
    assert_clean_error(cli("eval", "[x, x*y]", "--at", "x=1,y=2", "--of", "7"), "--of 7")
    assert_clean_error(cli("eval", "[x, x*y]", "--at", "x=1,y=2", "--of", "z"), "--of z")


def test_list_syntax_errors_have_a_caret():
    done = cli("eval", "y = [a, b]", "--at", "a=1,b=2")
    assert done.returncode == 0 and "y[1]" in done.stdout, done.stderr
    assert_clean_error(cli("eval", "[a, b]; a + b", "--at", "a=1,b=2"), "last statement")
    assert_clean_error(cli("eval", "[]"), "at least one expression")


def test_html_needs_one_output(tmp_path):
    target = tmp_path / "steps.html"
    assert_clean_error(cli("graph", "[x, x*y]", "--at", "x=1,y=2", "--html", str(target)), "--of")
    assert not target.exists()
    done = cli("graph", "[x, x*y]", "--at", "x=1,y=2", "--of", "1", "--html", str(target))
    assert done.returncode == 0 and target.exists()
