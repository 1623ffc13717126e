"""Every op of the op table against two independent oracles: mpmath and SymPy.

One test, parametrised over ``OPS`` itself, writes each op as a program in every spelling
the table gives it (``x ** y`` and ``pow(x, y)``, ``log`` and ``ln``) and checks its value,
its gradient by reverse mode, forward mode and the symbolic derivative, and its second
derivatives by forward-over-reverse and the symbolic second derivative, at points drawn from
the op's own domain (:attr:`Op.valid`), away from its kinks. The oracles live in
:data:`ORACLES`, one row per op: the op's value in mpmath (differentiated with ``mp.diff``
at 40 digits) and its SymPy counterpart (differentiated with ``sympy.diff``). An op without
a row fails the test, and so does a kinked op without a hand-checked case at its kink.

The other property tests build their op tables from ``OPS`` and this table.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Callable
from typing import NamedTuple

import pytest
import sympy
from mpmath import mp
from mpmath.libmp import prec_to_dps
from support import DIGITS, assert_clean_error, cli, close, high_precision  # noqa: F401 - the fixture applies by import

import gradcli
from gradcli.ad.forward_mode import forward_mode
from gradcli.ad.second_order import hessian
from gradcli.ad.symbolic import derivative, derivative_program, second_derivative
from gradcli.core.ops import OPS, SCALAR_OPS, Op
from gradcli.syntax.infix import to_infix

POINTS_PER_OP = 6
NAMES = ("x", "y", "z")
SYMBOLS = [sympy.Symbol(name, real=True) for name in NAMES]
# One op at a float point: the oracles are exact there (40 digits), so gradcli's error is its
# own rounding: a kernel within a few ulps, and a derivative rule a handful of float64
# operations on such values (tanh' as 4*sigmoid(2x)*sigmoid(-2x); acos'' through 1 - x**2,
# with |x| <= 0.99 by the sampler's margin). The worst seen over 30 points per op is 1.3e-15
# (acos''); 1e-13 leaves a factor of ~80. Results that cancel to about 0 (sigmoid''(0), cos
# near pi/2) are compared absolutely, at the same 1e-13 of the ops' scale of 1.
REL = 1e-13


class SG(sympy.Function):
    """stop_gradient for SymPy: its value is its operand, its derivative is 0."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number:  # a constant stays constant: no need to freeze it
            return arg
        return None

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_evalf(self, prec):
        return self.args[0]._eval_evalf(prec)


class Sgn(sympy.Function):
    """sign for the oracle side: sign' = 0 away from 0 (SymPy's own sign cannot always be
    differentiated: diff(sign(acos(tanh(x)/2)), x) raises)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _eval_evalf(self, prec):
        return sympy.sign(self.args[0])._eval_evalf(prec)


class Jump(sympy.Function):
    """A step function for the oracle side (floor, ceiling, round): its derivative is 0 away from
    the jumps (SymPy leaves ``Derivative(floor(x), x)`` unevaluated)."""

    nargs = 1
    rounding: Callable = sympy.floor
    shift: float = 0.0

    @classmethod
    def of(cls, rounding: Callable, shift: float = 0.0) -> type:
        return type(f"Jump_{rounding.__name__}_{shift}", (cls,), {"rounding": rounding, "shift": shift})

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real  # else min(0.5, atan2(0.5, x != 0.5)) is "not comparable"

    def _eval_evalf(self, prec):
        return type(self).rounding(self.args[0] + type(self).shift)._eval_evalf(prec)


def _heaviside(at_zero: int) -> Callable:
    def step(u):
        return sympy.Heaviside(u, at_zero)

    step.__name__ = f"heaviside_{at_zero}"
    return step


STEP_AT_0 = Jump.of(_heaviside(0))  # 1 for u > 0, else 0: a comparison as a function of a difference
STEP_AT_1 = Jump.of(_heaviside(1))  # 1 for u >= 0


class AtKink(NamedTuple):
    """A hand-checked value and gradient where the op has no derivative (its convention)."""

    point: tuple[float, ...]
    value: float
    gradient: tuple[float, ...]


class Oracle(NamedTuple):
    """An op's independent counterparts: an mpmath function and a SymPy function of its
    arguments (the parameter last), and its conventions where it has no derivative."""

    mp: Callable
    sympy: Callable
    at_kinks: tuple[AtKink, ...] = ()
    # stop_gradient: the value passes, no derivative does (both oracles see the identity)
    no_gradient: bool = False
    # Where SymPy's Heaviside(0) = 1/2 differs from gradcli's convention although the op's own
    # kinks are clear (clamp with lo == hi): signed distances, kept clear of in random programs.
    oracle_ties: Callable[..., tuple] | None = None
    # Parameters random programs write (x**2, x**-1, ...; test_symbolic_compare writes the
    # first four, test_properties all); the sampled points of test_ops draw their own.
    params: tuple[float, ...] = ()


def mp_sigmoid(u):
    return 1 / (1 + mp.exp(-u))


def mp_sign(u):
    return mp.mpf(1) if u > 0 else (mp.mpf(-1) if u < 0 else mp.mpf(0))


def mp_xlogy(a, b):
    return mp.mpf(0) if a == 0 else a * mp.log(b)


def mp_clamp(u, lo, hi):
    return min(max(u, lo), hi)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946  # as in PyTorch


def mp_elu(u, alpha, input_scale=1):
    return u if u > 0 else alpha * (mp.exp(input_scale * u) - 1)


def sympy_elu(u, alpha, input_scale=1):
    alpha = sympy.Rational(alpha)
    return sympy.Piecewise((u, u > 0), (alpha * (sympy.exp(input_scale * u) - 1), True))


def mp_spherical_jn(u, n):
    """The spherical Bessel function j_n, sqrt(pi/(2u))*J_(n+1/2)(u), odd or even in u as n is."""
    n = int(n)
    if u == 0:
        return mp.mpf(1 if n == 0 else 0)
    if u < 0:
        return (-1) ** n * mp_spherical_jn(-u, n)
    return mp.sqrt(mp.pi / (2 * u)) * mp.besselj(n + mp.mpf(0.5), u)


class SphericalJ(sympy.Function):
    """The spherical Bessel function j_n(x) for the oracle side, differentiated by the recurrence
    j_n' = (n*j_(n-1) - (n+1)*j_(n+1))/(2n+1) (j_0' = -j_1) and valued by mpmath: SymPy's own jn
    differentiates to a form with 1/x, nan at x = 0 (where sinc's derivatives are)."""

    nargs = 2

    def fdiff(self, argindex=2):
        n, u = self.args
        if n == 0:
            return -SphericalJ(1, u)
        return (n * SphericalJ(n - 1, u) - (n + 1) * SphericalJ(n + 1, u)) / (2 * n + 1)

    @classmethod
    def eval(cls, n, u):
        if u.is_Number:  # a number, as sympy.besselj(1, 1/2) is not: then atan2 of it stays real
            return sympy.Float(mp_spherical_jn(mp.mpf(str(u)), int(n)), DIGITS + 10)
        return None

    def _eval_is_extended_real(self):
        return self.args[1].is_extended_real

    def _eval_evalf(self, prec):
        n, u = self.args
        at = u._eval_evalf(prec) if not u.is_Number else u
        if not at.is_Number:
            return None
        with mp.workprec(prec):
            return sympy.Float(mp_spherical_jn(mp.mpf(str(at)), int(n)), precision=prec)


class Atan2(sympy.Function):
    """atan2(y, x) for the oracle side, valued by mpmath: SymPy's atan2 of an argument whose sign it
    cannot decide (besselj(1, 1/2)) evaluates through logarithms, with an imaginary part of 1e-219."""

    nargs = 2

    def fdiff(self, argindex=1):
        y, x = self.args
        return (x if argindex == 1 else -y) / (x**2 + y**2)

    def _eval_is_extended_real(self):
        return all(a.is_extended_real for a in self.args)

    def _eval_evalf(self, prec):
        y, x = (a.evalf(prec_to_dps(prec)) for a in self.args)
        if not (y.is_Number and x.is_Number):
            return None
        with mp.workprec(prec):
            return sympy.Float(mp.atan2(mp.mpf(str(y)), mp.mpf(str(x))), precision=prec)


T = sympy.Symbol("t", real=True)


def mp_erfcx_derivative(u, n: int):
    """The n-th derivative of exp(u**2)*erfc(u) by f_(k+1) = 2u*f_k + 2k*f_(k-1), at mpmath's precision."""
    previous = mp.exp(u**2) * mp.erfc(u)
    if n == 0:
        return previous
    current = 2 * u * previous - 2 / mp.sqrt(mp.pi)
    for k in range(1, n):
        previous, current = current, 2 * u * current + 2 * k * previous
    return current


def sympy_trunc(u):
    return sympy.sign(u) * sympy.floor(sympy.Abs(u))


ORACLES: dict[str, Oracle] = {
    "const": Oracle(lambda c: mp.mpf(c), lambda c: c),
    "var": Oracle(lambda x: x, lambda x: x),
    "add": Oracle(lambda x, y: x + y, lambda x, y: x + y),
    "sub": Oracle(lambda x, y: x - y, lambda x, y: x - y),
    "mul": Oracle(lambda x, y: x * y, lambda x, y: x * y),
    "div": Oracle(lambda x, y: x / y, lambda x, y: x / y),
    "neg": Oracle(lambda x: -x, lambda x: -x),
    "pow": Oracle(mp.power, sympy.Pow),
    "powc": Oracle(
        mp.power, lambda x, c: x ** sympy.Rational(c), params=(2.0, -1.0, 0.5, 3.0, 1.0, 1.5, -0.5, -2.5, 0.3)
    ),
    "exp": Oracle(mp.exp, sympy.exp),
    "log": Oracle(mp.log, sympy.log),
    "log2": Oracle(lambda x: mp.log(x, 2), lambda x: sympy.log(x, 2)),
    "log10": Oracle(lambda x: mp.log(x, 10), lambda x: sympy.log(x, 10)),
    "sqrt": Oracle(mp.sqrt, sympy.sqrt),
    "sin": Oracle(mp.sin, sympy.sin),
    "cos": Oracle(mp.cos, sympy.cos),
    "tan": Oracle(mp.tan, sympy.tan),
    "asin": Oracle(mp.asin, sympy.asin),
    "acos": Oracle(mp.acos, sympy.acos),
    "atan": Oracle(mp.atan, sympy.atan),
    "sinh": Oracle(mp.sinh, sympy.sinh),
    "cosh": Oracle(mp.cosh, sympy.cosh),
    "tanh": Oracle(mp.tanh, sympy.tanh),
    "sigmoid": Oracle(mp_sigmoid, lambda u: 1 / (1 + sympy.exp(-u))),
    "softplus": Oracle(
        lambda u, b=1.0: mp.log(1 + mp.exp(b * u)) / b,
        lambda u, b=1.0: sympy.log(1 + sympy.exp(sympy.Rational(b) * u)) / sympy.Rational(b),
        params=(1.0, 2.0, 0.5, -1.0),
    ),
    "erf": Oracle(mp.erf, sympy.erf),
    "asinh": Oracle(mp.asinh, sympy.asinh),
    "acosh": Oracle(mp.acosh, sympy.acosh),
    "atanh": Oracle(mp.atanh, sympy.atanh),
    "log1p": Oracle(mp.log1p, lambda u: sympy.log(1 + u)),
    "expm1": Oracle(mp.expm1, lambda u: sympy.exp(u) - 1),
    "exp2": Oracle(lambda u: mp.power(2, u), lambda u: 2**u),
    "rsqrt": Oracle(lambda u: 1 / mp.sqrt(u), lambda u: 1 / sympy.sqrt(u)),
    "cbrt": Oracle(
        lambda u: mp.sign(u) * mp.cbrt(abs(u)),
        lambda u: Sgn(u) * sympy.Abs(u) ** sympy.Rational(1, 3),
        (AtKink((0.0,), 0.0, (math.inf,)),),
    ),
    "square": Oracle(lambda u: u * u, lambda u: u**2),
    "hypot": Oracle(mp.hypot, lambda u, v: sympy.sqrt(u**2 + v**2), (AtKink((0.0, 0.0), 0.0, (0.0, 0.0)),)),
    # On the branch cut (y = 0, x < 0) the angle jumps from pi to -pi: a difference quotient of a
    # program sees the jump, or through an even function of the angle (1 + atan2(y, x)**2) a kink.
    "atan2": Oracle(
        mp.atan2, Atan2, (AtKink((0.0, 0.0), 0.0, (0.0, 0.0)),), oracle_ties=lambda y, x: (y if x < 0 else 1.0,)
    ),
    "sinc": Oracle(mp.sincpi, lambda u: SphericalJ(0, sympy.pi * u)),
    "logaddexp": Oracle(
        lambda a, b: mp.log(mp.exp(a) + mp.exp(b)), lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b))
    ),
    "gelu": Oracle(lambda u: u * mp.ncdf(u), lambda u: u * (1 + sympy.erf(u / sympy.sqrt(2))) / 2),
    "gelu_tanh": Oracle(
        lambda u: u / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (u + mp.mpf(0.044715) * u**3))),
        lambda u: u / 2 * (1 + sympy.tanh(sympy.sqrt(2 / sympy.pi) * (u + sympy.Rational(0.044715) * u**3))),
    ),
    "silu": Oracle(lambda u: u * mp_sigmoid(u), lambda u: u / (1 + sympy.exp(-u))),
    "mish": Oracle(lambda u: u * mp.tanh(mp.log(1 + mp.exp(u))), lambda u: u * sympy.tanh(sympy.log(1 + sympy.exp(u)))),
    "elu": Oracle(
        lambda u, a: mp_elu(u, a),
        lambda u, a: sympy_elu(u, a),
        (AtKink((0.0,), 0.0, (1.0,)),),
        params=(1.0, 0.5, 2.0),
    ),
    "selu": Oracle(
        lambda u: SELU_SCALE * mp_elu(u, SELU_ALPHA),
        lambda u: sympy.Rational(SELU_SCALE) * sympy_elu(u, SELU_ALPHA),
        (AtKink((0.0,), 0.0, (SELU_SCALE * SELU_ALPHA,)),),
    ),
    "celu": Oracle(
        lambda u, a: mp_elu(u, a, 1 / mp.mpf(a)),
        lambda u, a: sympy_elu(u, a, 1 / sympy.Rational(a)),
        (AtKink((0.0,), 0.0, (1.0,)),),
        params=(1.0, 0.5, 2.0),
    ),
    "leaky_relu": Oracle(
        lambda u, s: u if u > 0 else s * u,
        lambda u, s: sympy.Piecewise((u, u > 0), (sympy.Rational(s) * u, True)),
        (AtKink((0.0,), 0.0, (0.01,)),),
        params=(0.01, 0.2, -0.5),
    ),
    "relu6": Oracle(
        lambda u: mp_clamp(u, 0, 6),
        lambda u: sympy.Min(sympy.Max(u, 0), 6),
        (AtKink((0.0,), 0.0, (0.0,)), AtKink((6.0,), 6.0, (0.0,))),
    ),
    "hardtanh": Oracle(
        lambda u: mp_clamp(u, -1, 1),
        lambda u: sympy.Min(sympy.Max(u, -1), 1),
        (AtKink((-1.0,), -1.0, (0.0,)), AtKink((1.0,), 1.0, (0.0,))),
    ),
    "hardsigmoid": Oracle(
        lambda u: mp_clamp(u + 3, 0, 6) / 6,
        lambda u: sympy.Min(sympy.Max(u + 3, 0), 6) / 6,
        (AtKink((-3.0,), 0.0, (0.0,)), AtKink((3.0,), 1.0, (0.0,))),
    ),
    "hardswish": Oracle(
        lambda u: u * mp_clamp(u + 3, 0, 6) / 6,
        lambda u: u * sympy.Min(sympy.Max(u + 3, 0), 6) / 6,
        (AtKink((-3.0,), 0.0, (-0.5,)), AtKink((3.0,), 3.0, (1.5,))),
    ),
    "softsign": Oracle(lambda u: u / (1 + abs(u)), lambda u: u / (1 + sympy.Abs(u)), (AtKink((0.0,), 0.0, (1.0,)),)),
    "log_sigmoid": Oracle(lambda u: -mp.log(1 + mp.exp(-u)), lambda u: -sympy.log(1 + sympy.exp(-u))),
    "relu": Oracle(lambda u: u if u > 0 else mp.mpf(0), lambda u: sympy.Max(0, u), (AtKink((0.0,), 0.0, (0.0,)),)),
    "abs": Oracle(abs, sympy.Abs, (AtKink((0.0,), 0.0, (0.0,)),)),
    "sign": Oracle(mp_sign, Sgn, (AtKink((0.0,), 0.0, (0.0,)),)),
    "step": Oracle(
        lambda u: mp.mpf(1) if u > 0 else mp.mpf(0), lambda u: sympy.Heaviside(u, 0), (AtKink((0.0,), 0.0, (0.0,)),)
    ),
    "max": Oracle(lambda a, b: a if a >= b else b, sympy.Max, (AtKink((2.0, 2.0), 2.0, (0.5, 0.5)),)),
    "min": Oracle(lambda a, b: a if a <= b else b, sympy.Min, (AtKink((2.0, 2.0), 2.0, (0.5, 0.5)),)),
    "clamp": Oracle(
        mp_clamp,
        lambda u, lo, hi: sympy.Min(sympy.Max(u, lo), hi),
        (AtKink((-1.0, -1.0, 1.0), -1.0, (1.0, 0.0, 0.0)), AtKink((1.0, -1.0, 1.0), 1.0, (1.0, 0.0, 0.0))),
        oracle_ties=lambda u, lo, hi: (max(u, lo) - hi, lo - hi),
    ),
    "xlogy": Oracle(mp_xlogy, lambda a, b: a * sympy.log(b)),
    "stop_gradient": Oracle(lambda x: x, SG, no_gradient=True),
    "erfc": Oracle(mp.erfc, sympy.erfc),
    "erfinv": Oracle(mp.erfinv, sympy.erfinv),
    "lgamma": Oracle(mp.loggamma, sympy.loggamma),
    "gamma": Oracle(mp.gamma, sympy.gamma),
    "digamma": Oracle(mp.digamma, sympy.digamma),
    "polygamma": Oracle(
        lambda u, n: mp.polygamma(int(n), u), lambda u, n: sympy.polygamma(int(n), u), params=(1.0, 0.0, 2.0, 3.0)
    ),
    "j0": Oracle(lambda u: mp.besselj(0, u), lambda u: sympy.besselj(0, u)),
    "j1": Oracle(lambda u: mp.besselj(1, u), lambda u: sympy.besselj(1, u)),
    "jn": Oracle(
        lambda u, n: mp.besselj(int(n), u), lambda u, n: sympy.besselj(int(n), u), params=(2.0, 0.0, 1.0, 3.0)
    ),
    "y0": Oracle(lambda u: mp.bessely(0, u), lambda u: sympy.bessely(0, u)),
    "y1": Oracle(lambda u: mp.bessely(1, u), lambda u: sympy.bessely(1, u)),
    "spherical_jn": Oracle(mp_spherical_jn, lambda u, n: SphericalJ(int(n), u), params=(1.0, 0.0, 2.0, 3.0)),
    "gammainc": Oracle(
        lambda u, a: mp.gammainc(a, 0, u, regularized=True),
        lambda u, a: sympy.lowergamma(sympy.Rational(a), u) / sympy.gamma(sympy.Rational(a)),
        params=(2.0, 0.5, 1.0, 3.5),
    ),
    "gammaincc": Oracle(
        lambda u, a: mp.gammainc(a, u, mp.inf, regularized=True),
        lambda u, a: sympy.uppergamma(sympy.Rational(a), u) / sympy.gamma(sympy.Rational(a)),
        params=(2.0, 0.5, 1.0, 3.5),
    ),
    "trunc": Oracle(lambda u: mp.mpf(int(u)), Jump.of(sympy_trunc), (AtKink((-2.0,), -2.0, (0.0,)),)),
    "fmod": Oracle(
        lambda u, v: u - v * int(u / v),  # mpmath's fmod takes the sign of v
        lambda u, v: u - v * Jump.of(sympy_trunc)(u / v),
        (AtKink((3.0, 1.5), 0.0, (1.0, -2.0)),),
    ),
    "remainder": Oracle(
        lambda u, v: u - v * mp.floor(u / v),
        lambda u, v: u - v * Jump.of(sympy.floor)(u / v),
        (AtKink((-3.0, 1.5), 0.0, (1.0, 2.0)),),
    ),
    "round": Oracle(lambda u: mp.mpf(round(float(u))), Jump.of(sympy.floor, 0.5), (AtKink((2.5,), 2.0, (0.0,)),)),
    "floor": Oracle(mp.floor, Jump.of(sympy.floor), (AtKink((-1.0,), -1.0, (0.0,)),)),
    "ceil": Oracle(mp.ceil, Jump.of(sympy.ceiling), (AtKink((1.0,), 1.0, (0.0,)),)),
    "equal": Oracle(
        lambda a, b: mp.mpf(1) if a == b else mp.mpf(0),
        lambda a, b: sympy.S.One if a == b else Jump.of(lambda u: sympy.S.Zero)(a - b),
        (AtKink((2.0, 2.0), 1.0, (0.0, 0.0)),),
    ),
    "not_equal": Oracle(
        lambda a, b: mp.mpf(1) if a != b else mp.mpf(0),
        lambda a, b: sympy.S.Zero if a == b else Jump.of(lambda u: sympy.S.One)(a - b),
        (AtKink((2.0, 2.0), 0.0, (0.0, 0.0)),),
    ),
    "less": Oracle(
        lambda a, b: mp.mpf(1) if a < b else mp.mpf(0),
        lambda a, b: STEP_AT_0(b - a),
        (AtKink((2.0, 2.0), 0.0, (0.0, 0.0)),),
    ),
    "less_equal": Oracle(
        lambda a, b: mp.mpf(1) if a <= b else mp.mpf(0),
        lambda a, b: STEP_AT_1(b - a),
        (AtKink((2.0, 2.0), 1.0, (0.0, 0.0)),),
    ),
    "greater": Oracle(
        lambda a, b: mp.mpf(1) if a > b else mp.mpf(0),
        lambda a, b: STEP_AT_0(a - b),
        (AtKink((2.0, 2.0), 0.0, (0.0, 0.0)),),
    ),
    "greater_equal": Oracle(
        lambda a, b: mp.mpf(1) if a >= b else mp.mpf(0),
        lambda a, b: STEP_AT_1(a - b),
        (AtKink((2.0, 2.0), 1.0, (0.0, 0.0)),),
    ),
    "where": Oracle(
        lambda c, a, b: a if c else b,
        lambda c, a, b: sympy.Piecewise((a, sympy.Ne(c, 0)), (b, True)),
        # a condition that moves through 0 (where(x, ...)) switches branches there; one written
        # as a comparison is 0 or 1 and its jump is the comparison's own kink
        oracle_ties=lambda c, a, b: (c,),
    ),
    "xlog1py": Oracle(lambda a, b: mp.mpf(0) if a == 0 else a * mp.log1p(b), lambda a, b: a * sympy.log(1 + b)),
    "logaddexp2": Oracle(
        lambda a, b: mp.log(mp.power(2, a) + mp.power(2, b), 2), lambda a, b: sympy.log(2**a + 2**b, 2)
    ),
    "logit": Oracle(lambda u: mp.log(u / (1 - u)), lambda u: sympy.log(u / (1 - u))),
    "reciprocal": Oracle(lambda u: 1 / u, lambda u: 1 / u),
    "deg2rad": Oracle(mp.radians, lambda u: u * sympy.pi / 180),
    "rad2deg": Oracle(mp.degrees, lambda u: u * 180 / sympy.pi),
    "copysign": Oracle(
        lambda u, v: abs(u) if v >= 0 else -abs(u),
        lambda u, v: sympy.Abs(u) * Sgn(v),
        (AtKink((0.0, 2.0), 0.0, (0.0, 0.0)), AtKink((-3.0, 0.0), 3.0, (-1.0, 0.0))),
    ),
    "lerp": Oracle(lambda a, b, w: a + w * (b - a), lambda a, b, w: a + w * (b - a)),
    "frac": Oracle(
        lambda u: u - mp.mpf(int(u)), lambda u: u - Jump.of(sympy_trunc)(u), (AtKink((-2.0,), 0.0, (1.0,)),)
    ),
    "ndtr": Oracle(mp.ncdf, lambda u: (1 + sympy.erf(u / sympy.sqrt(2))) / 2),
    "ndtri": Oracle(lambda u: mp.sqrt(2) * mp.erfinv(2 * u - 1), lambda u: sympy.sqrt(2) * sympy.erfinv(2 * u - 1)),
    "log_ndtr": Oracle(lambda u: mp.log(mp.ncdf(u)), lambda u: sympy.log((1 + sympy.erf(u / sympy.sqrt(2))) / 2)),
    "erfcx": Oracle(lambda u: mp.exp(u**2) * mp.erfc(u), lambda u: sympy.exp(u**2) * sympy.erfc(u)),
    "erfcx_derivative": Oracle(
        lambda u, n: mp_erfcx_derivative(u, int(n)),
        lambda u, n: sympy.diff(sympy.exp(T**2) * sympy.erfc(T), T, int(n)).subs(T, u),  # u may be a number
        params=(1.0, 2.0, 0.0, 3.0),
    ),
    "entr": Oracle(lambda u: -u * mp.log(u) if u else mp.mpf(0), lambda u: -u * sympy.log(u)),
    "i0": Oracle(lambda u: mp.besseli(0, u), lambda u: sympy.besseli(0, u)),
    "i1": Oracle(lambda u: mp.besseli(1, u), lambda u: sympy.besseli(1, u)),
    "iv": Oracle(
        lambda u, n: mp.besseli(int(n), u), lambda u, n: sympy.besseli(int(n), u), params=(2.0, 0.0, 1.0, 3.0)
    ),
    "i0e": Oracle(
        lambda u: mp.exp(-abs(u)) * mp.besseli(0, u),
        lambda u: sympy.exp(-sympy.Abs(u)) * sympy.besseli(0, u),
        (AtKink((0.0,), 1.0, (0.0,)),),
    ),
    "i1e": Oracle(
        lambda u: mp.exp(-abs(u)) * mp.besseli(1, u),
        lambda u: sympy.exp(-sympy.Abs(u)) * sympy.besseli(1, u),
        (AtKink((0.0,), 0.0, (0.5,)),),
    ),
    "ive": Oracle(
        lambda u, n: mp.exp(-abs(u)) * mp.besseli(int(n), u),
        lambda u, n: sympy.exp(-sympy.Abs(u)) * sympy.besseli(int(n), u),
        (AtKink((0.0, 0.0), 1.0, (0.0,)), AtKink((0.0, 1.0), 0.0, (0.5,))),
        params=(2.0, 0.0, 1.0, 3.0),
    ),
    "floor_divide": Oracle(
        lambda a, b: mp.floor(a / b), lambda a, b: Jump.of(sympy.floor)(a / b), (AtKink((6.0, 3.0), 2.0, (0.0, 0.0)),)
    ),
}


# ---------------------------------------------------------------- programs from the op table


def spellings(op: Op, args: list[str]) -> list[str]:
    """Every way a program writes ``op`` applied to ``args`` (a parameter is the last one)."""
    if op.arity == 0:  # const and var: the number or the name itself
        return [args[0]]
    texts = [f"{name}({', '.join(args)})" for name in op.callable_as]
    if op.infix and len(args) == 1:
        texts.append(f"{op.infix}{args[0]}")
    elif op.infix:
        texts.append(f" {op.infix} ".join(args))
    return texts


def inputs_of(op: Op) -> int:
    """How many of the op's arguments are program inputs (var's one is itself)."""
    return 1 if op.name == "var" else op.arity


def coordinates_of(op: Op) -> int:
    """How many numbers a point of the op has: its arguments, then its parameter."""
    return inputs_of(op) + (1 if op.has_param or op.name == "const" else 0)


def sample_points(op: Op, n: int = POINTS_PER_OP) -> list[tuple[float, ...]]:
    """Points of the op's domain, clear of its kinks; the same ones every run."""
    return op.valid.sample(random.Random(op.name), coordinates_of(op), n, away_from=op.kink)


def program_texts(op: Op, point: tuple[float, ...]) -> tuple[list[str], dict[str, float]]:
    """The op's spellings at a point, and the inputs' values."""
    names = list(NAMES[: inputs_of(op)])
    return spellings(op, in_call_order(op, names, [repr(c) for c in point[len(names) :]])), dict(zip(names, point))


def in_call_order(op: Op, args: list, params: list) -> list:
    """A call's arguments and parameter as a program writes them: ``elu(x, 0.5)``, ``polygamma(1, x)``."""
    return [*params, *args] if op.param_first else [*args, *params]


class Wrapper(NamedTuple):
    """How a random program keeps an op's argument in its domain, whatever the subexpression u
    it is given: ``1 + u**2`` when ``positive`` (log, sqrt, a divisor, pow's base), plus ``shift``
    where the domain starts elsewhere than 0 (acosh: 1, log1p: -1), else ``shift + scale*tanh(u)`` (asin's
    argument, in [-1, 1], becomes tanh(u)/2; logit's, in (0, 1), 0.5 + tanh(u)/4)."""

    positive: bool
    scale: float = 0.0
    shift: float = 0.0


PROBES = (-2.5, -0.5, 0.0, 0.5, 2.5)  # an argument that takes all of these needs no wrapper
NEUTRAL = 0.7  # the other arguments meanwhile: positive and not an integer


def wrappers(op: Op, param: float | None = None) -> list[Wrapper | None]:
    """Per argument of ``op`` (with this parameter), the wrapper random programs need, read
    from the op's domain: none where the domain takes any real there."""
    n = inputs_of(op)
    found: list[Wrapper | None] = []
    for k in range(n):

        def probe(v: float, k: int = k) -> tuple[float, ...]:
            args = [NEUTRAL] * n
            args[k] = v
            return (*args, *(() if param is None else (param,)))

        box = op.valid.sampling_interval(k)
        if all(op.valid.contains(*probe(v)) for v in PROBES):
            found.append(None)
        elif math.isinf(box.hi):  # positive, or real but for a hole at 0
            found.append(Wrapper(True, shift=box.lo if math.isfinite(box.lo) else 0.0))
        else:  # the middle half of the interval: asin's [-1, 1] gives tanh(u)/2, logit's (0, 1) 0.5 + tanh(u)/4
            found.append(Wrapper(False, (box.hi - box.lo) / 4, (box.hi + box.lo) / 2))
    return found


# ---------------------------------------------------------------- the oracles' answers


def mp_derivative(op: Op, point: tuple[float, ...], orders: tuple[int, ...]):
    """d^|orders| op / d args^orders at the point, by mpmath at 40 digits."""
    oracle = ORACLES[op.name]
    args = [mp.mpf(a) for a in point]
    if sum(orders) == 0:
        return oracle.mp(*args)
    if oracle.no_gradient:
        return mp.mpf(0)
    orders = orders + (0,) * (len(args) - len(orders))  # never along the parameter
    return mp.diff(oracle.mp, args, orders)


def sympy_derivative(op: Op, point: tuple[float, ...], wrt: tuple[int, ...]):
    """The derivative along argument indices ``wrt`` by sympy.diff, evaluated at 40 digits."""
    n = inputs_of(op)
    symbols = SYMBOLS[:n]
    expr = ORACLES[op.name].sympy(*symbols, *point[n:])
    expr = sympy.diff(expr, *[symbols[k] for k in wrt]) if wrt else sympy.sympify(expr)
    subs = {s: sympy.Float(v, DIGITS + 10) for s, v in zip(symbols, point)}
    value = expr.replace(SG, lambda u: u).replace(Sgn, sympy.sign).xreplace(subs).evalf(DIGITS)
    assert value.is_number and value.is_real, (op.name, point, wrt, value)
    return mp.mpf(str(value))


def check(what: str, got: float, op: Op, point, orders: tuple[int, ...]) -> None:
    """``got`` against both oracles: mpmath's mp.diff and SymPy's diff."""
    wrt = tuple(k for k, order in enumerate(orders) for _ in range(order))
    for oracle, want in (("mpmath", mp_derivative(op, point, orders)), ("sympy", sympy_derivative(op, point, wrt))):
        assert close(mp.mpf(got), want, rel=REL, abs=REL, symmetric=False, finite=True), (
            f"{op.name} {what} at {point}: {got} != {want} ({oracle})"
        )


# ---------------------------------------------------------------- the test


def unit(n: int, k: int, order: int = 1) -> tuple[int, ...]:
    return tuple(order if j == k else 0 for j in range(n))


def check_spelling(op: Op, text: str, at: dict[str, float], point: tuple[float, ...]) -> None:
    program = gradcli.parse(text)
    assert op in program.graph.ops, f"{text!r} does not build {op.name}"
    names = list(at)
    n = len(names)
    ev = gradcli.evaluate(program, at)
    check("value", ev.value, op, point, (0,) * n)
    forward = forward_mode(program, at).gradient
    first = derivative(program)
    for k, name in enumerate(names):
        symbolic = gradcli.evaluate(derivative_program(first.program, first.nodes[name]), at).value
        for mode, got in (("reverse", ev.gradient[name]), ("forward", forward[name]), ("symbolic", symbolic)):
            check(f"d/d{name} ({mode})", got, op, point, unit(n, k))
    if n == 0:
        return
    matrix = hessian(program, at).matrix
    second = second_derivative(program)
    for i, a in enumerate(names):
        for j, b in enumerate(names[i:], start=i):
            orders = tuple(int(m == i) + int(m == j) for m in range(n))
            symbolic = gradcli.evaluate(derivative_program(second.program, second.nodes[f"{a},{b}"]), at).value
            check(f"d2/d{a}d{b} (forward over reverse)", matrix[a][b], op, point, orders)
            check(f"d2/d{a}d{b} (symbolic)", symbolic, op, point, orders)


def check_kink(op: Op, case: AtKink) -> None:
    """The convention at a kink: the point's arguments, then its parameter if it has one (else the default)."""
    params = case.point[op.arity :]
    assert op.on_kink(*case.point[: op.arity], param=params[0] if params else op.default), (op.name, case.point)
    texts, at = program_texts(op, case.point)
    for text in texts:
        ev = gradcli.evaluate(text, at)
        gradient = dict(zip(NAMES, case.gradient))
        assert (ev.value, ev.gradient) == (case.value, gradient), (text, at, ev.value, ev.gradient)
        program = gradcli.parse(text)
        assert forward_mode(program, at).gradient == gradient, (text, at)
        first = derivative(program)
        symbolic = {
            name: gradcli.evaluate(derivative_program(first.program, node), at).value
            for name, node in first.nodes.items()
        }
        assert symbolic == gradient, (text, at, symbolic)
        assert ev.kinks, (text, at)


@pytest.mark.parametrize("name", list(SCALAR_OPS))
def test_every_op_against_mpmath_and_sympy(name):
    op = OPS[name]
    assert name in ORACLES, f"{name} has no oracle row in tests/test_ops.py: add its mpmath and SymPy counterparts"
    for point in sample_points(op):
        texts, at = program_texts(op, point)
        for text in texts:
            check_spelling(op, text, at, point)
    assert bool(op.kink) == bool(ORACLES[name].at_kinks), f"{name}: a kinked op needs a hand-checked case at its kink"
    for case in ORACLES[name].at_kinks:
        check_kink(op, case)


def test_every_oracle_row_is_an_op():
    assert set(ORACLES) <= set(OPS)


def test_wrappers_read_from_the_domains():
    positive, half_tanh = Wrapper(True), Wrapper(False, 0.5)
    assert wrappers(OPS["log"]) == wrappers(OPS["sqrt"]) == [positive]
    assert wrappers(OPS["div"]) == wrappers(OPS["xlogy"]) == [None, positive]
    assert wrappers(OPS["pow"]) == [positive, None]
    assert wrappers(OPS["asin"]) == [half_tanh]
    assert wrappers(OPS["logit"]) == [Wrapper(False, 0.25, 0.5)]
    assert wrappers(OPS["powc"], 3.0) == [None] and wrappers(OPS["powc"], 0.5) == [positive]
    assert wrappers(OPS["powc"], -1.0) == [positive]  # 0**-1 is not a real number
    assert wrappers(OPS["tan"]) == wrappers(OPS["clamp"])[:1] == [None]
    assert wrappers(OPS["acosh"]) == [Wrapper(True, shift=1.0)] and wrappers(OPS["log1p"]) == [
        Wrapper(True, shift=-1.0)
    ]


@pytest.mark.parametrize("name", list(SCALAR_OPS))
def test_samples_lie_in_the_domain_and_its_message(name):
    """The sampler's points are in the op's domain; the prose in messages is the Domain's."""
    op = OPS[name]
    assert op.domain == op.valid.text
    for point in sample_points(op, 50):
        assert op.valid.contains(*point), (name, point)
        assert op.kink is None or not op.on_kink(*point[: op.arity])


@pytest.mark.parametrize(
    ("name", "inside", "outside"),
    [
        ("log", [(1e-300,), (5.0,)], [(0.0,), (-1.0,), (float("nan"),)]),
        ("sqrt", [(0.0,), (2.0,)], [(-1e-300,)]),
        ("asin", [(-1.0,), (1.0,), (0.3,)], [(1.0000001,), (-2.0,)]),
        ("div", [(1.0, -3.0)], [(1.0, 0.0)]),
        ("pow", [(2.0, 0.5), (-2.0, 3.0), (0.0, 2.0)], [(-2.0, 0.5), (0.0, -1.0)]),
        ("powc", [(-1.5, 2.0), (0.0, 0.5)], [(-1.5, 0.5), (0.0, -2.0)]),
        ("exp", [(-1e300,), (710.0,)], [(float("nan"),)]),
    ],
)
def test_domains_by_hand(name, inside, outside):
    valid = OPS[name].valid
    assert all(valid.contains(*point) for point in inside)
    assert not any(valid.contains(*point) for point in outside)


def test_every_function_has_a_doc():
    """The README's function table reads each op's doc: a function without one would show a blank."""
    assert [name for name, op in OPS.items() if op.callable_as and not op.doc] == []


# ---------------------------------------------------------------- the tails


def mp_softplus(beta):
    return lambda u: mp.log(1 + mp.exp(beta * u)) / beta


# Points far out where a textbook formula overflows or cancels (exp(800) is inf, 1 - tanh(x)**2
# rounds to 0, erf(x) to 1): value, first and second derivative must stay finite and right.
TAILS = [
    ("gelu(x)", 300.0, ORACLES["gelu"].mp),
    ("gelu(x)", -300.0, ORACLES["gelu"].mp),
    ("gelu(x)", -30.0, ORACLES["gelu"].mp),
    ("gelu_tanh(x)", 300.0, ORACLES["gelu_tanh"].mp),
    ("gelu_tanh(x)", -30.0, ORACLES["gelu_tanh"].mp),
    ("gelu_tanh(x)", 1e103, ORACLES["gelu_tanh"].mp),  # x**3 overflows
    ("gelu_tanh(x)", -1e103, ORACLES["gelu_tanh"].mp),
    ("mish(x)", -400.0, ORACLES["mish"].mp),
    ("mish(x)", 800.0, ORACLES["mish"].mp),
    ("log_sigmoid(x)", -800.0, ORACLES["log_sigmoid"].mp),
    ("log_sigmoid(x)", 800.0, ORACLES["log_sigmoid"].mp),
    ("silu(x)", -800.0, ORACLES["silu"].mp),
    ("silu(x)", -700.0, ORACLES["silu"].mp),
    ("silu(x)", 800.0, ORACLES["silu"].mp),
    ("softplus(x, 50)", 800.0, mp_softplus(50)),
    ("softplus(x, 50)", -10.0, mp_softplus(50)),
    ("softplus(x, beta=0.001)", 1e6, mp_softplus(mp.mpf(0.001))),
    ("logaddexp(x, 1000)", 1000.0, lambda u: ORACLES["logaddexp"].mp(u, mp.mpf(1000))),
    ("logaddexp(x, -1000)", 1000.0, lambda u: ORACLES["logaddexp"].mp(u, mp.mpf(-1000))),
    ("log1p(x)", 1e-300, mp.log1p),
    ("log1p(x)", -0.999999, mp.log1p),
    ("expm1(x)", 1e-300, mp.expm1),
    ("expm1(x)", -800.0, mp.expm1),
    ("elu(x)", -800.0, lambda u: mp_elu(u, 1)),
    ("celu(x, 0.5)", -300.0, lambda u: mp_elu(u, mp.mpf(0.5), 2)),
    ("selu(x)", 800.0, ORACLES["selu"].mp),
    ("asinh(x)", 1e200, mp.asinh),
    ("acosh(x)", 1e200, mp.acosh),
    ("acosh(x)", 1.000001, mp.acosh),
    ("atanh(x)", 0.999999999, mp.atanh),
    ("erfinv(x)", 0.999999, mp.erfinv),
    ("erfc(x)", 20.0, mp.erfc),
    ("gamma(x)", 170.0, mp.gamma),
    ("lgamma(x)", 1e10, mp.loggamma),
    ("gammainc(2, x)", 500.0, lambda u: mp.gammainc(2, 0, u, regularized=True)),
    ("gammaincc(2, x)", 500.0, lambda u: mp.gammainc(2, u, mp.inf, regularized=True)),
    ("sinc(x)", 0.0, mp.sincpi),
    ("sinc(x)", 1e-9, mp.sincpi),
    ("j1(x)", 0.0, ORACLES["j1"].mp),
    ("hypot(x, 1e200)", 1e200, lambda u: mp.hypot(u, mp.mpf(1e200))),
    ("atan2(x, 3e200)", 4e200, lambda u: mp.atan2(u, mp.mpf(3e200))),
    ("logit(x)", 1e-150, ORACLES["logit"].mp),
    ("logit(x)", 0.999999, ORACLES["logit"].mp),
    ("logit(x)", 0.5000001, ORACLES["logit"].mp),  # log(x/(1 - x)) cancels to 4e-7 (scipy's logit does not)
    ("reciprocal(x)", 1e-100, ORACLES["reciprocal"].mp),
    ("logaddexp2(x, 1000)", 1000.0, lambda u: ORACLES["logaddexp2"].mp(u, mp.mpf(1000))),
    ("logaddexp2(x, -1000)", 1000.0, lambda u: ORACLES["logaddexp2"].mp(u, mp.mpf(-1000))),
    ("xlog1py(2, x)", -0.999999, lambda u: 2 * mp.log1p(u)),
    ("ndtr(x)", -30.0, mp.ncdf),
    ("ndtri(x)", 1e-150, ORACLES["ndtri"].mp),
    ("ndtri(x)", 0.999999, ORACLES["ndtri"].mp),
    ("log_ndtr(x)", -40.0, ORACLES["log_ndtr"].mp),
    ("log_ndtr(x)", -1000.0, ORACLES["log_ndtr"].mp),  # phi/Phi through erfcx: neither underflows
    ("log_ndtr(x)", 10.0, ORACLES["log_ndtr"].mp),
    ("erfcx(x)", -25.0, ORACLES["erfcx"].mp),  # 5e271
    ("erfcx(x)", 9.99, ORACLES["erfcx"].mp),  # the last point of the recurrence
    ("erfcx(x)", 30.0, ORACLES["erfcx"].mp),
    ("erfcx(x)", 1e6, ORACLES["erfcx"].mp),  # 2x*erfcx(x) - 2/sqrt(pi) would keep 4 digits of erfcx'
    ("entr(x)", 1e-300, ORACLES["entr"].mp),
    ("i0(x)", 700.0, ORACLES["i0"].mp),
    ("i0(x)", 0.0, ORACLES["i0"].mp),
    ("i1(x)", 0.0, ORACLES["i1"].mp),
    ("i1(x)", 700.0, ORACLES["i1"].mp),
    ("i1e(x)", 0.0, ORACLES["i1e"].mp),
]

OVERFLOWS = math.inf
# Points where f'' is beyond float64 (OVERFLOWS: the true value is past 1.8e308, so gradcli's is inf of its sign)
# or loses digits to a cancellation that PyTorch's rules share: i0e' = i1e - sign(x)*i0e and i1e' subtract two
# numbers equal to about 1/(2x) of themselves, so f' keeps |x|*1e-16 and f'' (x**2)*1e-16 of relative error.
LIMITED_TAILS = [
    ("logit(x)", 1e-300, ORACLES["logit"].mp, OVERFLOWS),
    ("ndtri(x)", 1e-300, ORACLES["ndtri"].mp, OVERFLOWS),
    ("i0e(x)", 700.0, ORACLES["i0e"].mp, 1e-9),
    ("i0e(x)", -700.0, ORACLES["i0e"].mp, 1e-9),
    ("i1e(x)", -800.0, ORACLES["i1e"].mp, 1e-9),
]


def mp_diff_exactly(f, x: float, order: int):
    """The value or a derivative by mpmath at 1000 digits: far out, 1 + exp(-400) and f'' are sums
    and differences of numbers that agree to hundreds of digits."""
    with mp.workdps(1000):
        return +(mp.diff(f, mp.mpf(x), order) if order else f(mp.mpf(x)))


def check_tail(text: str, x: float, f, second_rel: float = 1e-12) -> None:
    program = gradcli.parse(text)
    at = {"x": x}
    ev = gradcli.evaluate(program, at)
    first = derivative(program)
    symbolic = gradcli.evaluate(derivative_program(first.program, first.nodes["x"]), at).value
    second = hessian(program, at).matrix["x"]["x"]
    for what, got, order in (("value", ev.value, 0), ("f'", ev.gradient["x"], 1), ("f' (symbolic)", symbolic, 1)):
        want = mp_diff_exactly(f, x, order)
        assert close(mp.mpf(got), want, rel=1e-12, abs=1e-300, symmetric=False, finite=True), (text, x, what, got, want)
    want = mp_diff_exactly(f, x, 2)
    if second_rel == OVERFLOWS:
        assert abs(want) > sys.float_info.max and second == math.copysign(math.inf, want), (text, x, second, want)
        return
    assert close(mp.mpf(second), want, rel=second_rel, abs=1e-300, symmetric=False, finite=True), (text, x, second)


@pytest.mark.parametrize(("text", "x", "f"), TAILS, ids=[f"{t} at {x:g}" for t, x, _ in TAILS])
def test_tails_against_mpmath(text, x, f):
    check_tail(text, x, f)


@pytest.mark.parametrize(
    ("text", "x", "f", "second_rel"), LIMITED_TAILS, ids=[f"{t} at {x:g}" for t, x, _, _ in LIMITED_TAILS]
)
def test_tails_whose_second_derivative_overflows_or_cancels(text, x, f, second_rel):
    check_tail(text, x, f, second_rel)


def test_conventions_with_a_parameter():
    """The kink cases of test_ops use each op's default parameter; these use another."""
    for text, x, value, slope in [
        ("elu(x, alpha=0.5)", 0.0, 0.0, 0.5),
        ("elu(x, 0.5)", 0.0, 0.0, 0.5),
        ("leaky_relu(x, 0.2)", 0.0, 0.0, 0.2),
        ("celu(x, alpha=2)", 0.0, 0.0, 1.0),
    ]:
        ev = gradcli.evaluate(text, {"x": x})
        assert (ev.value, ev.gradient["x"]) == (value, slope), text
        assert ev.kinks, text


# ---------------------------------------------------------------- SciPy loads with its first function


def test_scipy_loads_only_for_a_function_of_its_own():
    """Start-up time does not change: a program without digamma, j0, erfinv, ... never imports SciPy
    (erfc, lgamma and gamma are the standard library's; lgamma's derivative is SciPy's digamma)."""
    code = "\n".join(
        [
            "import sys, gradcli",
            "gradcli.evaluate('gelu(x) + erfc(x) + asinh(x) + elu(x, 0.5)', {'x': 1.5})",
            "gradcli.evaluate('sum(gelu(x))', {'x': [1.0, 2.0]})",
            "assert 'scipy' not in sys.modules, 'scipy loaded'",
            "assert gradcli.evaluate('digamma(x)', {'x': 1.0}).value == -0.5772156649015329",
            "assert 'scipy.special' in sys.modules",
        ]
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_scipy_loads_outside_the_memory_limit():
    """SciPy maps tens of MB when it loads: that is the libraries', not the run's (as NumPy's is)."""
    done = cli("eval", "j0(x) + digamma(x)", "--at", "x=1", env={"GRADCLI_MEMORY_LIMIT": "64"})
    assert done.returncode == 0 and "0.1879820217" in done.stdout, done.stderr


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("polygamma(1.5, x)", "polygamma's n must be a non-negative whole number written in the program"),
        ("polygamma(x)", "polygamma takes 2 arguments, got 1"),
        ("gammainc(a, x)", "gammainc's a must be a positive number written in the program: there is no derivative"),
        ("elu(x, alpha=y)", "elu's alpha must be a number written in the program"),
        ("elu(x, beta=2)", "elu has no option beta: it takes alpha=..."),
        ("celu(x, 0)", "celu's alpha must be a nonzero number written in the program"),
    ],
)
def test_parameters_must_be_numbers_of_their_domain(program, message):
    assert_clean_error(cli("eval", program, "--at", "x=0.5,y=1,a=2"), message)


def test_a_number_option_prints_back():
    for text, printed in [("elu(x, alpha=0.5)", "elu(x, alpha=0.5)"), ("elu(x, 0.5)", "elu(x, alpha=0.5)")]:
        program = gradcli.parse(text)
        assert to_infix(program.graph, program.output) == printed
        again = gradcli.parse(printed)
        assert to_infix(again.graph, again.output) == printed
    assert to_infix(*(lambda p: (p.graph, p.output))(gradcli.parse("softplus(x, beta=1)"))) == "softplus(x)"
    assert to_infix(*(lambda p: (p.graph, p.output))(gradcli.parse("polygamma(2, x)"))) == "polygamma(2, x)"
