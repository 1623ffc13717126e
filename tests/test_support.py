"""The shared test helpers check what their names say: ``close`` is :func:`math.isclose` in its symmetric
form and the oracle-scaled bound in the other (NaN matching NaN, or infinities nothing, when asked),
``strict_json`` refuses what RFC 8259 refuses, and ``assert_clean_error`` fails on every way a refusal
can be unclean."""

from __future__ import annotations

import math
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mp
from support import assert_clean_error, close, inputs_in_order, strict_json, tree_text

ANY_FLOAT = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.0, 1.0 + 1e-12, 1e-300, math.inf, -math.inf]))
FINITE = st.floats(-1e6, 1e6, allow_nan=False)
TOLERANCE = st.sampled_from([0.0, 1e-15, 1e-12, 1e-9, 0.5])


@given(got=ANY_FLOAT, want=ANY_FLOAT, rel=TOLERANCE, abs_tol=TOLERANCE)
def test_symmetric_close_is_math_isclose(got, want, rel, abs_tol):
    assert close(got, want, rel=rel, abs=abs_tol) == math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol)


@given(got=FINITE, want=FINITE, scale=FINITE, rel=st.sampled_from([1e-12, 1e-9, 1e-3]))
def test_oracle_scaled_close_is_the_largest_of_one_want_and_scale(got, want, scale, rel):
    with mp.workdps(40):
        exact = abs(mp.mpf(got) - mp.mpf(want)) <= rel * max(1, abs(mp.mpf(want)), abs(scale))
        assert close(got, mp.mpf(want), rel=rel, abs=rel * max(1, abs(scale)), symmetric=False) == exact


def test_close_scales_by_the_oracle_alone_when_asked():
    assert close(2.0, 1.0, rel=0.5)  # within half of the larger, 2
    assert not close(2.0, 1.0, rel=0.5, symmetric=False)  # not within half of the oracle, 1
    assert not close(math.nan, math.nan, rel=1.0, abs=1.0)


@given(got=ANY_FLOAT, want=ANY_FLOAT, rel=TOLERANCE, abs_tol=TOLERANCE)
def test_close_with_equal_nan_also_matches_nan_with_nan(got, want, rel, abs_tol):
    both_nan = math.isnan(got) and math.isnan(want)
    expected = both_nan or math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol)
    assert close(got, want, rel=rel, abs=abs_tol, equal_nan=True) == expected


@given(got=ANY_FLOAT, want=ANY_FLOAT, rel=st.sampled_from([1e-13, 1e-9, 0.5]))
def test_close_with_finite_is_the_bare_oracle_bound_between_finite_numbers_only(got, want, rel):
    with mp.workdps(40):
        # the bare bound is false for NaN and for inf - inf, but vacuous (inf <= inf) for any other infinite oracle
        bare = abs(mp.mpf(got) - mp.mpf(want)) <= rel * max(1, abs(mp.mpf(want)))
        expected = bare and math.isfinite(got) and math.isfinite(want)
        assert close(mp.mpf(got), mp.mpf(want), rel=rel, abs=rel, symmetric=False, finite=True) == expected


def test_close_keywords_by_hand():
    assert close(math.nan, mp.nan, rel=0.0, equal_nan=True)
    assert not close(math.nan, 1.0, rel=1.0, abs=math.inf, equal_nan=True)
    assert close(math.inf, math.inf, rel=0.0) and not close(math.inf, math.inf, rel=0.0, finite=True)
    assert not close(-math.inf, 1e308, rel=1.0, abs=math.inf)
    assert close(1.0, 1.0, rel=0.0, finite=True) and close(1.0, 1.0 + 1e-12, rel=1e-9, finite=True, equal_nan=True)


def test_strict_json_refuses_the_bare_constants_only():
    assert strict_json('{"value": "nan", "grad": ["inf", "-inf", 1e308]}') == {
        "value": "nan",
        "grad": ["inf", "-inf", 1e308],
    }
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError, match=constant):
            strict_json(f"[1, {constant}]")


def done(code: int, stdout: str | bytes, stderr: str) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(["gradcli"], code, stdout, stderr)


def test_a_clean_refusal_passes_and_gives_its_message():
    assert assert_clean_error(done(2, "", "error: no program\n"), "no program") == "error: no program\n"
    assert_clean_error(done(2, b"", "error: line 1, column 3: x\n  2x\n   ^\n"), "column 3")


@pytest.mark.parametrize(
    "unclean, options",
    [
        (done(1, "", "error: no program\n"), {}),
        (done(2, "partial output", "error: no program\n"), {}),
        (done(2, "", "Traceback (most recent call last):\nerror: no program\n"), {}),
        (done(2, "", "error: no program\nerror: and another\n"), {}),
        (done(2, "", "error: no program\nTraceback (most recent call last):\n"), {}),
        (done(2, "", "error: no program\nUsage: gradcli eval\n"), {}),
        (done(2, "", "error: no such file\n"), {"fragments": ["no program"]}),
        (done(2, "", "error: no program\n  details\n"), {"one_line": True}),
        (done(2, "", "error: cannot write g.svg.gradcli-tmp\n"), {"never": ["gradcli-tmp"]}),
    ],
)
def test_every_unclean_refusal_fails(unclean, options):
    fragments = options.pop("fragments", [])
    with pytest.raises(AssertionError):
        assert_clean_error(unclean, *fragments, **options)


def test_trees_print_and_name_their_inputs_in_order_of_first_use():
    tree = ("+", ("*", ("var", "y"), ("num", "2")), ("sin", ("var", "x")))
    texts = {"+": lambda a, b: f"{a} + {b}", "*": lambda a, b: f"{a}*{b}", "sin": lambda a: f"sin({a})"}
    assert tree_text(tree, texts) == "y*2 + sin(x)"
    assert inputs_in_order([("var", "a"), tree, ("var", "x")], ["x", "y"]) == ["y", "x"]
