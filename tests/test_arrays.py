"""Arrays: every array op's gradient against NumPy written out by hand and central differences.

Each case computes ``L = sum(op(args) * C)`` for a random cotangent ``C`` of the output's shape,
so that dL/d arg is the op's vector-Jacobian product applied to ``C``. Two oracles, neither of
them gradcli: (a) that product written out by hand in NumPy, case by case; (b) central
differences of the NumPy forward, element by element. Shapes are drawn at random, with size-1
axes (broadcasting) and empty axes where the op allows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from support import EXAMPLES, assert_clean_error, cli, close, json_report, strict_json

import gradcli
from gradcli.ad.jacobian import jacobian
from gradcli.core.errors import GradcliError, ShapeProblem
from gradcli.core.ops import OPS
from gradcli.core.values import forward_values
from gradcli.syntax.infix import to_infix


class Case(NamedTuple):
    """``text`` in the names a, b, c; the NumPy forward; the hand-written gradient of sum(out*C) per argument."""

    text: str
    shapes: tuple[tuple[int, ...], ...]
    forward: Callable
    vjp: Callable  # vjp(C, *args) -> one gradient per argument
    positive: bool = False  # arguments drawn from (0.5, 2) (log, sqrt, prod)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _spread(C, x, axis):
    """C, the cotangent of a reduction over ``axis``, spread to x's shape (by hand: expand_dims)."""
    return np.broadcast_to(np.expand_dims(C, axis) if axis is not None else C, x.shape)


def _extreme_vjp(C, a, axis, pick):
    winner = pick(a, axis=axis, keepdims=True)
    mask = (a == winner).astype(float)
    return (mask / mask.sum(axis=axis, keepdims=True) * _spread(C, a, axis),)


CASES = {
    "sum": Case("sum(a)", ((3, 4),), lambda a: a.sum(), lambda C, a: (np.full(a.shape, C),)),
    "sum_axis0": Case("sum(a, axis=0)", ((3, 4),), lambda a: a.sum(0), lambda C, a: (_spread(C, a, 0),)),
    "sum_axis_last": Case("sum(a, axis=-1)", ((2, 1, 3),), lambda a: a.sum(-1), lambda C, a: (_spread(C, a, -1),)),
    "sum_empty": Case("sum(a)", ((0,),), lambda a: a.sum(), lambda C, a: (np.zeros(0),)),
    "sum_empty_axis": Case("sum(a, axis=1)", ((2, 0),), lambda a: a.sum(1), lambda C, a: (np.zeros((2, 0)),)),
    "mean": Case("mean(a)", ((5,),), lambda a: a.mean(), lambda C, a: (np.full(a.shape, C / a.size),)),
    "mean_axis1": Case("mean(a, axis=1)", ((2, 3),), lambda a: a.mean(1), lambda C, a: (_spread(C, a, 1) / 3,)),
    "max": Case("max(a)", ((6,),), lambda a: a.max(), lambda C, a: _extreme_vjp(C, a, None, np.max)),
    "max_axis0": Case("max(a, axis=0)", ((3, 2),), lambda a: a.max(0), lambda C, a: _extreme_vjp(C, a, 0, np.max)),
    "min": Case("min(a, axis=1)", ((2, 4),), lambda a: a.min(1), lambda C, a: _extreme_vjp(C, a, 1, np.min)),
    "prod": Case("prod(a)", ((4,),), lambda a: a.prod(), lambda C, a: (C * a.prod() / a,), positive=True),
    "prod_axis": Case(
        "prod(a, axis=0)", ((3, 2),), lambda a: a.prod(0), lambda C, a: (C * a.prod(0) / a,), positive=True
    ),
    "matmul_mm": Case("a @ b", ((2, 3), (3, 4)), lambda a, b: a @ b, lambda C, a, b: (C @ b.T, a.T @ C)),
    "matmul_mv": Case("a @ b", ((2, 3), (3,)), lambda a, b: a @ b, lambda C, a, b: (np.outer(C, b), a.T @ C)),
    "matmul_vm": Case("a @ b", ((3,), (3, 2)), lambda a, b: a @ b, lambda C, a, b: (b @ C, np.outer(a, C))),
    "matmul_vv": Case("a @ b", ((4,), (4,)), lambda a, b: a @ b, lambda C, a, b: (C * b, C * a)),
    "matmul_1x1": Case("a @ b", ((1, 1), (1, 3)), lambda a, b: a @ b, lambda C, a, b: (C @ b.T, a.T @ C)),
    "dot": Case("dot(a, b)", ((3,), (3,)), lambda a, b: a @ b, lambda C, a, b: (C * b, C * a)),
    "outer": Case("outer(a, b)", ((2,), (3,)), np.outer, lambda C, a, b: (C @ b, C.T @ a)),
    "transpose": Case("transpose(a)", ((2, 3),), lambda a: a.T, lambda C, a: (C.T,)),
    "dot_T": Case("a.T", ((3, 1),), lambda a: a.T, lambda C, a: (C.T,)),
    "reshape": Case("reshape(a, [3, 2])", ((2, 3),), lambda a: a.reshape(3, 2), lambda C, a: (C.reshape(2, 3),)),
    "index": Case("a[1]", ((4,),), lambda a: a[1], lambda C, a: (np.eye(4)[1] * C,)),
    "index_negative": Case("a[-1, 0]", ((2, 3),), lambda a: a[-1, 0], lambda C, a: (_put(a.shape, (-1, 0), C),)),
    "slice": Case("a[1:3]", ((5,),), lambda a: a[1:3], lambda C, a: (_put(a.shape, slice(1, 3), C),)),
    "slice_step": Case("a[::-2]", ((5,),), lambda a: a[::-2], lambda C, a: (_put(a.shape, slice(None, None, -2), C),)),
    "column": Case("a[:, 0]", ((3, 2),), lambda a: a[:, 0], lambda C, a: (_put(a.shape, (slice(None), 0), C),)),
    "stack": Case("[a, b]", ((3,), (3,)), lambda a, b: np.stack([a, b]), lambda C, a, b: (C[0], C[1])),
    "stack_axis1": Case(
        "stack(a, b, axis=1)", ((2,), (2,)), lambda a, b: np.stack([a, b], 1), lambda C, a, b: (C[:, 0], C[:, 1])
    ),
    "concat": Case("concat(a, b)", ((2,), (3,)), lambda a, b: np.concatenate([a, b]), lambda C, a, b: (C[:2], C[2:])),
    "concat_axis1": Case(
        "concat([a, b], axis=1)",
        ((2, 1), (2, 2)),
        lambda a, b: np.concatenate([a, b], 1),
        lambda C, a, b: (C[:, :1], C[:, 1:]),
    ),
    "softmax": Case("softmax(a)", ((4,),), _softmax, lambda C, a: (_softmax(a) * (C - (C * _softmax(a)).sum()),)),
    "softmax_rows": Case(
        "softmax(a, axis=-1)",
        ((2, 3),),
        _softmax,
        lambda C, a: (_softmax(a) * (C - (C * _softmax(a)).sum(-1, keepdims=True)),),
    ),
    "logsumexp": Case(
        "logsumexp(a)", ((4,),), lambda a: np.log(np.exp(a).sum()), lambda C, a: (C * _softmax(a, None),)
    ),
    "log_softmax": Case(
        "log_softmax(a)",
        ((3,),),
        lambda a: a - np.log(np.exp(a).sum()),
        lambda C, a: (C - _softmax(a) * C.sum(),),
    ),
    "mse": Case("mse(a, b)", ((4,), (4,)), lambda a, b: ((a - b) ** 2).mean(), lambda C, a, b: _mse_vjp(C, a, b)),
    "broadcast_add": Case(
        "a + b", ((3, 1), (4,)), lambda a, b: a + b, lambda C, a, b: (C.sum(1, keepdims=True), C.sum(0))
    ),
    "broadcast_mul_scalar": Case("a * b", ((2, 3), ()), lambda a, b: a * b, lambda C, a, b: (C * b, (C * a).sum())),
    "broadcast_div": Case(
        "a / b", ((2, 3), (1, 3)), lambda a, b: a / b, lambda C, a, b: (C / b, (-C * a / b**2).sum(0, keepdims=True))
    ),
    "broadcast_max": Case(
        "max(a, b)",
        ((3,), (2, 1)),
        np.maximum,
        lambda C, a, b: ((C * (a > b)).sum(0), (C * (b > a)).sum(1, keepdims=True)),
    ),
    "elementwise_chain": Case(
        "tanh(a) * sigmoid(b)",
        ((2, 2), (2, 2)),
        lambda a, b: np.tanh(a) / (1 + np.exp(-b)),
        lambda C, a, b: (
            C * (1 - np.tanh(a) ** 2) / (1 + np.exp(-b)),
            C * np.tanh(a) * np.exp(-b) / (1 + np.exp(-b)) ** 2,
        ),
    ),
    "broadcast_to": Case(
        "broadcast_to(a, b)",
        ((3,), (2, 3)),
        lambda a, b: np.broadcast_to(a, b.shape),
        lambda C, a, b: (C.sum(0), 0 * b),
    ),
    "sum_to": Case(
        "sum_to(a, b)", ((2, 3), (3,)), lambda a, b: a.sum(0), lambda C, a, b: (np.broadcast_to(C, a.shape), 0 * b)
    ),
    "broadcast_like": Case(
        "broadcast_like(a, b, axis=1)",
        ((2,), (2, 3)),
        lambda a, b: np.broadcast_to(a[:, None], b.shape),
        lambda C, a, b: (C.sum(1), 0 * b),
    ),
    "count": Case("count(a, axis=1) * a", ((2, 3),), lambda a: 3 * a, lambda C, a: (3 * C,)),
    "reshape_like": Case(
        "reshape_like(a, b)", ((2, 3), (3, 2)), lambda a, b: a.reshape(3, 2), lambda C, a, b: (C.reshape(2, 3), 0 * b)
    ),
    "scatter": Case("scatter(a, b, [1])", ((), (3,)), lambda a, b: np.eye(3)[1] * a, lambda C, a, b: (C[1], 0 * b)),
    "log_sqrt": Case(
        "log(a) + sqrt(a)",
        ((3,),),
        lambda a: np.log(a) + np.sqrt(a),
        lambda C, a: (C / a + C / (2 * np.sqrt(a)),),
        True,
    ),
}


def _put(shape, key, C):
    out = np.zeros(shape)
    out[key] += C
    return out


def _mse_vjp(C, a, b):
    g = C * 2 * (a - b) / a.size
    return g, -g


NAMES = "abc"


def _arguments(case: Case, rng: np.random.Generator) -> list[np.ndarray | float]:
    low, high = (0.5, 2.0) if case.positive else (-2.0, 2.0)
    return [float(rng.uniform(low, high)) if s == () else rng.uniform(low, high, s) for s in case.shapes]


def _central_differences(f: Callable, args: list, k: int, h: float = 1e-6) -> np.ndarray:
    x = np.array(args[k], dtype=float)
    grad = np.zeros(x.shape)
    for where in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[where] = h
        up = [*args[:k], x + step, *args[k + 1 :]]
        down = [*args[:k], x - step, *args[k + 1 :]]
        grad[where] = (f(*up) - f(*down)) / (2 * h)
    return grad


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_array_op_gradient_against_numpy_by_hand_and_differences(name, seed):
    case = CASES[name]
    rng = np.random.default_rng(seed)
    args = _arguments(case, rng)
    out = np.asarray(case.forward(*args), dtype=float)
    C = rng.uniform(-1, 1, out.shape)
    at = {NAMES[k]: arg for k, arg in enumerate(args)}
    ev = gradcli.evaluate(f"sum(({case.text}) * C)", {**at, "C": C})
    assert close(ev.value, float((out * C).sum()), rel=1e-12, abs=1e-12)
    by_hand = case.vjp(C, *args)

    def loss(*xs):
        return float((np.asarray(case.forward(*xs)) * C).sum())

    for k, want in enumerate(by_hand):
        got = ev.gradient[NAMES[k]]
        assert np.shape(got) == np.shape(args[k]), (name, k)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"{name} vs by hand, argument {k}")
        numeric = _central_differences(loss, args, k)
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-7, err_msg=f"{name} vs differences, argument {k}")


def test_every_array_op_is_covered():
    """Each structural op a program can call appears in a case (internal ones through their users)."""
    tested = {op for case in CASES.values() for op in _ops_in(case.text)}
    callable_structural = {op.name for op in OPS.values() if not op.elementwise and op.callable_as}
    callable_structural -= {"others_product"}  # prod's derivative: its own is refused (see the prod tests)
    assert callable_structural <= tested, callable_structural - tested


def _ops_in(text: str) -> set[str]:
    program = gradcli.parse(text)
    return {program.graph.ops[n].name for n in program.nodes}


# ---------------------------------------------------------------- conventions, by hand


def test_max_ties_split_the_gradient_evenly():
    ev = gradcli.evaluate("max(x)", {"x": [1, 3, 3, 2]})
    assert ev.value == 3
    assert ev.gradient["x"].tolist() == [0, 0.5, 0.5, 0]


def test_prod_gradient_is_exact_at_zeros():
    ev = gradcli.evaluate("prod(x)", {"x": [2, 0, 3]})
    assert ev.gradient["x"].tolist() == [0, 6, 0]
    ev = gradcli.evaluate("prod(x)", {"x": [0, 0, 3]})
    assert ev.gradient["x"].tolist() == [0, 0, 0]


def test_logsumexp_is_exact_where_exp_overflows():
    ev = gradcli.evaluate("logsumexp(x)", {"x": [1000, 1001, 1002]})
    # 1002 + log(1 + e**-1 + e**-2), from mpmath at 30 digits: 1002.40760596444437...
    assert close(ev.value, 1002.4076059644444, rel=1e-15)
    e = np.exp([-2.0, -1.0, 0.0])
    np.testing.assert_allclose(ev.gradient["x"], e / e.sum(), rtol=1e-14)
    assert not ev.anomalies


def test_rounding_has_zero_derivative_and_jumps_are_flagged():
    ev = gradcli.evaluate("sum(round(x) + floor(x) + ceil(x))", {"x": [0.5, 1.2, 2.0]})
    assert ev.value == (0 + 1 + 2) + (0 + 1 + 2) + (1 + 2 + 2)
    assert ev.gradient["x"].tolist() == [0, 0, 0]
    assert {k.op for k in ev.kinks} == {"round", "floor", "ceil"}


# ---------------------------------------------------------------- the language


def test_literals_defaults_and_nesting():
    program = gradcli.parse("W = [[1, 2], [3, 4]]\nv = [1, x]\nsum(W @ v)")
    assert program.defaults["W"].tolist() == [[1, 2], [3, 4]]
    ev = gradcli.evaluate(program, {"x": 2})
    assert ev.value == (1 + 4) + (3 + 8)
    assert ev.gradient["x"] == 2 + 4 and ev.gradient["W"].tolist() == [[1, 2], [1, 2]]


def test_an_array_output_needs_a_reduction_for_a_gradient():
    with pytest.raises(GradcliError, match=r"the output is an array of shape \(2,\)"):
        gradcli.evaluate("[[1, 2], [3, 4]] @ x", {"x": [1, 2]})


@pytest.mark.parametrize(
    "text, message",
    [
        ("x[i]", "an index must be a whole number written in the program"),
        ("x[0.5]", "an index must be a whole number"),
        ("sum(x, axis=y)", "an axis must be a whole number"),
        ("sum(x, depth=1)", "sum has no option depth: it takes axis=..."),
        ("x.shape", "arrays have one attribute, .T"),
        ("layer_norm(x, eps=y)", "layer_norm's eps must be a number"),
        ("exp(x, axis=0)", "exp has no option axis: it takes no options"),
    ],
)
def test_language_errors(text, message):
    with pytest.raises(GradcliError, match=message.replace("(", r"\(").replace(".", r"\.")):
        gradcli.parse(text)


def test_shape_errors_name_the_operation_the_shapes_and_the_place():
    program = gradcli.parse("A = [[1, 2, 3], [4, 5, 6]]\ny = A @ v\nsum(y)")
    with pytest.raises(ShapeProblem) as caught:
        gradcli.evaluate(program, {"v": [1, 2]})
    text = str(caught.value)
    assert text.startswith("line 2, column 7: matmul of (2, 3) and (2,): inner dimensions 3 and 2 differ"), text
    with pytest.raises(ShapeProblem, match=r"add of \(2,\) and \(3,\): the shapes do not broadcast"):
        gradcli.evaluate("sum(x + y)", {"x": [1, 2], "y": [1, 2, 3]})


def test_ragged_literals_are_refused():
    with pytest.raises(ShapeProblem, match="stack"):
        gradcli.evaluate("sum([x, [1, 2]])", {"x": 1.0})


def test_huge_results_are_refused_before_they_are_made():
    with pytest.raises(ShapeProblem, match="the limit is"):
        gradcli.evaluate("sum(outer(x, x))", {"x": np.zeros(20_000)})


def test_printing_reads_back():
    for text in ["sum(x, axis=0)", "x[1:3]", "A[:, 0]", "A.T @ x", "softmax(x)", "reshape(x, [2, 2])", "x[::-1]"]:
        program = gradcli.parse(text)
        printed = to_infix(program.graph, program.output)
        again = gradcli.parse(printed)
        assert [again.graph.ops[n].name for n in again.nodes] == [program.graph.ops[n].name for n in program.nodes]


# ---------------------------------------------------------------- Jacobians


def test_softmax_jacobian_is_s_i_times_delta_ij_minus_s_j():
    z = np.array([0.3, -1.2, 2.0, 0.7])
    e = np.exp(z - z.max())
    s = e / e.sum()
    want = np.diag(s) - np.outer(s, s)
    for mode in ("forward", "reverse"):
        jac = jacobian(gradcli.parse("softmax(z)"), {"z": z}, mode)
        np.testing.assert_allclose(np.array(jac.rows), want, rtol=1e-13, atol=1e-15)
        assert jac.costs[mode].passes == 4
    assert jac.inputs == ["z[0]", "z[1]", "z[2]", "z[3]"]
    assert jac.outputs == ["f[0]", "f[1]", "f[2]", "f[3]"]


def test_jacobian_of_a_matrix_function_by_both_modes():
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    jac = jacobian(gradcli.parse("A @ x"), {"A": a, "x": [3.0, -2.0]})
    assert jac.disagreement == 0
    assert len(jac.inputs) == 6 and len(jac.outputs) == 2
    # d(Ax)_i / dA_jk = delta_ij x_k; d(Ax)_i / dx_k = A_ik
    assert jac.rows[0] == [3.0, -2.0, 0.0, 0.0, 1.0, 2.0]
    assert jac.rows[1] == [0.0, 0.0, 3.0, -2.0, 0.5, -1.0]


# ---------------------------------------------------------------- NumPy kernels = scalar kernels

SPECIAL = [-np.inf, -1e300, -710.0, -2.5, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.5, 1.0, 1.5, 2.5, 3.0, 710.0, np.inf, np.nan]


@pytest.mark.parametrize("name", [name for name, op in OPS.items() if op.elementwise and op.arity > 0])
def test_numpy_kernel_equals_the_scalar_kernel_element_by_element(name):
    """The scalar kernels are checked against mpmath (test_ops); the NumPy ones must give the same
    float64 numbers, nan, infinities and signed zeros included, over a grid of special values.
    NumPy's own libm may differ from Python's in the last bit (2 ulp allowed)."""
    op = OPS[name]
    param = 2.0 if op.has_param else None
    grids = np.meshgrid(*[np.array(SPECIAL)] * op.arity, indexing="ij")
    args = [g.ravel() for g in grids]
    with np.errstate(all="ignore"):
        got = np.broadcast_to(op.array_kernel_for(param)(*args), args[0].shape)
    for k in range(args[0].size):
        want = op.evaluate([float(a[k]) for a in args], param)
        point = [float(a[k]) for a in args]
        same_zero = np.signbit(got[k]) == np.signbit(want)
        exact = got[k] == want and (want != 0 or same_zero)
        ulps = np.isfinite(want) and abs(got[k] - want) <= 2 * np.spacing(abs(want))
        assert exact or ulps or (got[k] != got[k] and want != want), (
            name,
            point,
            got[k],
            want,
        )


# ---------------------------------------------------------------- values from files


def test_values_from_json_npz_and_npy_files(tmp_path):
    np.save(tmp_path / "W.npy", np.arange(6.0).reshape(2, 3))
    np.savez(tmp_path / "p.npz", v=np.array([1.0, -1.0, 2.0]))
    (tmp_path / "p.json").write_text('{"b": [0.5, "inf"], "c": 2}')
    done = cli(
        "eval", "sum(W @ v) + c*b[0]", "--at-file", f"W={tmp_path / 'W.npy'}", "--at-file", str(tmp_path / "p.npz"),
        "--at-file", str(tmp_path / "p.json"), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = strict_json(done.stdout)
    # W @ v = [0 - 1 + 4, 3 - 4 + 10] = [3, 9]; + 2*0.5; by hand
    assert report["value"] == 13.0
    assert report["gradient"]["W"] == [[1.0, -1.0, 2.0], [1.0, -1.0, 2.0]]
    assert report["gradient"]["b"] == [2.0, 0.0]
    assert report["at"]["b"] == [0.5, "inf"]


@pytest.mark.parametrize(
    "content, spec, message",
    [
        ('{"x": NaN}', "p.json", 'NaN is not JSON; write it as the string "nan"'),
        ("[1, 2]", "p.json", "expected an object of names to values"),
        ('{"x": [1, [2]]}', "p.json", "x must be a number or a rectangular list of numbers"),
        ('{"1x": 2}', "p.json", "1x is not a name an input can have"),
        ("", "p.npy", "a .npy file holds one array: name it"),
        ("", "p.txt", "give a .json or .npz file of named values, or NAME=FILE.npy"),
        (None, "missing.json", "no such file"),
    ],
)
def test_bad_value_files_are_clean_errors(tmp_path, content, spec, message):
    path = tmp_path / spec
    if content is not None:
        path.write_text(content)
    assert_clean_error(cli("eval", "sum(x)", "--at-file", str(path)), "--at-file", message)


def test_a_value_in_a_file_and_in_at_is_given_twice(tmp_path):
    (tmp_path / "p.json").write_text('{"x": [1, 2]}')
    done = cli("eval", "sum(x)", "--at-file", str(tmp_path / "p.json"), "--at", "x=[1,2]")
    assert_clean_error(done, "--at x=[1,2]: x is given more than once")


# ---------------------------------------------------------------- defects a fuzzing campaign found


def test_forward_tangents_take_the_output_shape():
    """x + y with x (2,) and y (2, 2): the tangent of x spreads over the rows before indexing."""
    point = {"x": [1.0, 2.0], "y": [[1.0, 2.0], [3.0, 4.0]]}
    want = [[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]]  # d (x + y)[1] / d (x, y), by hand
    for mode in ("forward", "reverse"):
        assert jacobian(gradcli.parse("(x + y)[1]"), point, mode).rows == want


def test_compare_with_a_number_broadcast_over_a_matrix():
    from gradcli.check.compare import compare

    result = compare(gradcli.parse("sum(mean(x - y, axis=1))"), {"x": 1.0, "y": np.array([[1.0, 2.0], [3.0, 4.0]])})
    assert [row.verdict for row in result.rows] == ["PASS", "PASS"]
    assert result.rows[0].reverse == 2.0  # d/dx of (x - 1.5) + (x - 3.5)


def test_empty_reductions_keep_their_shapes():
    ev = gradcli.evaluate(
        "sum(prod(x[0:0])) + sum(mean(y[:, 0:0], axis=1) * [1, 2])", {"x": [1.0, 2.0], "y": np.ones((2, 2))}
    )
    assert ev.value != ev.value  # the mean of nothing is nan
    assert ev.gradient["x"].tolist() == [0, 0]
    assert gradcli.evaluate("prod(x[0:0])", {"x": [1.0, 2.0]}).value == 1.0


def test_outer_takes_vectors_only():
    with pytest.raises(ShapeProblem, match="outer takes two vectors"):
        gradcli.evaluate("sum(outer(x, 2))", {"x": [1.0, 2.0]})


def test_an_array_exponent():
    ev = gradcli.evaluate("sum(x**[1, 2])", {"x": 2.0})
    assert (ev.value, ev.gradient["x"]) == (6.0, 5.0)  # 2 + 4; 1 + 2*2


@pytest.mark.parametrize("text", ["x[1e400]", "sum(x, axis=1e400)", "x[1e20]", "reshape(x, [1e20])"])
def test_huge_indices_and_axes_are_refused(text):
    with pytest.raises(GradcliError, match="at most 2,147,483,647 in size"):
        gradcli.parse(text)


def test_a_nan_behind_a_structural_op_is_explained():
    ev = gradcli.evaluate("softmax(log(y))", {"y": -1.0})
    assert ev.anomalies[0].message == "nan first appears at log(y): log(-1) = nan (log needs a positive argument)"


def test_a_tie_in_max_is_a_kink_not_a_failure():
    from gradcli.check.compare import compare

    result = compare(gradcli.parse("max(x)"), {"x": np.array([1.0, 1.0, 1.0])})
    assert result.rows[0].verdict == "KINK" and not result.failed


def test_compare_of_an_empty_input():
    from gradcli.check.compare import compare

    result = compare(gradcli.parse("sum(x)"), {"x": np.zeros(0)})
    assert result.rows[0].probes == "no elements" and not result.failed


def test_summaries_of_huge_finite_arrays_stay_finite():
    from gradcli.core.numbers import format_number

    assert format_number(np.full(9, 1e200)) == "(9,) array: min 1e+200, max 1e+200, norm 3e+200"


def test_a_stopped_structural_op_in_the_trace():
    done = cli("eval", "y*stop_gradient(sum(x))", "--at", "x=[1,2],y=1")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


# ---------------------------------------------------------------- second order on arrays


def test_hessian_of_logsumexp_is_diag_s_minus_s_s():
    from gradcli.ad.second_order import hessian

    x = np.array([0.5, -1.0, 2.0, 0.0])
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    h = hessian(gradcli.parse("logsumexp(x)"), {"x": x})
    got = np.array([[h.matrix[f"x[{i}]"][f"x[{j}]"] for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(got, np.diag(s) - np.outer(s, s), rtol=1e-13, atol=1e-16)
    assert h.passes == 4


def test_hessian_vector_product_on_arrays_equals_the_hessian_times_v():
    from gradcli.ad.second_order import hessian, hvp

    program = gradcli.parse("sum(tanh(W @ x) * [1, -2]) + mean(x**3)")
    point = {"W": np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]]), "x": np.array([0.7, -1.1, 0.4])}
    v = {"W": np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]]), "x": np.array([0.2, 0.0, -0.3])}
    h = hessian(program, point)
    labels = list(h.matrix)
    H = np.array([[h.matrix[a][b] for b in labels] for a in labels])
    flat_v = np.concatenate([v["W"].ravel(), v["x"]])
    product = hvp(program, point, v).product
    np.testing.assert_allclose(np.concatenate([product["W"].ravel(), product["x"]]), H @ flat_v, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-14)
    # against central differences of the gradient, by the library's first-order sweep
    step = 1e-6
    for k, label in enumerate(labels):
        name, at = ("W", np.unravel_index(k, (2, 3))) if k < 6 else ("x", (k - 6,))
        up = {n: p.copy() for n, p in point.items()}
        down = {n: p.copy() for n, p in point.items()}
        up[name][at] += step
        down[name][at] -= step
        g_up, g_down = gradcli.evaluate(program, up).gradient, gradcli.evaluate(program, down).gradient
        column = np.concatenate([(g_up[n] - g_down[n]).ravel() for n in ("W", "x")]) / (2 * step)
        np.testing.assert_allclose(H[:, k], column, rtol=1e-6, atol=1e-8, err_msg=label)


def test_second_order_through_prod_is_refused_cleanly():
    from gradcli.ad.second_order import hessian

    with pytest.raises(GradcliError, match="the second derivative of prod is not available yet"):
        hessian(gradcli.parse("prod(x)"), {"x": np.array([1.0, 2.0, 3.0])})


# ---------------------------------------------------------------- symbolic derivatives of array programs

READ_BACK = [
    ("sum(x**3)", {"x": [1.0, 2.0, 3.0]}),
    (
        "sum(tanh(W @ x + b) * c)",
        {"W": [[0.3, -0.2], [0.5, 0.1], [0.4, -0.6]], "x": [0.7, -1.1], "b": 0.2, "c": [1.0, -2.0, 0.5]},
    ),
    ("logsumexp(x) + softmax(x)[0]", {"x": [0.5, -1.0, 2.0]}),
    (
        "mean((A.T @ x - y)**2) + x[1]",
        {"A": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "x": [0.1, 0.2, 0.3], "y": [1.0, -1.0]},
    ),
    ("sum(max(x, axis=0)) + layer_norm(x)[0, 1]", {"x": [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]}),
    ("cross_entropy(z, t)", {"z": [[0.5, -1.0, 2.0], [1.0, 0.0, 0.5]], "t": [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]}),
]


@pytest.mark.parametrize("text, at", READ_BACK, ids=[t for t, _ in READ_BACK])
def test_symbolic_derivatives_of_array_programs_read_back(text, at):
    """``diff``'s text, evaluated again, is the reverse-mode gradient (itself checked by hand above)."""
    from gradcli.ad.outputs import output_derivatives

    point = {name: np.array(value) if isinstance(value, list) else value for name, value in at.items()}
    program = gradcli.parse(text)
    (result,) = output_derivatives(program, at=point)
    gradient = gradcli.evaluate(program, point).gradient
    for name, derivative_text in result.texts.items():
        again = gradcli.parse(derivative_text)
        value = forward_values(again, {n: point[n] for n in again.inputs})[again.output]
        np.testing.assert_allclose(value, gradient[name], rtol=1e-12, atol=1e-14, err_msg=f"{name}: {derivative_text}")
    assert result.sizes.derivative_nodes <= 12 * result.sizes.program_nodes  # linear in the program


def test_textbook_forms():
    from gradcli.ad.outputs import output_derivatives

    def text(program: str, at: dict) -> str:
        return output_derivatives(gradcli.parse(program), at=at)[0].texts

    assert text("sum(x**3)", {"x": np.ones(3)}) == {"x": "3*x**2"}
    # softmax's backward: s*(g - sum(g*s)), here with g the cotangent of element 0
    assert (
        "softmax(z)*(t1 - broadcast_like(sum(t1*softmax(z), axis=-1), softmax(z), axis=-1))"
        in text("softmax(z)[0]", {"z": np.ones(3)})["z"]
    )


def test_diff_of_an_array_program_needs_its_values():
    assert_clean_error(cli("diff", "sum(x**3)"), "--at x=")
    done = cli("diff", "sum(x**3)", "--at", "x=[1,2,3]", "--latex")
    assert done.returncode == 0 and "3 \\cdot x^{2}" in done.stdout, done.stderr


# ---------------------------------------------------------------- NumPy loads with the first array


def test_programs_of_numbers_start_without_numpy():
    run_python(
        "from gradcli.cli import app",
        "from gradcli.render import eval_report, dot, json_report",
        "gradcli.evaluate('(3*x + 2)**2', {'x': 1})",
        "assert 'numpy' not in sys.modules, 'numpy loaded'",
        "assert gradcli.evaluate('sum(x**3)', {'x': [1, 2, 3]}).value == 36",
    )


def run_python(*lines: str) -> None:
    """Run the lines in a fresh interpreter (with sys and gradcli imported); they must succeed."""
    import subprocess
    import sys

    code = "\n".join(["import sys, gradcli", *lines])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_numpy_loads_outside_the_memory_limit():
    """NumPy maps 80-120 MB when it loads: that is the libraries', not the run's, as the interpreter's is."""
    done = cli("eval", "-f", str(EXAMPLES / "arrays" / "xor_network.grad"), env={"GRADCLI_MEMORY_LIMIT": "80"})
    assert done.returncode == 0 and "0.6876043006" in done.stdout, done.stderr


# ---------------------------------------------------------------- defects of the second fuzzing round


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"x": 1' + "0" * 400 + "}", "x must be a number or a rectangular list of numbers"),
        ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "cannot be read as json values"),
        ('{"x": null}', "x must be a number or a rectangular list of numbers"),
        ('{"x": [1, "2"]}', "x must be a number or a rectangular list of numbers"),
        ('{"x": true}', "x must be a number or a rectangular list of numbers"),
        ('{"x": 1, "x": 2}', "x is given twice"),
        ('{"x": []}', "x has no elements"),
    ],
)
def test_hostile_json_values(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content)
    assert_clean_error(cli("eval", "sum(x)", "--at-file", str(path)), message)


def test_hostile_numpy_files(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    assert_clean_error(cli("eval", "sum(x)", "--at-file", str(tmp_path / "bad.npz")), "cannot be read as npz values")
    np.save(tmp_path / "empty.npy", np.zeros(0))
    assert_clean_error(cli("compare", "sum(x**2)", "--at-file", f"x={tmp_path / 'empty.npy'}"), "x has no elements")
    assert_clean_error(cli("eval", "sum(x)", "--at-file", str(tmp_path)), "give a .json or .npz file")
    (tmp_path / "dir.json").mkdir()
    assert_clean_error(cli("eval", "sum(x)", "--at-file", str(tmp_path / "dir.json")), "not a regular file")


def test_an_exact_zero_element_is_measured_against_its_neighbours():
    from gradcli.check.compare import compare

    # d/dx[1, 0] of sum(softmax(x, axis=0))*x[0, 0] is exactly 0: the columns of a softmax sum to 1
    result = compare(gradcli.parse("sum(softmax(x, axis=0))*x[0, 0]"), {"x": np.array([[1.0, 2.0], [3.0, 4.0]])})
    assert [row.verdict for row in result.rows] == ["PASS"]


def test_prods_derivative_reads_back_and_its_own_is_refused():
    from gradcli.ad.outputs import output_derivatives

    (result,) = output_derivatives(gradcli.parse("prod(x)"), at={"x": np.array([2.0, 3.0, 0.0])})
    again = gradcli.parse(result.texts["x"])
    assert forward_values(again, {"x": np.array([2.0, 3.0, 0.0])})[again.output].tolist() == [0.0, 0.0, 6.0]
    with pytest.raises(GradcliError, match="the derivative of others_product"):
        gradcli.evaluate("sum(others_product(x))", {"x": [1.0, 2.0]})


def test_scalar_jacobians_and_drawings_do_not_load_numpy():
    run_python(
        "from gradcli.ad.jacobian import jacobian",
        "from gradcli.render.dot import to_dot",
        "jacobian(gradcli.parse('[sin(x), y]'), {'x': 1, 'y': 2})",
        "to_dot(gradcli.evaluate('x*y', {'x': 1, 'y': 2}))",
        "assert 'numpy' not in sys.modules, 'numpy loaded'",
    )


@pytest.mark.parametrize("name", [name for name, op in OPS.items() if op.elementwise and op.arity > 0])
def test_numpy_kernels_take_plain_numbers_too(name):
    """In a program with arrays every node runs its NumPy kernel, numbers included (tools/fuzz.py found erf's not)."""
    op = OPS[name]
    param = 2.0 if op.has_param else None
    args = [0.5, 1.5, 0.7][: op.arity]
    with np.errstate(all="ignore"):
        got = op.array_kernel_for(param)(*args)
    assert np.ndim(got) == 0
    assert float(got) == pytest.approx(op.evaluate(args, param), rel=4e-16, abs=0, nan_ok=True)  # acosh(0.5)


# ---------------------------------------------------------------- outputs element by element


def _read_back(text: str, **values) -> np.ndarray:
    """The value of a program gradcli printed, read back by the library at ``values`` (those it uses)."""
    program = gradcli.parse(text)
    point = {name: np.asarray(values[name], dtype=float) for name in program.inputs}
    return np.asarray(forward_values(program, point)[program.output])


def _softmax_row(z, k):
    """d softmax(z)[k] / dz by hand: s_k (δ_kj − s_j)."""
    s = _softmax(np.asarray(z, dtype=float))
    return s[k] * ((np.arange(len(s)) == k) - s)


@pytest.mark.parametrize("which", ["s[1]", "1"])
def test_of_picks_an_element_of_an_array_output(which):
    z = [0.5, -1.0, 2.0]
    data = json_report("eval", "s = softmax(z)\ns", "--at", f"z={z}", "--of", which)
    assert np.isclose(data["value"], _softmax(np.asarray(z))[1], rtol=1e-14)
    assert np.allclose(data["gradient"]["z"], _softmax_row(z, 1), rtol=1e-13, atol=1e-15)


def test_a_vector_output_and_a_list_of_outputs_differentiate_alike():
    vector = cli("diff", "v = [x**2, x*y]\nv", "--at", "x=1,y=2")
    listed = cli("diff", "[x**2, x*y]")
    assert vector.returncode == listed.returncode == 0, vector.stderr + listed.stderr
    bodies = [block.split("\n", 1)[1] for block in vector.stdout.split("# ")[1:]]
    assert [b.strip() for b in bodies] == ["2*x", "0", "y", "x"]  # by hand
    assert [b.split("\n", 1)[1].strip() for b in listed.stdout.split("# ")[1:]] == ["2*x", "0", "y", "x"]
    assert "# dv[1]/dy" in vector.stdout


def test_each_element_of_a_softmax_differentiates_to_its_jacobian_row():
    z = [0.5, -1.0, 2.0]
    done = cli("diff", "softmax(z)", "--at", f"z={z}")
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("# ")[1:]
    assert [b.split("\n", 1)[0] for b in blocks] == ["d[0]/dz", "d[1]/dz", "d[2]/dz"]
    for k, block in enumerate(blocks):
        row = _read_back(block.split("\n", 1)[1], z=z)
        assert np.allclose(row, _softmax_row(z, k), rtol=1e-13, atol=1e-15), block


def test_an_element_beside_an_infinite_derivative_gets_its_own():
    done = cli("diff", "v = [sqrt(x), x]\nv", "--of", "v[1]", "--at", "x=0")
    assert done.returncode == 0 and done.stdout == "1\n", done.stdout + done.stderr


def test_too_many_elements_to_take_one_by_one_are_refused():
    assert_clean_error(cli("diff", "x*2", "--at", f"x={[1.0] * 65}"), "65 elements", "--of", "sum(...)")


def test_a_list_output_keeps_whole_arrays_by_name():
    data = json_report("eval", "a = x*2\nb = sum(x**2)\n[a, b]", "--at", "x=[1,2]", "--of", "b")
    assert data["value"] == 5 and data["gradient"] == {"x": [2, 4]}


# ---------------------------------------------------------------- second derivatives of arrays


def _hessian_rows(text: str, **values) -> dict[str, np.ndarray]:
    """Each ``# d2f/d...`` block of ``diff --order 2``, read back at ``values``."""
    rows = {}
    for block in text.split("# ")[1:]:
        heading, body = block.split("\n", 1)
        rows[heading] = _read_back(body, **values)
    return rows


def test_diff_order_2_rows_read_back_as_the_hessian():
    x = np.array([0.5, -1.0, 2.0])
    at = ["--at", "x=[0.5,-1,2]"]
    done = cli("diff", "logsumexp(x)", "--order", "2", *at)
    assert done.returncode == 0, done.stderr
    rows = _hessian_rows(done.stdout, x=x)
    s = _softmax(x)
    by_hand = np.diag(s) - np.outer(s, s)
    assert list(rows) == ["d2f/dx[0]dx", "d2f/dx[1]dx", "d2f/dx[2]dx"]
    for i, row in enumerate(rows.values()):
        assert np.allclose(row, by_hand[i], rtol=1e-13, atol=1e-16)


def test_diff_order_2_mixed_rows_of_a_bilinear_form():
    at = ["--at", "x=[1,2]", "--at", "W=[[1,2],[3,4]]", "--at", "y=[5,-1]"]
    done = cli("diff", "y @ (W @ x)", "--order", "2", "--wrt", "W,x", *at)
    assert done.returncode == 0, done.stderr
    y, x = np.array([5.0, -1.0]), np.array([1.0, 2.0])
    rows = _hessian_rows(done.stdout, x=x, y=y, W=[[1, 2], [3, 4]])
    for i in range(2):
        for j in range(2):
            # d/dW[i, j] of y @ W @ x is y_i x_j: by x_k it is y_i δ_jk, by W it is 0
            assert np.array_equal(rows[f"d2f/dW[{i}, {j}]dx"], y[i] * np.eye(2)[j])
            assert np.array_equal(rows[f"d2f/dW[{i}, {j}]dW"], np.zeros((2, 2)))
    assert np.array_equal(rows["d2f/dx[0]dx"], np.zeros(2)) and np.array_equal(rows["d2f/dx[1]dx"], np.zeros(2))


def test_compare_order_2_has_a_symbolic_column_for_arrays():
    data = json_report("compare", "sum(x**3) + x[0]*x[1]", "--at", "x=[1,2]", "--order", "2")
    values = {(e["first"], e["second"]): e["symbolic_value"] for e in data["entries"]}
    assert values[("x[0]", "x[0]")] == 6 and values[("x[1]", "x[1]")] == 12  # 6x by hand
    assert values.get(("x[0]", "x[1]"), values.get(("x[1]", "x[0]"))) == 1
    assert not data["failed"]


# ---------------------------------------------------------------- slices in derivatives


@pytest.mark.parametrize(
    "program, at, by_hand",
    [
        ("sum(x[1:3]**2)", "x=[1,2,3,4]", lambda x: np.where((np.arange(4) >= 1) & (np.arange(4) < 3), 2 * x, 0)),
        ("sum(x[::-2]*x[1::2])", "x=[1,2,3,4]", lambda x: np.array([0.0, 2 * x[3], 0.0, 2 * x[1]])),  # f = 2*x1*x3
    ],
)
def test_a_derivative_through_a_slice_reads_back(program, at, by_hand):
    text = cli("diff", program, "--at", at)
    assert text.returncode == 0 and "scatter(" in text.stdout, text.stderr
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(_read_back(text.stdout, x=x), by_hand(x))


def test_a_matrix_slice_derivative_reads_back():
    text = cli("diff", "sum(A[:, 0]*A[::-1, 1])", "--at", "A=[[1,2],[3,4]]").stdout
    # f = A00*A11 + A10*A01, by hand
    assert np.array_equal(_read_back(text, A=[[1, 2], [3, 4]]), [[4, 3], [2, 1]])


def test_a_slice_outside_a_subscript_is_refused_at_its_place():
    stderr = assert_clean_error(cli("eval", "sum([1, 2:3])"), "a slice is written in a subscript")
    assert "line 1, column 10" in stderr


def test_a_negated_array_literal_is_an_array_and_a_negated_none_is_refused():
    """Found by a differential fuzz of the parser: -[1, 2] reached the graph as a list (TypeError:
    unhashable type) and -None as an operand (TypeError when evaluated)."""
    assert gradcli.evaluate("sum(-[1, 2]*[1, 10])").value == -21.0
    assert gradcli.evaluate("x = [1, 2]; sum(-[x, 2*x])", {"x": [1, 2]}).value == -9.0
    assert_clean_error(cli("eval", "-None"), "None is not a value")
    assert_clean_error(cli("eval", "-[1, 2]*None"), "None is not a value")


def test_scatter_without_an_index_is_refused():
    """tools/fuzz.py seed 416: scatter(b, 0.1) reached the drawing with no index and raised."""
    assert_clean_error(cli("graph", "scatter(b, 0.1)", "--structure"), "scatter takes a value, an array and an index")


def test_an_array_literal_nests_as_deep_as_numpy_allows_and_no_deeper():
    """64 levels make a 64-dimensional array; more are refused at once, however deep (no recursion)."""
    deepest = gradcli.evaluate("sum(" + "[" * 64 + "x" + "]" * 64 + ")", {"x": 2.0})
    assert (deepest.value, deepest.gradient) == (2.0, {"x": 1.0})
    for depth in (65, 400, 100_000):
        with pytest.raises(gradcli.SyntaxProblem, match="nest at most 64 deep"):
            gradcli.parse("[" * depth + "x" + "]" * depth)
    text = "[" * 400 + "1" + "]" * 400
    assert_clean_error(cli("eval", text), "array literals nest at most 64 deep", one_line=False)
