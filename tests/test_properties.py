"""Property tests: gradcli's values and gradients against an independent mpmath oracle.

Random programs are small expression trees (tuples) built by hypothesis. The same tree
is rendered to gradcli program text and evaluated by a tiny mpmath tree evaluator
written here (no ``eval`` of strings, nothing from gradcli). The reference gradient is
mpmath's high-precision numerical derivative (``mpmath.diff`` at 40 digits) of that
evaluator; ``stop_gradient`` is modelled by evaluating its operand at the base point,
so the numerical derivative cannot see through it.

The op tables are generated from the op table and test_ops' oracle rows: every op, in
every spelling, with the wrappers its Domain calls for so that it is used where it is
smooth (``log(1 + u**2)``, ``sqrt(2 + sin(u))``, ``asin(0.5*tanh(u))``, division by
``(2 + v**2)``, ``pow`` with a positive base, and so on). Kinked ops (relu abs sign step
max min clamp) are used as they are, and the point is rejected (``assume``) when any
kinked op's argument is within 1e-6 of its kink.
"""

from __future__ import annotations

import mpmath
import pytest
import support
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mpmath import mp
from support import DIGITS, Tracker, high_precision  # noqa: F401 - the fixture applies by import
from test_ops import ORACLES, Wrapper, in_call_order, spellings, wrappers

import gradcli
from gradcli.core.domains import Interval
from gradcli.core.ops import FUNCTIONS, SCALAR_FUNCTIONS, SCALAR_OPS, Op

REL = 1e-7  # relative tolerance against mpmath
# Single ops: mpmath.diff's finite step cannot resolve a derivative 1e-79 next to a value 1
# (x**y at y = 4e-79), so results below this are compared absolutely.
TINY = 1e-30
ABS = 1e-9  # absolute floor, for results that cancel to (almost) zero in float64
KINK_MARGIN = 1e-6
MAX_MAGNITUDE = 1e3  # intermediate values beyond this are rejected: float64 conditioning

# ---------------------------------------------------------------- expression trees
#
# ("var", name) | ("const", float) | ("un", fname, child) | ("neg", child) | ("pos", child)
# | ("bin", symbol, left, right) with symbol in + - * / ** ^ | ("call", fname, *args)


def render(t) -> str:
    """Fully parenthesised gradcli text for a tree."""
    kind = t[0]
    if kind == "var":
        return t[1]
    if kind == "const":
        return repr(t[1]) if t[1] >= 0 else f"({t[1]!r})"
    if kind == "neg":
        return f"(-{render(t[1])})"
    if kind == "pos":
        return f"(+{render(t[1])})"
    if kind == "un":
        return f"{t[1]}({render(t[2])})"
    if kind == "bin":
        return f"({render(t[2])} {t[1]} {render(t[3])})"
    if kind == "call":
        return f"{t[1]}({', '.join(render(a) for a in t[2:])})"
    if kind == "option":  # ("option", fname, number, child): elu(u, 0.5), polygamma(1, u)
        return f"{t[1]}({', '.join(in_call_order(FUNCTIONS[t[1]], [render(t[3])], [repr(t[2])]))})"
    raise AssertionError(t)


def _sigmoid(u):
    return ORACLES["sigmoid"].mp(u)


INFIX = {op.infix: op for op in SCALAR_OPS.values() if op.infix and op.arity == 2}
INFIX["^"] = INFIX["**"]  # the grammar's other spelling of **
MP_BINARY = {symbol: ORACLES[op.name].mp for symbol, op in INFIX.items()}
MP_CALLS = {name: ORACLES[op.name].mp for name, op in SCALAR_FUNCTIONS.items()}
STOP = tuple(name for name, op in SCALAR_FUNCTIONS.items() if ORACLES[op.name].no_gradient)


def track_kinks(tracker: Tracker, op: Op, args) -> None:
    """Record how close the arguments are to the op's kinks (and to the oracle's own ties)."""
    ties = ORACLES[op.name].oracle_ties
    for distance in (*(op.kink(*args) if op.kink else ()), *(ties(*args) if ties else ())):
        tracker.kink(distance)


def mp_eval(t, env, frozen, tracker: Tracker | None = None):
    """Evaluate a tree with mpmath; ``frozen`` is the environment of the base point."""
    kind = t[0]
    if kind == "var":
        v = env[t[1]]
    elif kind == "const":
        v = mp.mpf(t[1])
    elif kind == "neg":
        v = -mp_eval(t[1], env, frozen, tracker)
    elif kind == "pos":
        v = mp_eval(t[1], env, frozen, tracker)
    elif kind == "un" and t[1] in STOP:
        v = mp_eval(t[2], frozen, frozen, tracker)  # constant under differentiation
    elif kind == "un":
        u = mp_eval(t[2], env, frozen, tracker)
        if tracker is not None:
            track_kinks(tracker, FUNCTIONS[t[1]], (u,))
        v = MP_CALLS[t[1]](u)
    elif kind == "bin":
        args = [mp_eval(t[2], env, frozen, tracker), mp_eval(t[3], env, frozen, tracker)]
        if tracker is not None:
            track_kinks(tracker, INFIX[t[1]], args)  # comparisons and // jump
        v = MP_BINARY[t[1]](*args)
    elif kind == "option":
        u = mp_eval(t[3], env, frozen, tracker)
        if tracker is not None:
            track_kinks(tracker, FUNCTIONS[t[1]], (u, t[2]))
        v = MP_CALLS[t[1]](u, t[2])
    elif kind == "call":
        args = [mp_eval(a, env, frozen, tracker) for a in t[2:]]
        if tracker is not None:
            track_kinks(tracker, FUNCTIONS[t[1]], args)
        v = MP_CALLS[t[1]](*args)
    else:
        raise AssertionError(t)
    if tracker is not None:
        tracker.value(v)
    return v


def var_names(t, out: list[str]) -> list[str]:
    if t[0] == "var":
        if t[1] not in out:
            out.append(t[1])
    elif t[0] != "const":
        for child in t[1:]:
            if isinstance(child, tuple):
                var_names(child, out)
    return out


# ---------------------------------------------------------------- programs


def is_alias(t) -> bool:
    """``y`` or ``+y``: binding it makes a name for the input node itself, not a new node."""
    while t[0] == "pos":
        t = t[1]
    return t[0] == "var"


class Prog:
    """Statements ``[(target or None, tree)]``; the last one is the output."""

    def __init__(self, statements, separators) -> None:
        self.statements = statements
        self.separators = separators

    def text(self) -> str:
        parts = []
        for (target, tree), sep in zip(self.statements, self.separators):
            parts.append((f"{target} = " if target else "") + render(tree))
            parts.append(sep)
        return "".join(parts[:-1])

    def inputs(self) -> list[str]:
        """Names read before any binding of them: gradcli's inputs (Python rebinding)."""
        bound: set[str] = set()
        found: list[str] = []
        for target, tree in self.statements:
            for name in var_names(tree, []):
                if name not in bound and name not in found:
                    found.append(name)
            if target:
                bound.add(target)
        return found

    def run(self, point, frozen_envs=None, tracker=None):
        """Evaluate in mpmath; returns the output and the environment before each statement."""
        env = dict(point)
        envs = []
        value = None
        for k, (target, tree) in enumerate(self.statements):
            envs.append(dict(env))
            frozen = frozen_envs[k] if frozen_envs is not None else env
            value = mp_eval(tree, env, frozen, tracker)
            if target:
                env[target] = value
        return value, envs

    def __repr__(self) -> str:
        return repr(self.text())


CONSTS = st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.25, 1.5, -1.5, -0.5]) | st.floats(
    -3, 3, allow_nan=False, allow_infinity=False, width=32
).map(lambda c: round(c, 3))


def one(c):
    return ("const", c)


def positive(u, which):
    """A tree that is > 0 for every u (keeps log, sqrt, pow bases in their domain)."""
    if which == 0:
        return ("bin", "+", one(1.0), ("bin", "**", u, one(2.0)))
    if which == 1:
        return ("bin", "+", one(2.0), ("un", "sin", u))
    return ("bin", "+", one(0.5), ("un", "sigmoid", u))


def wrapped(wrapper: Wrapper | None, u, which):
    """A tree for ``u`` kept where the op's Domain asks: positive, or shift + scale*tanh(u)."""
    if wrapper is None:
        return u
    if wrapper.positive:
        return ("bin", "+", one(wrapper.shift), positive(u, which)) if wrapper.shift else positive(u, which)
    scaled = ("bin", "*", one(wrapper.scale), ("un", "tanh", u))
    return ("bin", "+", one(wrapper.shift), scaled) if wrapper.shift else scaled


def op_builders(op: Op) -> dict[str, object]:
    """Each spelling of ``op`` as a builder ``(draw, [u, v, w], which) -> tree``, its arguments
    wrapped as its Domain asks; an op with a parameter writes one of its oracle row's."""
    params = ORACLES[op.name].params

    def with_param(draw, args, which):
        c = draw(st.sampled_from(params))
        symbol = draw(st.sampled_from(["**", "^"]))
        return ("bin", symbol, wrapped(wrappers(op, c)[0], args[0], which), one(c))

    def with_option(draw, args, which):
        c = draw(st.sampled_from(params))
        return ("option", op.name, c, wrapped(wrappers(op, c)[0], args[0], which))

    if op.has_param:
        return {op.name: with_param if op.infix else with_option}
    found = {}
    if op.infix and op.arity == 1:
        found[op.name] = lambda draw, args, which: ("neg", args[0])
    elif op.infix:
        found[op.infix] = lambda draw, args, which: ("bin", op.infix, *wrapped_args(op, args, which))
    for name in op.callable_as:
        kind = "un" if op.arity == 1 else "call"
        found[name] = lambda draw, args, which, name=name, kind=kind: (kind, name, *wrapped_args(op, args, which))
    return found


def wrapped_args(op: Op, args, which) -> list:
    return [wrapped(w, u, which) for w, u in zip(wrappers(op), args)]


# Spellings of the grammar rather than of the op table, and clamp with ordered constant bounds
# and with lo = v, hi = v + 0.5 + w**2 > lo (v is shared, so gradients sum).
SYNTAX_BUILDERS = {
    "pos": lambda draw, args, which: ("pos", args[0]),
    "^": lambda draw, args, which: ("bin", "^", positive(args[0], which), args[1]),
    "clamp_ordered": lambda draw, args, which: (
        "call",
        "clamp",
        args[0],
        args[1],
        ("bin", "+", args[1], ("bin", "+", one(0.5), ("bin", "**", args[2], one(2.0)))),
    ),
    "clamp_const": lambda draw, args, which: ("call", "clamp", args[0], one(-1.0), one(0.75)),
}
BUILDERS = {
    **{key: build for op in SCALAR_OPS.values() if op.arity for key, build in op_builders(op).items()},
    **SYNTAX_BUILDERS,
}


def build_unary(draw, u, v, w):
    """One op applied to subtrees u (and v, w where the op needs more), in its smooth domain."""
    which = draw(st.integers(0, 2))
    kind = draw(st.sampled_from(sorted(BUILDERS)))
    return BUILDERS[kind](draw, [u, v, w], which)


@st.composite
def trees(draw, names, depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.integers(0, 4)) == 0:
            return one(draw(CONSTS))
        return ("var", draw(st.sampled_from(names)))
    u = draw(trees(names, depth - 1))
    v = draw(trees(names, depth - 1))
    w = ("var", draw(st.sampled_from(names)))
    return build_unary(draw, u, v, w)


SEPARATORS = st.sampled_from(["\n", ";", " ; ", "\n\n", "\n# a comment\n", "  # note\n", ";\n"])


@st.composite
def programs(draw):
    inputs = ["x", "y", "z"][: draw(st.integers(2, 3))]
    available = list(inputs)
    statements = []
    for _ in range(draw(st.integers(1, 4))):
        # A bare alias (`a = y`, later rebound) is covered by an xfail in test_grammar.py.
        tree = draw(trees(available, draw(st.integers(1, 3))).filter(lambda t: var_names(t, []) and not is_alias(t)))
        target = draw(st.sampled_from(["a", "b", "c", "x", "y", None]))
        statements.append((target, tree))
        if target and target not in available:
            available.append(target)
    # The output reuses every bound name and input at least once more: many paths.
    out_target = draw(st.sampled_from([None, "out"]))
    combined = ("var", available[0])
    for name in available[1:]:
        combined = ("bin", draw(st.sampled_from(["+", "*", "-"])), combined, ("var", name))
    final = draw(trees(available, 2))
    statements.append((out_target, ("bin", "+", combined, final)))
    seps = [draw(SEPARATORS) for _ in statements]
    return Prog(statements, seps)


POINTS = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


def close(got: float, want, rel: float = REL, abs_tol: float = ABS) -> bool:
    return support.close(got, float(want), rel=rel, abs=abs_tol)


def check_program(prog: Prog, values: dict[str, float], require=assume) -> None:
    names = prog.inputs()
    point = {n: values[n] for n in names}
    mp_point = {n: mp.mpf(v) for n, v in point.items()}

    tracker = Tracker()
    try:
        reference, base_envs = prog.run(mp_point, tracker=tracker)
    except ZeroDivisionError:  # x**-1 at exactly 0: outside every op's smooth domain
        require(False)
        return
    except OverflowError:  # e.g. exp((1 + x**2)**(1/z)) at z ~ 1e-289: the oracle itself cannot
        require(False)
        return
    require(tracker.margin > KINK_MARGIN)
    require(tracker.magnitude < MAX_MAGNITUDE)

    def partial(name):
        def f(t):
            moved = dict(mp_point)
            moved[name] = t
            return prog.run(moved, frozen_envs=base_envs)[0]

        return mpmath.diff(f, mp_point[name])

    want_grad = {n: partial(n) for n in names}
    require(all(abs(g) < 1e6 for g in want_grad.values()))

    ev = gradcli.evaluate(prog.text(), point)
    assert close(ev.value, reference), (prog.text(), point, ev.value, reference)
    assert set(ev.gradient) == set(names), (prog.text(), ev.gradient)
    for n in names:
        assert close(ev.gradient[n], want_grad[n]), (prog.text(), point, n, ev.gradient[n], want_grad[n])
    assert ev.anomalies == []


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(prog=programs(), x=POINTS, y=POINTS, z=POINTS)
def test_random_programs_match_mpmath(prog, x, y, z):
    check_program(prog, {"x": x, "y": y, "z": z})


def _must(condition: bool) -> None:
    assert condition


def test_program_renderer_and_oracle_examples():
    """The tree machinery itself, on programs whose answer is known by hand."""
    assert mp.dps == DIGITS
    prog = Prog(
        [
            ("a", ("bin", "*", ("var", "x"), ("var", "y"))),
            ("a", ("bin", "+", ("var", "a"), ("var", "a"))),  # rebinding reads the old a
            (None, ("bin", "*", ("var", "a"), ("un", "stop_gradient", ("var", "x")))),
        ],
        ["\n", ";", ""],
    )
    assert prog.text() == "a = (x * y)\na = (a + a);(a * stop_gradient(x))"
    assert prog.inputs() == ["x", "y"]
    # out = 2*x*y * sg(x): d/dx = 2*y*x (x frozen) = 12 at (2, 3); d/dy = 2*x*x = 8
    check_program(prog, {"x": 2.0, "y": 3.0}, require=_must)
    ev = gradcli.evaluate(prog.text(), {"x": 2.0, "y": 3.0})
    assert (ev.value, ev.gradient) == (24.0, {"x": 12.0, "y": 8.0})


# ---------------------------------------------------------------- every op on its own


WIDE = 30.0  # single ops are checked for arguments up to 30 in size (exp(30), atan(-30), x**-2.5 at 30)


def span(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo, hi):
    return st.tuples(st.sampled_from([-1.0, 1.0]), span(lo, hi)).map(lambda p: p[0] * p[1])


def argument_strategy(op: Op, k: int, param: float | None):
    """Argument ``k`` of ``op`` from its Domain's box, up to WIDE; for an exponent that allows any
    base (x**3, x**-1), any real base, clear of 0 where 0 is outside the domain."""
    interval = op.valid.sampling_interval(k)
    if param is not None and op.infix and op.valid.contains(-2.5, param):
        interval = Interval(holes=() if op.valid.contains(0.0, param) else (0.0,))
    strategy = span(*interval.window(WIDE))
    return strategy.filter(interval.clear_of_holes) if interval.holes else strategy


def clear_of_kinks(op: Op):
    """The condition on a point of ``op``: clear of its kinks and of the oracle's ties."""
    if op.kink is None and ORACLES[op.name].oracle_ties is None:
        return None
    ties = ORACLES[op.name].oracle_ties

    def clear(*args):
        distances = (*(op.kink(*args) if op.kink else ()), *(ties(*args) if ties else ()))
        return all(abs(d) > KINK_MARGIN for d in distances)

    return clear


def single_op_rows(op: Op) -> list[tuple]:
    """``(id, program, mpmath reference, argument strategies, condition)`` for each spelling of
    ``op`` (and each parameter of its oracle row); no reference: no gradient flows."""
    oracle, names, rows = ORACLES[op.name], list(NAMES[: op.arity]), []
    for param in oracle.params if op.has_param else (None,):
        extra = () if param is None else (param,)
        reference = None if oracle.no_gradient else (lambda *args, extra=extra: oracle.mp(*args, *extra))
        strategies = [argument_strategy(op, k, param) for k in range(op.arity)]
        for text in spellings(op, in_call_order(op, names, [f"{c:g}" for c in extra])):
            rows.append((text, text, reference, strategies, clear_of_kinks(op)))
    return rows


NAMES = ("x", "y", "z")
# name, program in x (y, z), mpmath reference, argument strategies, extra condition
SINGLE_OPS = [row for op in SCALAR_OPS.values() if op.arity for row in single_op_rows(op)] + [
    # spellings of the grammar rather than of the op table
    ("pos", "+x", lambda x: x, [span(-WIDE, WIDE)], None),
    ("pow_caret", "x ^ y", mp.power, [span(0.01, 20), span(-3, 3)], None),
    ("powc_caret_minus_2", "x^-2", lambda x: x**-2, [away_from_zero(0.01, 50)], None),
    ("powc_const_base", "2**x", lambda x: mp.power(2, x), [span(-20, 20)], None),
]


def ops_in(text: str) -> set[str]:
    return {op.name for op in gradcli.parse(text).graph.ops}


@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_the_tables_hold_every_op(data):
    """Generated from the op table: every op (but the leaves, const and var) in both tables."""
    ops = {op.name for op in SCALAR_OPS.values() if op.arity}
    args = [("var", "x"), ("var", "y"), ("var", "z")]
    built = [render(build(data.draw, args, 0)) for build in BUILDERS.values()]
    assert ops <= set().union(*map(ops_in, built))
    assert ops <= set().union(*(ops_in(text) for _, text, *_ in SINGLE_OPS))


@pytest.mark.parametrize("name, text, reference, domains, condition", SINGLE_OPS, ids=[s[0] for s in SINGLE_OPS])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_each_op_matches_mpmath(name, text, reference, domains, condition, data):
    args = [data.draw(d, label=f"arg{k}") for k, d in enumerate(domains)]
    if condition is not None:
        assume(condition(*args))
    names = ["x", "y", "z"][: len(args)]
    point = dict(zip(names, args))
    ev = gradcli.evaluate(text, point)
    mp_args = [mp.mpf(a) for a in args]
    if reference is None:  # stop_gradient / detach: the value passes, no gradient does
        assert ev.value == args[0]
        assert ev.gradient == {"x": 0.0}
        return
    assert close(ev.value, reference(*mp_args), abs_tol=TINY), (text, point, ev.value)
    for k, n in enumerate(names):

        def f(t, k=k):
            moved = list(mp_args)
            moved[k] = t
            return reference(*moved)

        want = mpmath.diff(f, mp_args[k])
        assert close(ev.gradient[n], want, abs_tol=TINY), (text, point, n, ev.gradient[n], want)


# ---------------------------------------------------------------- precision defects


def test_sigmoid_derivative_is_symmetric_and_accurate_in_the_tail():
    want = float(mpmath.diff(_sigmoid, mp.mpf(40)))  # 4.248354255291589e-18
    right = gradcli.evaluate("sigmoid(x)", {"x": 40.0}).gradient["x"]
    left = gradcli.evaluate("sigmoid(x)", {"x": -40.0}).gradient["x"]
    assert close(left, want, abs_tol=0.0)
    assert close(right, want, abs_tol=0.0)


def test_tanh_derivative_accurate_in_the_tail():
    want = float(mpmath.diff(mp.tanh, mp.mpf(20)))
    assert close(gradcli.evaluate("tanh(x)", {"x": 20.0}).gradient["x"], want, abs_tol=0.0)


# ---------------------------------------------------------------- derivative rules at special points

# The README's conventions where a function has no derivative (PyTorch's), by hand.
CONVENTIONS = [
    ("relu(x)", {"x": 0.0}, 0.0, {"x": 0.0}, True),
    ("abs(x)", {"x": 0.0}, 0.0, {"x": 0.0}, True),
    ("sign(x)", {"x": 0.0}, 0.0, {"x": 0.0}, True),
    ("step(x)", {"x": 0.0}, 0.0, {"x": 0.0}, True),
    ("max(x, y)", {"x": 2.0, "y": 2.0}, 2.0, {"x": 0.5, "y": 0.5}, True),
    ("min(x, y)", {"x": 2.0, "y": 2.0}, 2.0, {"x": 0.5, "y": 0.5}, True),
    ("clamp(x, lo, hi)", {"x": -1.0, "lo": -1.0, "hi": 1.0}, -1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}, True),
    ("clamp(x, lo, hi)", {"x": 1.0, "lo": -1.0, "hi": 1.0}, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}, True),
    ("clamp(x, lo, hi)", {"x": 5.0, "lo": -1.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}, False),
    ("clamp(x, lo, hi)", {"x": -5.0, "lo": -1.0, "hi": 1.0}, -1.0, {"x": 0.0, "lo": 1.0, "hi": 0.0}, False),
    ("relu(x) + abs(x)", {"x": -2.0}, 2.0, {"x": -1.0}, False),
]


@pytest.mark.parametrize(
    "program, at, value, gradient, on_kink", CONVENTIONS, ids=[f"{c[0]}@{c[1]}" for c in CONVENTIONS]
)
def test_conventions_at_kinks(program, at, value, gradient, on_kink):
    ev = gradcli.evaluate(program, at)
    assert (ev.value, ev.gradient) == (value, gradient)
    assert bool(ev.kinks) == on_kink, ev.kinks


@pytest.mark.parametrize(
    "program",
    [
        "x**0",
        "pow(x, 0)",
        pytest.param(
            "pow(x, y)",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known: general pow at x = y = 0 gives y*x**(y-1) = 0*inf = nan; "
                "PyTorch special-cases a zero exponent (a select primitive would express it)",
            ),
        ),
    ],
)
def test_power_with_exponent_zero_at_base_zero(program):
    ev = gradcli.evaluate(program, {"x": 0.0, "y": 0.0} if "y" in program else {"x": 0.0})
    assert ev.value == 1.0
    want = mpmath.diff(lambda t: mp.power(t, 0), 0)  # 0: the function is constant
    assert ev.gradient["x"] == float(want)


@pytest.mark.parametrize("x", [1.5, 0.0])
def test_clamp_with_crossed_bounds(x):
    lo, hi = 2.0, 1.0
    ev = gradcli.evaluate("clamp(x, lo, hi)", {"x": x, "lo": lo, "hi": hi})
    assert ev.value == hi
    point = [mp.mpf(x), mp.mpf(lo), mp.mpf(hi)]
    for k, name in enumerate(["x", "lo", "hi"]):

        def f(t, k=k):
            moved = list(point)
            moved[k] = t
            return MP_CALLS["clamp"](*moved)

        assert ev.gradient[name] == float(mpmath.diff(f, point[k])), (name, ev.gradient)
