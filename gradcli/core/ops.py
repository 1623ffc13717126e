"""The op table: every primitive declared once.

Each :class:`Op` carries its arity, its float64 forward rule, and its local partial
derivatives written *in terms of other primitives* over an algebra ``A``: the same
rule gives numbers when ``A`` works on floats and a derivative graph when ``A`` builds
nodes (see :mod:`gradcli.core.algebra`). Reverse mode, the trace and the symbolic work all
read these rules; adding an operation is one entry in :data:`OPS`.

A rule is ``partials(A, out, *args)`` (``param`` last for parameterised ops) and
returns one local partial per argument; ``out`` is the op's own output, which rules
may reuse (``exp' = out``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from gradcli.core import kernels as k

# Binding strength when printing, lowest first (Python's ladder).
PREC_ADD = 1
PREC_MUL = 2
PREC_UNARY = 3
PREC_POW = 4
PREC_ATOM = 5


class Op(NamedTuple):
    """One primitive: how to compute it, differentiate it and print it."""

    name: str
    arity: int
    forward: Callable[..., float]
    partials: Callable[..., tuple[Any, ...]] | None
    infix: str | None = None
    precedence: int = PREC_ATOM
    latex: str | None = None
    domain: str = ""
    kink: Callable[..., tuple[float, ...]] | None = None  # signed distances to the kinks (see on_kink)
    convention: str = ""
    has_param: bool = False
    callable_as: tuple[str, ...] = ()
    doc: str = ""

    @property
    def differentiable(self) -> bool:
        return self.partials is not None

    def on_kink(self, *args: float) -> bool:
        """Whether the op has no derivative at these arguments: one of its kink distances is 0.

        A distance changes sign where the arguments cross that kink, which is how a finite
        difference step is kept from straddling one.
        """
        return self.kink is not None and any(d == 0 for d in self.kink(*args))


def _binary(name, fwd, rule, symbol, prec, latex, **kw) -> Op:
    return Op(name, 2, fwd, rule, infix=symbol, precedence=prec, latex=latex, **kw)


def _unary(name, fwd, rule, latex=None, names=None, **kw) -> Op:
    return Op(name, 1, fwd, rule, latex=latex, callable_as=names or (name,), **kw)


def _jump(name: str, fwd, convention: str, doc: str = "") -> Op:
    """A step function: derivative 0 everywhere, and no derivative at the jump (x = 0)."""
    return _unary(name, fwd, lambda A, out, x: (A.zero,), kink=lambda x: (x,), convention=convention, doc=doc)


def _tanh_derivative(A, x):
    """1 - tanh(x)**2, written as 4*sigmoid(2x)*sigmoid(-2x)."""
    rising, falling = A.sigmoid(A.mul(A.const(2.0), x)), A.sigmoid(A.mul(A.const(-2.0), x))
    return A.mul(A.const(4.0), A.mul(rising, falling))


def _clamp_partials(A, out, x, lo, hi):
    """clamp = min(max(x, lo), hi): hi wins when max(x, lo) > hi, else lo when x < lo, else x.

    The three partials add up to 1, also when lo > hi (then the value is hi).
    """
    above = A.step(A.sub(A.max(x, lo), hi))
    below = A.step(A.sub(lo, x))
    inside = A.sub(A.one, above)
    return (A.mul(inside, A.sub(A.one, below)), A.mul(inside, below), above)


def _log_base(base: int, fwd) -> Op:
    """log2 or log10: d/dx = 1/(x*log(base))."""
    return _unary(
        f"log{base}",
        fwd,
        lambda A, out, x: (A.div(A.one, A.mul(x, A.log(A.const(float(base))))),),
        latex=f"\\log_{{{base}}}",
        domain="a positive argument",
    )


def _extremum(name, fwd, winner_sign: float) -> Op:
    """max (winner_sign 1) or min (-1): the gradient goes to the winner, split 0.5/0.5 at a tie.

    d/dx = (1 + s*sign(x - y))/2 and d/dy = (1 - s*sign(x - y))/2, written with
    ``add``/``sub`` so that the symbolic form reads naturally.
    """
    toward_x, toward_y = ("add", "sub") if winner_sign > 0 else ("sub", "add")

    def partials(A, out, x, y):
        s = A.sign(A.sub(x, y))
        half = A.const(0.5)
        return (A.mul(half, getattr(A, toward_x)(A.one, s)), A.mul(half, getattr(A, toward_y)(A.one, s)))

    return Op(
        name,
        2,
        fwd,
        partials,
        latex=f"\\{name}",
        kink=lambda x, y: (x - y,),
        convention=f"at a tie the gradient is split evenly, 0.5 to each argument (as torch.{name}imum)",
        callable_as=(name,),
    )


_OP_LIST: list[Op] = [
    Op("const", 0, None, (lambda A, out: ()), doc="a number"),  # type: ignore[arg-type]
    Op("var", 0, None, (lambda A, out: ()), doc="an input"),  # type: ignore[arg-type]
    _binary("add", k.add, lambda A, out, x, y: (A.one, A.one), "+", PREC_ADD, "+"),
    _binary("sub", k.sub, lambda A, out, x, y: (A.one, A.const(-1.0)), "-", PREC_ADD, "-"),
    _binary("mul", k.mul, lambda A, out, x, y: (y, x), "*", PREC_MUL, "\\cdot"),
    _binary(
        "div",
        k.div,
        lambda A, out, x, y: (A.div(A.one, y), A.neg(A.div(out, y))),
        "/",
        PREC_MUL,
        "\\frac",
        domain="a nonzero divisor",
    ),
    Op("neg", 1, k.neg, lambda A, out, x: (A.const(-1.0),), infix="-", precedence=PREC_UNARY, latex="-"),
    _binary(
        "pow",
        k.power,
        lambda A, out, x, y: (A.mul(y, A.pow(x, A.sub(y, A.one))), A.xlogy(out, x)),
        "**",
        PREC_POW,
        "^",
        domain="a positive base, or an integer exponent",
        callable_as=("pow",),
    ),
    Op(
        "powc",
        1,
        k.power,
        # x**0 is the constant 1: its derivative is 0 everywhere, also at x = 0.
        lambda A, out, x, c: (A.zero,) if c == 0 else (A.mul(A.const(c), A.powc(x, c - 1.0)),),
        infix="**",
        precedence=PREC_POW,
        latex="^",
        has_param=True,
        doc="x ** c for a number c written in the program",
        domain="a non-negative base unless the exponent is an integer",
    ),
    _unary("exp", k.exp, lambda A, out, x: (out,)),
    _unary(
        "log",
        k.log,
        lambda A, out, x: (A.div(A.one, x),),
        names=("log", "ln"),
        latex="\\ln",
        domain="a positive argument",
    ),
    _log_base(2, k.log2),
    _log_base(10, k.log10),
    _unary(
        "sqrt", k.sqrt, lambda A, out, x: (A.div(A.const(0.5), out),), latex="\\sqrt", domain="a non-negative argument"
    ),
    _unary("sin", k.sin, lambda A, out, x: (A.cos(x),), latex="\\sin"),
    _unary("cos", k.cos, lambda A, out, x: (A.neg(A.sin(x)),), latex="\\cos"),
    _unary("tan", k.tan, lambda A, out, x: (A.add(A.one, A.powc(out, 2.0)),), latex="\\tan"),
    _unary(
        "asin",
        k.asin,
        lambda A, out, x: (A.div(A.one, A.sqrt(A.sub(A.one, A.powc(x, 2.0)))),),
        latex="\\arcsin",
        domain="an argument in [-1, 1]",
    ),
    _unary(
        "acos",
        k.acos,
        lambda A, out, x: (A.neg(A.div(A.one, A.sqrt(A.sub(A.one, A.powc(x, 2.0))))),),
        latex="\\arccos",
        domain="an argument in [-1, 1]",
    ),
    _unary("atan", k.atan, lambda A, out, x: (A.div(A.one, A.add(A.one, A.powc(x, 2.0))),), latex="\\arctan"),
    _unary("sinh", k.sinh, lambda A, out, x: (A.cosh(x),), latex="\\sinh"),
    _unary("cosh", k.cosh, lambda A, out, x: (A.sinh(x),), latex="\\cosh"),
    # tanh' = 1 - tanh(x)**2 loses every digit once tanh(x) rounds to 1 (|x| > 19), and
    # cosh(x)**-2 overflows in its own derivative (inf * 0 at |x| > 710). The same function as
    # 4*sigmoid(2x)*sigmoid(-2x) is accurate in the tails and finite at every order.
    _unary("tanh", k.tanh, lambda A, out, x: (_tanh_derivative(A, x),), latex="\\tanh"),
    # sigmoid' = sigmoid(x)*(1 - sigmoid(x)), with 1 - sigmoid(x) = sigmoid(-x) for accuracy.
    _unary("sigmoid", k.sigmoid, lambda A, out, x: (A.mul(out, A.sigmoid(A.neg(x))),), latex="\\sigma"),
    _unary("softplus", k.softplus, lambda A, out, x: (A.sigmoid(x),)),
    _unary(
        "relu",
        k.relu,
        lambda A, out, x: (A.step(x),),
        kink=lambda x: (x,),
        convention="relu'(0) = 0 (PyTorch's convention); one-sided derivatives are 0 (left) and 1 (right)",
    ),
    _unary(
        "abs",
        k.absolute,
        lambda A, out, x: (A.sign(x),),
        kink=lambda x: (x,),
        convention="abs'(0) = 0 (PyTorch's convention); one-sided derivatives are -1 (left) and 1 (right)",
    ),
    _jump("sign", k.sign, "sign'(0) is taken as 0 (the jump has no derivative)"),
    _jump(
        "step",
        k.step,
        "step(0) = 0 and step'(0) is taken as 0 (the jump has no derivative)",
        doc="1 where x > 0, else 0 (the derivative of relu)",
    ),
    _extremum("max", k.maximum, winner_sign=1.0),
    _extremum("min", k.minimum, winner_sign=-1.0),
    Op(
        "clamp",
        3,
        k.clamp,
        _clamp_partials,
        latex="\\operatorname{clamp}",
        kink=lambda x, lo, hi: (x - lo, x - hi),
        convention="at a boundary (x = lo or x = hi) the gradient goes to x, as torch.clamp does",
        callable_as=("clamp",),
    ),
    Op(
        "xlogy",
        2,
        k.xlogy,
        lambda A, out, x, y: (A.log(y), A.div(x, y)),
        latex="\\operatorname{xlogy}",
        callable_as=("xlogy",),
        doc="x * log(y), and 0 where x = 0",
    ),
    Op(
        "stop_gradient",
        1,
        k.identity,
        None,
        latex="\\operatorname{sg}",
        callable_as=("stop_gradient", "detach"),
        doc="the value of x; no gradient flows through it",
    ),
]

OPS: dict[str, Op] = {op.name: op for op in _OP_LIST}

#: Function names a program may call, including aliases (``ln`` -> ``log``).
FUNCTIONS: dict[str, Op] = {name: op for op in _OP_LIST for name in op.callable_as}

#: Named constants of the language.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def constant_name(value: float, constants: Mapping[str, float] = CONSTANTS) -> str | None:
    """The name of the constant ``|value|`` is (``pi``, ``e``) among ``constants``, if any."""
    return next((name for name, constant in constants.items() if abs(value) == constant), None)
