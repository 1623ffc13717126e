"""The op table: every primitive declared once.

Each :class:`Op` carries its arity, its float64 forward rule, and its local partial
derivatives written *in terms of other primitives* over an algebra ``A``: the same
rule gives numbers when ``A`` works on floats and a derivative graph when ``A`` builds
nodes (see :mod:`gradcli.core.algebra`). Reverse mode, the trace and the symbolic work all
read these rules; adding an operation is one entry in :data:`OPS`.

A rule is ``partials(A, out, *args)`` (``param`` last for parameterised ops) and
returns one local partial per argument; ``out`` is the op's own output, which rules
may reuse (``exp' = out``). Callers never spell that convention out: they ask the op
(:meth:`Op.evaluate`, :meth:`Op.kernel_for`, :meth:`Op.local_partials`) and the sweeps
ask for its vector-Jacobian and Jacobian-vector products (:meth:`Op.vjp`, :meth:`Op.jvp`),
which an op whose derivative is not "partial times incoming" supplies itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

from gradcli.core import arrays as ak
from gradcli.core import kernels as k
from gradcli.core.domains import (
    ABOVE_MINUS_ONE,
    ANYWHERE,
    AT_LEAST_ONE,
    BESSEL_ORDER,
    CONSTANT_POWER_BASE,
    DERIVATIVE_ORDER,
    FIRST_NONZERO,
    INCOMPLETE_GAMMA,
    LOG1P_OF_SECOND_ARGUMENT,
    LOG_OF_SECOND_ARGUMENT,
    NON_NEGATIVE_ARGUMENT,
    NONZERO_ARGUMENT,
    NONZERO_DIVISOR,
    NONZERO_PARAMETER,
    NOT_A_POLE,
    OPEN_UNIT_ARGUMENT,
    POLYGAMMA,
    POSITIVE_ARGUMENT,
    POWER_BASE,
    PROBABILITY,
    SPHERICAL_BESSEL_ORDER,
    UNIT_ARGUMENT,
    Domain,
)
from gradcli.core.errors import InputProblem
from gradcli.core.lazy_numpy import np

# Binding strength when printing, lowest first (Python's ladder).
PREC_COMPARE = 0
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
    vjp_rule: Callable[..., tuple[Any, ...]] | None = None  # replaces the default Op.vjp (same signature)
    jvp_rule: Callable[..., Any] | None = None  # replaces the default Op.jvp (same signature)
    valid: Domain = ANYWHERE  # where the arguments are valid, as intervals (``domain`` is its prose)
    array: Callable[..., Any] | None = None  # the NumPy kernel, where ``forward`` works on floats only
    elementwise: bool = True  # False: a structural op (sums, products of matrices, indexing, shapes)
    keyword: str | None = None  # the parameter given by name in a call (``sum(x, axis=0)``), and its default
    default: Any = None
    param_first: bool = False  # the parameter is written before the arguments: polygamma(n, x)

    @property
    def differentiable(self) -> bool:
        return self.partials is not None or self.vjp_rule is not None

    def evaluate(self, args: Sequence[float], param: Any = None) -> float:
        """The op's float64 value at these arguments (``param`` is the node's parameter, if the op has one)."""
        return self.forward(*args, param) if self.has_param else self.forward(*args)

    def kernel_for(self, param: Any) -> Callable[..., float]:
        """The float64 forward of one node, called on its arguments alone (the parameter bound)."""
        if not self.has_param:
            return self.forward
        forward = self.forward
        return lambda *args: forward(*args, param)

    def array_kernel_for(self, param: Any) -> Callable[..., Any]:
        """The NumPy forward of one node (the parameter bound): it takes arrays and numbers."""
        forward = self.array or self.forward
        if not self.has_param:
            return forward
        return lambda *args: forward(*args, param)

    def local_partials(self, A: Any, out: Any, args: Sequence[Any], param: Any = None) -> tuple[Any, ...]:
        """One local partial derivative per argument, built with the algebra ``A``."""
        return self.partials(A, out, *args, param) if self.has_param else self.partials(A, out, *args)

    def partials_for(self, A: Any, param: Any) -> Callable[..., tuple[Any, ...]]:
        """:meth:`local_partials` of one node as a function of ``(out, *args)`` (the parameter bound)."""
        if not self.has_param:
            return partial(self.partials, A)
        partials = self.partials
        return lambda out, *args: partials(A, out, *args, param)

    def vjp(
        self,
        A: Any,
        cotangent: Any,
        out: Any,
        args: Sequence[Any],
        param: Any = None,
        wanted: Sequence[bool] | None = None,
    ) -> tuple[Any, ...]:
        """What the reverse sweep sends each argument: ``partial * cotangent``, or None for nothing.

        An argument whose partial is structurally zero (a constant 0 node) is sent nothing;
        on floats no partial is, since ``0 * inf`` must stay nan. A cotangent that is structurally
        zero (a derivative graph's constant 0) sends nothing at all, nor does an argument that
        ``wanted`` leaves out.
        """
        if A.is_structural_zero(cotangent):
            return (None,) * len(args)
        if self.vjp_rule is not None:
            return self.vjp_rule(A, cotangent, out, args, param)
        return tuple(
            None if (wanted is not None and not wanted[k]) or A.is_structural_zero(p)
            else A.unbroadcast(A.mul(p, cotangent), arg)
            for k, (p, arg) in enumerate(zip(self.local_partials(A, out, args, param), args))
        )  # fmt: skip

    def jvp(self, A: Any, out: Any, args: Sequence[Any], tangents: Sequence[Any], param: Any = None) -> Any:
        """The tangent of the output: the sum of ``partial * tangent`` over the moving arguments.

        A tangent of None is exactly 0, and so is the result when no argument sends anything.
        """
        if self.jvp_rule is not None:
            return self.jvp_rule(A, out, args, tangents, param)
        total = None
        for p, t in zip(self.local_partials(A, out, args, param), tangents):
            if t is None or A.is_structural_zero(p):
                continue
            term = A.mul(p, t)
            total = term if total is None else A.add(total, term)
        return None if total is None else A.shaped_like(total, out)

    def on_kink(self, *args: float, param: Any = None) -> bool:
        """Whether the op has no derivative at these arguments: one of its kink distances is 0.

        A distance changes sign where the arguments cross that kink, which is how a finite
        difference step is kept from straddling one.
        """
        if self.kink is None:
            return False
        distances = self.kink(*args, param) if self.has_param else self.kink(*args)
        return any(d == 0 if d.__class__ is float else bool(np.any(d == 0)) for d in distances)


def _on(domain: Domain) -> dict[str, Any]:
    """An entry's ``domain`` prose and ``valid`` intervals, both from one :class:`Domain`."""
    return {"domain": domain.text, "valid": domain}


def _binary(name, fwd, rule, symbol, prec, latex, **kw) -> Op:
    return Op(name, 2, fwd, rule, infix=symbol, precedence=prec, latex=latex, **kw)


def _unary(name, fwd, rule, latex=None, names=None, **kw) -> Op:
    return Op(name, 1, fwd, rule, latex=latex, callable_as=names or (name,), **kw)


def _jump(name: str, fwd, convention: str, doc: str = "") -> Op:
    """A step function: derivative 0 everywhere, and no derivative at the jump (x = 0)."""
    return _unary(name, fwd, lambda A, out, x: (A.zero,), kink=lambda x: (x,), convention=convention, doc=doc)


def _option(name: str, fwd, rule, keyword: str, default: float, doc: str, **kw) -> Op:
    """A function of x with a number option written in the program: ``elu(x, alpha=0.5)`` or ``elu(x, 0.5)``."""
    return Op(name, 1, fwd, rule, has_param=True, keyword=keyword, default=default, callable_as=(name,), doc=doc, **kw)


def _of_order(name: str, fwd, rule, keyword: str, latex: str, doc: str, valid: Domain) -> Op:
    """A function of x with a leading number written in the program: ``polygamma(n, x)``, ``gammainc(a, x)``."""
    return Op(name, 1, fwd, rule, latex=latex, has_param=True, keyword=keyword, param_first=True,
              callable_as=(name,), doc=doc, **_on(valid))  # fmt: skip


def _times_ln2(A, x):
    """x*log(2): the exponent of 2**x as a power of e."""
    return A.mul(x, A.log(A.const(2.0)))


def _erf_derivative(A, x):
    """2/sqrt(pi)*exp(-x**2)."""
    return A.div(A.mul(A.const(2.0), A.exp(A.neg(A.powc(x, 2.0)))), A.sqrt(A.const(math.pi)))


def _normal_density(A, x):
    """exp(-x**2/2)/sqrt(2*pi)."""
    return A.div(A.exp(A.neg(A.div(A.powc(x, 2.0), A.const(2.0)))), A.sqrt(A.mul(A.const(2.0), A.const(math.pi))))


def _log_ndtr_partials(A, out, x):
    """phi(x)/Phi(x) = sqrt(2/pi)/erfcx(-x/sqrt(2)): neither underflows far in the lower tail."""
    scaled = A.erfcx(A.neg(A.div(x, A.sqrt(A.const(2.0)))))
    return (A.div(A.sqrt(A.div(A.const(2.0), A.const(math.pi))), scaled),)


def _scaled_bessel_derivative(A, out, x, lower, upper):
    """The derivative of out = exp(-abs(x))*I_n(x), given lower and upper, the scaled I_(n-1) and I_(n+1):
    (lower + upper)/2 - sign(x)*out, with I_n' = (I_(n-1) + I_(n+1))/2 (finite at x = 0 at every order)."""
    return A.sub(A.div(A.add(lower, upper), A.const(2.0)), A.mul(A.sign(x), out))


def _gelu_partials(A, out, x):
    """Phi(x) + x*phi(x), with Phi(x) = erfc(-x/sqrt(2))/2 (accurate for x < 0)."""
    cdf = A.mul(A.const(0.5), A.erfc(A.neg(A.div(x, A.sqrt(A.const(2.0))))))
    return (A.add(cdf, A.mul(x, _normal_density(A, x))),)


def _gelu_tanh_partials(A, out, x):
    """gelu_tanh = x*s(2u), s the sigmoid, u = sqrt(2/pi)*(x + 0.044715*x**3); d/dx = s(2u) + x*s(2u)*s(-2u)*2u',
    multiplied in that order so that the 0 of s(2u) or s(-2u) far out meets x before 2u' (inf past |x| = 1e154)."""
    scale, cubic = A.sqrt(A.div(A.const(2.0), A.const(math.pi))), A.const(k.GELU_TANH_CUBIC)
    twice_u = A.mul(A.const(2.0), A.mul(scale, A.add(x, A.mul(cubic, A.powc(x, 3.0)))))
    twice_du = A.mul(A.const(2.0), A.mul(scale, A.add(A.one, A.mul(A.mul(A.const(3.0), cubic), A.powc(x, 2.0)))))
    rising = A.sigmoid(twice_u)
    return (A.add(rising, A.mul(A.mul(A.mul(x, rising), A.sigmoid(A.neg(twice_u))), twice_du)),)


def _elu_rule(alpha: float | None = None, scale: float = 1.0, inverse_input_scale: bool = False):
    """d/dx of scale*(x if x > 0 else alpha*(exp(c*x) - 1)): scale where x > 0, and on the side
    x <= 0 (PyTorch's at 0) scale*alpha*c*exp(c*x), written as exp(-c*relu(-x)) so that it never
    overflows where x > 0. alpha None: the node's parameter; c = 1/alpha for celu, else 1."""

    def rule(A, out, x, param=None):
        a = param if alpha is None else alpha
        c = k.div(1.0, a) if inverse_input_scale else 1.0
        positive = A.step(x)
        negative_side = A.mul(A.const(scale * a * c), A.exp(A.mul(A.const(-c), A.relu(A.neg(x)))))
        return (A.add(A.mul(A.const(scale), positive), A.mul(A.sub(A.one, positive), negative_side)),)

    return rule


def _inside(A, x, lo: float, hi: float):
    """1 where lo < x < hi, else 0 (also at the ends)."""
    return A.mul(A.step(A.sub(x, A.const(lo))), A.step(A.sub(A.const(hi), x)))


def _hardswish_partials(A, out, x):
    """x/3 + 1/2 on the closed [-3, 3] (PyTorch's side at both ends), 0 below, 1 above."""
    middle = A.mul(A.sub(A.one, A.step(A.sub(A.const(-3.0), x))), A.sub(A.one, A.step(A.sub(x, A.const(3.0)))))
    slope = A.add(A.div(x, A.const(3.0)), A.const(0.5))
    return (A.add(A.mul(middle, slope), A.step(A.sub(x, A.const(3.0)))),)


def _hypot_partials(A, out, x, y):
    """x/hypot and y/hypot, over max(hypot, 5e-324) so that the origin gives 0/5e-324 = 0, not 0/0."""
    length = A.max(out, A.const(5e-324))
    return (A.div(x, length), A.div(y, length))


def _atan2_partials(A, out, y, x):
    """d/dy = x/(x**2 + y**2) and d/dx = -y/(x**2 + y**2), each as (x/h)/h with h = hypot(y, x): no overflow;
    h at least 5e-324, so that the origin gives (0, 0), as hypot's gradient does there."""
    h = A.max(A.hypot(y, x), A.const(5e-324))
    return (A.div(A.div(x, h), h), A.neg(A.div(A.div(y, h), h)))


def _spherical_jn_partials(A, out, x, n):
    """j_n' = (n*j_(n-1) - (n+1)*j_(n+1))/(2n + 1), and j_0' = -j_1: finite at x = 0 at every order."""
    if n == 0:
        return (A.neg(A.spherical_jn(x, 1.0)),)
    lower, upper = A.mul(A.const(n), A.spherical_jn(x, n - 1.0)), A.mul(A.const(n + 1.0), A.spherical_jn(x, n + 1.0))
    return (A.div(A.sub(lower, upper), A.const(2.0 * n + 1.0)),)


def _gamma_density(A, x, a: float):
    """x**(a-1)*exp(-x)/gamma(a), the derivative of gammainc(a, x) in x, as one exp (no overflow)."""
    return A.exp(A.sub(A.sub(A.xlogy(A.const(a - 1.0), x), x), A.lgamma(A.const(a))))


_NO_DERIVATIVE_IN_A = "there is no derivative in a (none in closed form; PyTorch refuses it too)"


def _quotient_jumps(x, y):
    """fmod and remainder jump where x/y crosses a whole number: the distance of x/y to the nearest one."""
    return (k.whole_distance(k.div(x, y)),)


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


def _comparison(name: str, symbol: str, latex: str, meaning: str) -> Op:
    """A comparison: 1 where it holds, else 0; derivative 0, with a jump where x = y."""
    return Op(
        name,
        2,
        getattr(k, name),
        lambda A, out, x, y: (A.zero, A.zero),
        infix=symbol,
        precedence=PREC_COMPARE,
        latex=latex,
        kink=lambda x, y: (x - y,),
        convention=f"{name}'s derivative is 0 on both sides, and taken as 0 also where x = y (its jump)",
        doc=f"1 where {meaning}, else 0",
    )


def _where_vjp(A, g, out, args, param):
    """To a, the gradient where c holds; to b, where it does not; to c, nothing."""
    c, a, b = args
    return (None, A.select(g, c, True, a), A.select(g, c, False, b))


def _where_jvp(A, out, args, tangents, param):
    c, _, _ = args
    _, ta, tb = tangents
    if ta is None and tb is None:
        return None
    return A.shaped_like(A.where(c, A.zero if ta is None else ta, A.zero if tb is None else tb), out)


def _log_base(base: int, fwd) -> Op:
    """log2 or log10: d/dx = 1/(x*log(base))."""
    return _unary(
        f"log{base}",
        fwd,
        lambda A, out, x: (A.div(A.one, A.mul(x, A.log(A.const(float(base))))),),
        latex=f"\\log_{{{base}}}",
        doc=f"the base-{base} logarithm",
        **_on(POSITIVE_ARGUMENT),
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
        doc=f"the {'larger' if winner_sign > 0 else 'smaller'} of x and y",
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
        **_on(NONZERO_DIVISOR),
    ),
    Op("neg", 1, k.neg, lambda A, out, x: (A.const(-1.0),), infix="-", precedence=PREC_UNARY, latex="-"),
    _binary(
        "pow",
        k.power,
        lambda A, out, x, y: (A.mul(y, A.pow(x, A.sub(y, A.one))), A.xlogy(out, x)),
        "**",
        PREC_POW,
        "^",
        **_on(POWER_BASE),
        callable_as=("pow",),
        doc="x to the power y",
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
        **_on(CONSTANT_POWER_BASE),
    ),
    _unary("exp", k.exp, lambda A, out, x: (out,), doc="e to the power x"),
    _unary(
        "log",
        k.log,
        lambda A, out, x: (A.div(A.one, x),),
        names=("log", "ln"),
        latex="\\ln",
        doc="the natural logarithm",
        **_on(POSITIVE_ARGUMENT),
    ),
    _log_base(2, k.log2),
    _log_base(10, k.log10),
    _unary(
        "sqrt",
        k.sqrt,
        lambda A, out, x: (A.div(A.const(0.5), out),),
        latex="\\sqrt",
        **_on(NON_NEGATIVE_ARGUMENT),
        doc="the square root",
    ),
    _unary("sin", k.sin, lambda A, out, x: (A.cos(x),), latex="\\sin", doc="the sine (of radians)"),
    _unary("cos", k.cos, lambda A, out, x: (A.neg(A.sin(x)),), latex="\\cos", doc="the cosine"),
    _unary("tan", k.tan, lambda A, out, x: (A.add(A.one, A.powc(out, 2.0)),), latex="\\tan", doc="the tangent"),
    _unary(
        "asin",
        k.asin,
        lambda A, out, x: (A.div(A.one, A.sqrt(A.sub(A.one, A.powc(x, 2.0)))),),
        latex="\\arcsin",
        doc="the inverse sine",
        **_on(UNIT_ARGUMENT),
    ),
    _unary(
        "acos",
        k.acos,
        lambda A, out, x: (A.neg(A.div(A.one, A.sqrt(A.sub(A.one, A.powc(x, 2.0))))),),
        latex="\\arccos",
        doc="the inverse cosine",
        **_on(UNIT_ARGUMENT),
    ),
    _unary(
        "atan",
        k.atan,
        lambda A, out, x: (A.div(A.one, A.add(A.one, A.powc(x, 2.0))),),
        latex="\\arctan",
        doc="the inverse tangent",
    ),
    _unary("sinh", k.sinh, lambda A, out, x: (A.cosh(x),), latex="\\sinh", doc="the hyperbolic sine"),
    _unary("cosh", k.cosh, lambda A, out, x: (A.sinh(x),), latex="\\cosh", doc="the hyperbolic cosine"),
    # tanh' = 1 - tanh(x)**2 loses every digit once tanh(x) rounds to 1 (|x| > 19), and
    # cosh(x)**-2 overflows in its own derivative (inf * 0 at |x| > 710). The same function as
    # 4*sigmoid(2x)*sigmoid(-2x) is accurate in the tails and finite at every order.
    _unary("tanh", k.tanh, lambda A, out, x: (_tanh_derivative(A, x),), latex="\\tanh", doc="the hyperbolic tangent"),
    # sigmoid' = sigmoid(x)*(1 - sigmoid(x)), with 1 - sigmoid(x) = sigmoid(-x) for accuracy.
    _unary(
        "sigmoid",
        k.sigmoid,
        lambda A, out, x: (A.mul(out, A.sigmoid(A.neg(x))),),
        latex="\\sigma",
        doc="1/(1 + exp(-x))",
    ),
    _option(
        "softplus",
        k.softplus_beta,
        lambda A, out, x, beta: (A.sigmoid(A.mul(A.const(beta), x)),),
        "beta",
        1.0,
        "log(1 + exp(beta*x))/beta, exact for large beta*x (PyTorch's threshold is not applied)",
        **_on(NONZERO_PARAMETER),
    ),
    _unary(
        "erf",
        math.erf,
        lambda A, out, x: (_erf_derivative(A, x),),
        doc="the error function, 2/sqrt(pi) times the integral of exp(-t**2) from 0 to x",
    ),
    _unary(
        "asinh",
        k.asinh,
        lambda A, out, x: (A.div(A.one, A.hypot(A.one, x)),),
        latex="\\operatorname{arsinh}",
        doc="the inverse hyperbolic sine",
    ),
    _unary(
        "acosh",
        k.acosh,
        lambda A, out, x: (A.div(A.one, A.mul(A.sqrt(A.sub(x, A.one)), A.sqrt(A.add(x, A.one)))),),
        latex="\\operatorname{arcosh}",
        doc="the inverse hyperbolic cosine",
        **_on(AT_LEAST_ONE),
    ),
    _unary(
        "atanh",
        k.atanh,
        lambda A, out, x: (A.div(A.one, A.mul(A.sub(A.one, x), A.add(A.one, x))),),
        latex="\\operatorname{artanh}",
        doc="the inverse hyperbolic tangent",
        **_on(OPEN_UNIT_ARGUMENT),
    ),
    _unary(
        "log1p",
        k.log1p,
        lambda A, out, x: (A.div(A.one, A.add(A.one, x)),),
        doc="log(1 + x), accurate for small x",
        **_on(ABOVE_MINUS_ONE),
    ),
    _unary("expm1", k.expm1, lambda A, out, x: (A.exp(x),), doc="exp(x) - 1, accurate for small x"),
    _unary("exp2", k.exp2, lambda A, out, x: (A.mul(out, A.log(A.const(2.0))),), doc="2 to the power x"),
    _unary(
        "rsqrt",
        k.rsqrt,
        lambda A, out, x: (A.mul(A.const(-0.5), A.div(out, x)),),
        doc="1/sqrt(x)",
        **_on(POSITIVE_ARGUMENT),
    ),
    _unary(
        "cbrt",
        k.cbrt,
        lambda A, out, x: (A.div(A.one, A.mul(A.const(3.0), A.powc(out, 2.0))),),
        kink=lambda x: (x,),
        convention="cbrt'(0) = inf: a vertical tangent, as 1/(3*cbrt(x)**2) gives",
        doc="the real cube root (negative for negative x)",
    ),
    _unary("square", k.square, lambda A, out, x: (A.mul(A.const(2.0), x),), doc="x*x"),
    Op(
        "hypot",
        2,
        k.hypot,
        _hypot_partials,
        latex="\\operatorname{hypot}",
        kink=lambda x, y: (abs(x) + abs(y),),
        convention="the gradient at (0, 0) is taken as (0, 0), as abs'(0) = 0 (PyTorch gives nan: 0/0)",
        callable_as=("hypot",),
        doc="sqrt(x**2 + y**2) without overflow",
    ),
    Op(
        "atan2",
        2,
        k.atan2,
        _atan2_partials,
        latex="\\operatorname{atan2}",
        kink=lambda y, x: (abs(y) + abs(x),),
        convention="the gradient at the origin, where the angle has no limit, is taken as (0, 0), as hypot's "
        "(PyTorch and JAX give nan: 0/0)",
        callable_as=("atan2",),
        valid=FIRST_NONZERO,
        doc="atan2(y, x): the angle of the point (x, y) from the positive x axis, in [-pi, pi]",
    ),
    _unary(
        "sinc",
        k.sinc,
        lambda A, out, x: (A.mul(A.const(-math.pi), A.spherical_jn(A.mul(A.const(math.pi), x), 1.0)),),
        doc="sin(pi*x)/(pi*x), 1 at 0; its derivatives use spherical_jn, smooth at 0",
    ),
    Op(
        "logaddexp",
        2,
        k.logaddexp,
        lambda A, out, a, b: (A.sigmoid(A.sub(a, b)), A.sigmoid(A.sub(b, a))),
        latex="\\operatorname{logaddexp}",
        callable_as=("logaddexp",),
        doc="log(exp(x) + exp(y)), without overflow",
    ),
    _unary("gelu", k.gelu, _gelu_partials, doc="x*Phi(x), Phi the standard normal distribution (erf form)"),
    _unary(
        "gelu_tanh",
        k.gelu_tanh,
        _gelu_tanh_partials,
        doc="gelu's tanh approximation: x/2*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))",
    ),
    _unary(
        "silu",
        k.silu,
        lambda A, out, x: (A.mul(A.sigmoid(x), A.add(A.one, A.mul(x, A.sigmoid(A.neg(x))))),),
        names=("silu", "swish"),
        doc="x*sigmoid(x)",
    ),
    _unary(
        "mish",
        k.mish,
        lambda A, out, x: (
            A.add(
                A.tanh(A.softplus(x, 1.0)),
                A.mul(x, A.mul(_tanh_derivative(A, A.softplus(x, 1.0)), A.sigmoid(x))),
            ),
        ),
        doc="x*tanh(softplus(x))",
    ),
    _option(
        "elu",
        k.elu,
        _elu_rule(),
        "alpha",
        1.0,
        "x for x > 0, else alpha*(exp(x) - 1)",
        kink=lambda x, alpha=None: (x,),
        convention="elu'(0) = alpha, the left derivative (PyTorch's: x <= 0 takes the exponential side)",
    ),
    _unary(
        "selu",
        k.selu,
        _elu_rule(k.SELU_ALPHA, k.SELU_SCALE),
        kink=lambda x: (x,),
        convention="selu'(0) = scale*alpha = 1.7581, the left derivative (PyTorch's: x <= 0 takes the exp side)",
        doc="scale*elu(x, alpha) with PyTorch's constants alpha = 1.6733, scale = 1.0507",
    ),
    _option(
        "celu",
        k.celu,
        _elu_rule(inverse_input_scale=True),
        "alpha",
        1.0,
        "x for x > 0, else alpha*(exp(x/alpha) - 1)",
        kink=lambda x, alpha=None: (x,),
        convention="celu'(0) = 1 from both sides; the second derivative jumps there and is taken from x > 0",
        **_on(NONZERO_PARAMETER),
    ),
    _option(
        "leaky_relu",
        k.leaky_relu,
        lambda A, out, x, slope: (A.add(A.mul(A.const(1.0 - slope), A.step(x)), A.const(slope)),),
        "slope",
        0.01,
        "x for x > 0, else slope*x",
        kink=lambda x, slope=None: (x,),
        convention="leaky_relu'(0) = slope, the left derivative (PyTorch's)",
    ),
    _unary(
        "relu6",
        k.relu6,
        lambda A, out, x: (_inside(A, x, 0.0, 6.0),),
        kink=lambda x: (x, x - 6.0),
        convention="relu6'(0) = relu6'(6) = 0 (PyTorch's: 1 only strictly between 0 and 6)",
        doc="min(max(x, 0), 6)",
    ),
    _unary(
        "hardtanh",
        k.hardtanh,
        lambda A, out, x: (_inside(A, x, -1.0, 1.0),),
        kink=lambda x: (x + 1.0, x - 1.0),
        convention="hardtanh'(-1) = hardtanh'(1) = 0 (PyTorch's: 1 only strictly between -1 and 1)",
        doc="x held between -1 and 1",
    ),
    _unary(
        "hardsigmoid",
        k.hardsigmoid,
        lambda A, out, x: (A.div(_inside(A, x, -3.0, 3.0), A.const(6.0)),),
        kink=lambda x: (x + 3.0, x - 3.0),
        convention="hardsigmoid'(-3) = hardsigmoid'(3) = 0 (PyTorch's: 1/6 only strictly between -3 and 3)",
        doc="relu6(x + 3)/6",
    ),
    _unary(
        "hardswish",
        k.hardswish,
        _hardswish_partials,
        kink=lambda x: (x + 3.0, x - 3.0),
        convention="hardswish'(-3) = -1/2 and hardswish'(3) = 3/2 (PyTorch's: x/3 + 1/2 on the closed [-3, 3])",
        doc="x*relu6(x + 3)/6",
    ),
    _unary(
        "softsign",
        k.softsign,
        lambda A, out, x: (A.powc(A.add(A.one, A.abs(x)), -2.0),),
        kink=lambda x: (x,),
        convention="softsign'(0) = 1 from both sides; the second derivative jumps there (-2 to 2) and is taken as 0",
        doc="x/(1 + abs(x))",
    ),
    _unary(
        "log_sigmoid",
        k.log_sigmoid,
        lambda A, out, x: (A.sigmoid(A.neg(x)),),
        doc="log(sigmoid(x)) = -softplus(-x), exact in both tails",
    ),
    _unary(
        "relu",
        k.relu,
        lambda A, out, x: (A.step(x),),
        kink=lambda x: (x,),
        convention="relu'(0) = 0 (PyTorch's convention); one-sided derivatives are 0 (left) and 1 (right)",
        doc="max(x, 0)",
    ),
    _unary(
        "abs",
        k.absolute,
        lambda A, out, x: (A.sign(x),),
        kink=lambda x: (x,),
        convention="abs'(0) = 0 (PyTorch's convention); one-sided derivatives are -1 (left) and 1 (right)",
        doc="the absolute value",
    ),
    _jump("sign", k.sign, "sign'(0) is taken as 0 (the jump has no derivative)", "1, 0 or -1 as x > 0, x = 0, x < 0"),
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
        doc="x held between lo = y and hi = z: min(max(x, y), z)",
    ),
    Op(
        "xlogy",
        2,
        k.xlogy,
        lambda A, out, x, y: (A.log(y), A.div(x, y)),
        latex="\\operatorname{xlogy}",
        callable_as=("xlogy",),
        doc="x * log(y) for y > 0, and 0 where x = 0",
        valid=LOG_OF_SECOND_ARGUMENT,
    ),
    Op(
        "xlog1py",
        2,
        k.xlog1py,
        lambda A, out, x, y: (A.log1p(y), A.div(x, A.add(A.one, y))),
        latex="\\operatorname{xlog1py}",
        callable_as=("xlog1py",),
        doc="x * log1p(y) for y > -1, and 0 where x = 0",
        **_on(LOG1P_OF_SECOND_ARGUMENT),
    ),
    Op(
        "logaddexp2",
        2,
        k.logaddexp2,
        lambda A, out, a, b: (A.sigmoid(_times_ln2(A, A.sub(a, b))), A.sigmoid(_times_ln2(A, A.sub(b, a)))),
        latex="\\operatorname{logaddexp2}",
        callable_as=("logaddexp2",),
        doc="log2(2**x + 2**y), without overflow",
    ),
    _unary(
        "logit",
        k.logit,
        lambda A, out, x: (A.div(A.one, A.mul(x, A.sub(A.one, x))),),
        latex="\\operatorname{logit}",
        doc="log(x/(1 - x)), the inverse of sigmoid",
        **_on(PROBABILITY),
    ),
    _unary(
        "reciprocal",
        k.reciprocal,
        lambda A, out, x: (A.neg(A.powc(out, 2.0)),),
        doc="1/x",
        **_on(NONZERO_ARGUMENT),
    ),
    _unary(
        "deg2rad",
        math.radians,
        lambda A, out, x: (A.div(A.const(math.pi), A.const(180.0)),),
        doc="x degrees in radians: x*pi/180",
    ),
    _unary(
        "rad2deg",
        math.degrees,
        lambda A, out, x: (A.div(A.const(180.0), A.const(math.pi)),),
        doc="x radians in degrees: x*180/pi",
    ),
    Op(
        "copysign",
        2,
        math.copysign,
        lambda A, out, x, y: (A.mul(A.sign(x), A.copysign(A.one, y)), A.zero),
        latex="\\operatorname{copysign}",
        kink=lambda x, y: (x, y),
        convention="d/dx = sign(x)*copysign(1, y), torch's result/x, and 0 at x = 0 as torch; "
        "d/dy = 0, also at y = 0 (the jump)",
        callable_as=("copysign",),
        doc="abs(x) with the sign of y (of its sign bit: copysign(1, -0.0) is -1)",
    ),
    Op(
        "lerp",
        3,
        k.lerp,
        lambda A, out, a, b, w: (A.sub(A.one, w), w, A.sub(b, a)),
        latex="\\operatorname{lerp}",
        callable_as=("lerp",),
        doc="lerp(x, y, z) = x + z*(y - x): from x at z = 0 to y at z = 1 (exact there, as torch.lerp)",
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


def _numpy(name: str) -> Callable[..., Any]:
    """NumPy's function ``name``, looked up when first called (NumPy loads with the first array)."""

    def kernel(*args: Any) -> Any:
        return getattr(np, name)(*args)

    kernel.__name__ = name
    return kernel


# NumPy kernels of the elementwise ops whose ``forward`` works on floats only.
_ARRAY_KERNELS: dict[str, Callable[..., Any]] = {
    "add": _numpy("add"),
    "sub": _numpy("subtract"),
    "mul": _numpy("multiply"),
    "div": _numpy("divide"),
    "neg": _numpy("negative"),
    "pow": ak.power,
    "powc": ak.power,
    "exp": _numpy("exp"),
    "log": _numpy("log"),
    "log2": _numpy("log2"),
    "log10": _numpy("log10"),
    "sqrt": ak.sqrt,
    "sin": _numpy("sin"),
    "cos": _numpy("cos"),
    "tan": _numpy("tan"),
    "asin": _numpy("arcsin"),
    "acos": _numpy("arccos"),
    "atan": _numpy("arctan"),
    "sinh": _numpy("sinh"),
    "cosh": _numpy("cosh"),
    "tanh": _numpy("tanh"),
    "sigmoid": ak.sigmoid,
    "softplus": ak.softplus_beta,
    "erf": ak.erf,
    "asinh": ak.asinh,
    "acosh": _numpy("arccosh"),
    "atanh": _numpy("arctanh"),
    "log1p": _numpy("log1p"),
    "expm1": _numpy("expm1"),
    "exp2": _numpy("exp2"),
    "rsqrt": ak.rsqrt,
    "cbrt": _numpy("cbrt"),
    "square": _numpy("square"),
    "hypot": ak.hypot,
    "atan2": _numpy("arctan2"),
    "sinc": ak.sinc,
    "logaddexp": _numpy("logaddexp"),
    "gelu": ak.gelu,
    "gelu_tanh": ak.gelu_tanh,
    "silu": ak.silu,
    "mish": ak.mish,
    "elu": ak.elu,
    "selu": ak.selu,
    "celu": ak.celu,
    "leaky_relu": ak.leaky_relu,
    "relu6": ak.relu6,
    "hardtanh": ak.hardtanh,
    "hardsigmoid": ak.hardsigmoid,
    "hardswish": ak.hardswish,
    "softsign": ak.softsign,
    "log_sigmoid": ak.log_sigmoid,
    "erfc": ak.erfc,
    "lgamma": ak.lgamma,
    "gamma": ak.gamma,
    "polygamma": ak.polygamma,
    "jn": ak.jn,
    "erfcx_derivative": ak.erfcx_derivative,
    "iv": ak.iv,
    "ive": ak.ive,
    "spherical_jn": ak.spherical_jn,
    "gammainc": ak.gammainc,
    "gammaincc": ak.gammaincc,
    "trunc": _numpy("trunc"),
    "fmod": _numpy("fmod"),
    "remainder": _numpy("remainder"),
    "relu": ak.relu,
    "abs": _numpy("abs"),
    "sign": ak.sign,
    "step": ak.step,
    "max": ak.maximum,
    "min": ak.minimum,
    "clamp": ak.clamp,
    "xlogy": ak.xlogy,
    "xlog1py": ak.xlog1py,
    "logaddexp2": _numpy("logaddexp2"),
    "reciprocal": _numpy("reciprocal"),
    "deg2rad": _numpy("deg2rad"),
    "rad2deg": _numpy("rad2deg"),
    "copysign": _numpy("copysign"),
    "lerp": ak.lerp,
    "frac": ak.frac,
    "stop_gradient": k.identity,
    "round": ak.round_half_even,
    "floor": _numpy("floor"),
    "ceil": _numpy("ceil"),
    "equal": ak.equal,
    **{name: ak.compared(name) for name in ("not_equal", "less", "less_equal", "greater", "greater_equal")},
    "where": ak.where,
    "floor_divide": ak.floor_divide,
}

# ---------------------------------------------------------------- structural ops
#
# Each rule is a vector-Jacobian product (and a Jacobian-vector product) written in other
# primitives of this table, as JAX's transpose rules are: the transpose of a sum is a
# spread (``broadcast_like``), of indexing a scatter, of a product of matrices another product.


def _structural(name: str, arity: int, forward, vjp, jvp, doc: str = "", **kw) -> Op:
    return Op(name, arity, forward, None, vjp_rule=vjp, jvp_rule=jvp, elementwise=False, doc=doc, **kw)


def _zeros_like(A, x):
    return A.broadcast_like(A.zero, x, None)


def _reduction(name: str, forward, vjp, jvp, doc: str, names: tuple[str, ...] = ()) -> Op:
    return _structural(name, 1, forward, vjp, jvp, doc, has_param=True, keyword="axis", callable_as=names or (name,))


def _extreme_share(A, out, x, axis):
    """Each element's share of a max or min reduction: 1 for the winner, 1/k each for k tied."""
    winners = A.equal(x, A.broadcast_like(out, x, axis))
    return A.div(winners, A.broadcast_like(A.sum(winners, axis), x, axis))


def _extreme(name: str, forward, which: str) -> Op:
    return _reduction(
        name,
        forward,
        lambda A, g, out, args, axis: (
            A.mul(_extreme_share(A, out, args[0], axis), A.broadcast_like(g, args[0], axis)),
        ),
        lambda A, out, args, ts, axis: A.sum(A.mul(_extreme_share(A, out, args[0], axis), ts[0]), axis),
        f"the {which} element (along axis); max(x) and min(x) with one argument call these",
        names=(),
    )._replace(
        convention=f"k tied {which} elements get 1/k of the gradient each (as torch.a{name[1:]})",
        kink=lambda x, axis: (ak.tie_gap(x, axis, which == "largest"),),
    )


def _matmul_vjp(A, g, out, args, param):
    a, b = args
    rank_a, rank_b = A.ndim(a), A.ndim(b)
    if rank_a == 2 and rank_b == 2:
        return A.matmul(g, A.transpose(b)), A.matmul(A.transpose(a), g)
    if rank_a == 2:
        return A.outer(g, b), A.matmul(A.transpose(a), g)
    if rank_b == 2:
        return A.matmul(b, g), A.outer(a, g)
    return A.mul(g, b), A.mul(g, a)


def _sum_of(A, terms):
    """The sum of the terms that are not None (None when all are)."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else A.add(total, term)
    return total


def _bilinear_jvp(product):
    """The tangent of a product bilinear in its two arguments: product(ta, b) + product(a, tb)."""

    def jvp(A, out, args, ts, param):
        (a, b), (ta, tb) = args, ts
        return _sum_of(A, [None if ta is None else product(A)(ta, b), None if tb is None else product(A)(a, tb)])

    return jvp


def _pieces_vjp(keys):
    def vjp(A, g, out, args, param):
        return tuple(A.index(g, key) for key in keys(A, out, args, param))

    return vjp


def _pieces_jvp(join):
    def jvp(A, out, args, ts, param):
        if all(t is None for t in ts):
            return None
        filled = [_zeros_like(A, a) if t is None else t for a, t in zip(args, ts)]
        return join(A)(*filled, param)

    return jvp


def _stack_keys(A, out, args, axis):
    axis %= A.ndim(out)
    return [((None, None, None),) * axis + (k,) for k in range(len(args))]


def _concat_keys(A, out, args, axis):
    return ak.split_keys([A.shape(a) for a in args], axis)


def _not_yet(what: str):
    """A rule that says, instead of silently giving 0, that a derivative is not available."""

    def refuse(*_: Any) -> Any:
        raise InputProblem(f"{what} is not available yet")

    return refuse


def _joining(name: str, forward, keys, doc: str) -> Op:
    """stack or concat: any number of arguments; each gets its piece of the gradient (``keys`` index them)."""
    return _structural(
        name,
        -1,
        forward,
        _pieces_vjp(keys),
        _pieces_jvp(lambda A: getattr(A, name)),
        doc,
        has_param=True,
        keyword="axis",
        default=0,
        callable_as=(name,),
    )


def _into_shape_of(name: str, forward, transpose: str, doc: str) -> Op:
    """An op that brings x into y's shape (y gives only its shape, so it gets no gradient); its
    VJP is the ``transpose`` op bringing the gradient back into x's shape, its JVP the op itself."""
    return _structural(
        name,
        2,
        forward,
        lambda A, g, out, args, param: (getattr(A, transpose)(g, args[0]), None),
        lambda A, out, args, ts, param: None if ts[0] is None else getattr(A, name)(ts[0], args[1]),
        doc,
        callable_as=(name,),
    )


def _softmax_vjp(A, g, out, args, axis):
    """s * (g - sum(g*s)): the textbook backward of softmax, with s its output."""
    return (A.mul(out, A.sub(g, A.broadcast_like(A.sum(A.mul(g, out), axis), out, axis))),)


_STRUCTURAL_OPS = [
    _reduction(
        "sum",
        ak.total,
        lambda A, g, out, args, axis: (A.broadcast_like(g, args[0], axis),),
        lambda A, out, args, ts, axis: A.sum(ts[0], axis),
        "the sum of the elements (along axis, if given)",
    ),
    _reduction(
        "mean",
        ak.average,
        lambda A, g, out, args, axis: (A.div(A.broadcast_like(g, args[0], axis), A.count(args[0], axis)),),
        lambda A, out, args, ts, axis: A.mean(ts[0], axis),
        "the mean of the elements (along axis, if given)",
    ),
    _extreme("amax", ak.largest, "largest"),
    _extreme("amin", ak.smallest, "smallest"),
    _reduction(
        "prod",
        ak.product,
        lambda A, g, out, args, axis: (A.mul(A.broadcast_like(g, args[0], axis), A.others_product(args[0], axis)),),
        lambda A, out, args, ts, axis: A.sum(A.mul(A.others_product(args[0], axis), ts[0]), axis),
        "the product of the elements (along axis, if given)",
    )._replace(
        convention="d/dx_i is the product of the other elements, also where some are 0 (no division by x_i); "
        "its second derivative is not available yet"
    ),
    _structural(
        "others_product",
        1,
        ak.others_product,
        _not_yet("the derivative of others_product (itself the derivative of prod)"),
        _not_yet("the second derivative of prod"),
        "for each element, the product of the others in its reduction (prod's gradient)",
        has_param=True,
        keyword="axis",
        callable_as=("others_product",),
    ),
    _structural(
        "count",
        1,
        ak.count,
        lambda A, g, out, args, axis: (None,),
        lambda A, out, args, ts, axis: None,
        "how many elements a reduction along axis combines",
        has_param=True,
        keyword="axis",
        callable_as=("count",),
    ),
    _structural(
        "broadcast_like",
        2,
        ak.broadcast_like,
        lambda A, g, out, args, axis: (A.sum(g, axis), None),
        lambda A, out, args, ts, axis: None if ts[0] is None else A.broadcast_like(ts[0], args[1], axis),
        "x spread over the axes a reduction of y along axis removed, to y's shape (a sum's transpose)",
        has_param=True,
        keyword="axis",
        callable_as=("broadcast_like",),
    ),
    _into_shape_of("broadcast_to", ak.shaped_like, "sum_to", "x spread to the shape of y by NumPy's broadcasting"),
    _into_shape_of(
        "sum_to", ak.unbroadcast, "broadcast_to", "x summed down to the shape of y: broadcasting's transpose"
    ),
    _structural(
        "matmul",
        2,
        ak.matmul,
        _matmul_vjp,
        _bilinear_jvp(lambda A: A.matmul),
        "the matrix product of vectors and matrices (x @ y)",
        infix="@",
        precedence=PREC_MUL,
        latex="\\,",
        callable_as=("matmul", "dot"),
    ),
    _structural(
        "outer",
        2,
        ak.outer,
        lambda A, g, out, args, param: (A.matmul(g, args[1]), A.matmul(A.transpose(g), args[0])),
        _bilinear_jvp(lambda A: A.outer),
        "the outer product of two vectors",
        callable_as=("outer",),
    ),
    _structural(
        "transpose",
        1,
        ak.transpose,
        lambda A, g, out, args, param: (A.transpose(g),),
        lambda A, out, args, ts, param: A.transpose(ts[0]),
        "the axes reversed (rows become columns); also written x.T",
        callable_as=("transpose",),
    ),
    _structural(
        "reshape",
        1,
        ak.reshape,
        lambda A, g, out, args, shape: (A.reshape_like(g, args[0]),),
        lambda A, out, args, ts, shape: A.reshape(ts[0], shape),
        "the elements in a new shape: reshape(x, [2, 3])",
        has_param=True,
        callable_as=("reshape",),
    ),
    _into_shape_of("reshape_like", ak.reshape_like, "reshape_like", "the elements of x in the shape of y"),
    _structural(
        "index",
        1,
        ak.index,
        lambda A, g, out, args, key: (A.scatter(g, args[0], key),),
        lambda A, out, args, ts, key: A.index(ts[0], key),
        "elements and slices: x[0], x[1:3], A[:, 0]",
        has_param=True,
    ),
    _structural(
        "scatter",
        2,
        ak.scatter,
        lambda A, g, out, args, key: (A.index(g, key), None),
        lambda A, out, args, ts, key: None if ts[0] is None else A.scatter(ts[0], args[1], key),
        "zeros shaped as y, with x added at the index (whole numbers): indexing's transpose",
        has_param=True,
        callable_as=("scatter",),
    ),
    _joining(
        "stack", ak.stack, _stack_keys, "arrays of one shape stacked along a new axis; [a, b] stacks along the first"
    ),
    _joining("concat", ak.concat, _concat_keys, "arrays joined along an existing axis (the first by default)"),
    _reduction(
        "softmax",
        ak.softmax,
        _softmax_vjp,
        lambda A, out, args, ts, axis: _softmax_vjp(A, ts[0], out, args, axis)[0],
        "exp(x) / sum(exp(x)) along axis (the last by default), computed without overflow",
    )._replace(default=-1),
    _reduction(
        "logsumexp",
        ak.logsumexp,
        lambda A, g, out, args, axis: (A.mul(A.broadcast_like(g, args[0], axis), A.softmax(args[0], axis)),),
        lambda A, out, args, ts, axis: A.sum(A.mul(A.softmax(args[0], axis), ts[0]), axis),
        "log(sum(exp(x))) (along axis, if given), exact where exp overflows; its gradient is softmax",
    ),
]

_OP_LIST += [
    _unary(
        "erfc",
        k.erfc,
        lambda A, out, x: (A.neg(_erf_derivative(A, x)),),
        latex="\\operatorname{erfc}",
        doc="1 - erf(x), accurate where erf(x) is near 1",
    ),
    _unary(
        "erfinv",
        k.erfinv,
        lambda A, out, x: (A.mul(A.div(A.sqrt(A.const(math.pi)), A.const(2.0)), A.exp(A.powc(out, 2.0))),),
        latex="\\operatorname{erf}^{-1}",
        doc="the inverse of erf",
        **_on(OPEN_UNIT_ARGUMENT),
    ),
    _unary(
        "lgamma",
        k.lgamma,
        lambda A, out, x: (A.digamma(x),),
        latex="\\ln\\Gamma",
        doc="log|gamma(x)|",
        **_on(NOT_A_POLE),
    ),
    _unary(
        "gamma",
        k.gamma,
        lambda A, out, x: (A.mul(out, A.digamma(x)),),
        latex="\\Gamma",
        doc="the gamma function, (x - 1)! for whole x",
        **_on(NOT_A_POLE),
    ),
    _unary(
        "digamma",
        k.digamma,
        lambda A, out, x: (A.polygamma(x, 1.0),),
        latex="\\psi",
        doc="the digamma function, the derivative of lgamma",
        **_on(NOT_A_POLE),
    ),
    _of_order(
        "polygamma",
        k.polygamma,
        lambda A, out, x, n: (A.polygamma(x, n + 1.0),),
        "n",
        "\\psi",
        "polygamma(n, x): the n-th derivative of digamma (n a whole number >= 0 written in the program)",
        POLYGAMMA,
    ),
    _unary(
        "j0",
        k.j0,
        lambda A, out, x: (A.neg(A.j1(x)),),
        latex="J_0",
        doc="the Bessel function of the first kind, order 0",
    ),
    _unary(
        "j1",
        k.j1,
        lambda A, out, x: (A.div(A.sub(A.j0(x), A.jn(x, 2.0)), A.const(2.0)),),
        latex="J_1",
        doc="the Bessel function of the first kind, order 1",
    ),
    _of_order(
        "jn",
        k.jn,
        lambda A, out, x, n: (A.div(A.sub(A.jn(x, n - 1.0), A.jn(x, n + 1.0)), A.const(2.0)),),
        "n",
        "J",
        "jn(n, x): the Bessel function of the first kind of whole order n (j1's derivatives use it)",
        BESSEL_ORDER,
    ),
    _unary(
        "y0",
        k.y0,
        lambda A, out, x: (A.neg(A.y1(x)),),
        latex="Y_0",
        doc="the Bessel function of the second kind, order 0",
        **_on(POSITIVE_ARGUMENT),
    ),
    _unary(
        "y1",
        k.y1,
        lambda A, out, x: (A.sub(A.y0(x), A.div(out, x)),),
        latex="Y_1",
        doc="the Bessel function of the second kind, order 1",
        **_on(POSITIVE_ARGUMENT),
    ),
    _of_order(
        "spherical_jn",
        k.spherical_jn,
        _spherical_jn_partials,
        "n",
        "j",
        "spherical_jn(n, x): the spherical Bessel function of the first kind (sinc's derivatives use it)",
        SPHERICAL_BESSEL_ORDER,
    ),
    _of_order(
        "gammainc",
        k.gammainc,
        lambda A, out, x, a: (_gamma_density(A, x, a),),
        "a",
        "P",
        "gammainc(a, x): the regularized lower incomplete gamma function (a a positive number written in the program)",
        INCOMPLETE_GAMMA,
    )._replace(convention=_NO_DERIVATIVE_IN_A),
    _of_order(
        "gammaincc",
        k.gammaincc,
        lambda A, out, x, a: (A.neg(_gamma_density(A, x, a)),),
        "a",
        "Q",
        "gammaincc(a, x) = 1 - gammainc(a, x), the regularized upper incomplete gamma function",
        INCOMPLETE_GAMMA,
    )._replace(convention=_NO_DERIVATIVE_IN_A),
    _jump("trunc", k.trunc, "trunc'(x) is taken as 0, also at the jumps (whole x)", "x rounded toward 0")._replace(
        kink=lambda x: (k.whole_distance(x),)
    ),
    _unary("ndtr", k.ndtr, lambda A, out, x: (_normal_density(A, x),), latex="\\Phi", doc="the standard normal CDF"),
    _unary(
        "ndtri",
        k.ndtri,
        lambda A, out, x: (A.div(A.one, _normal_density(A, out)),),
        latex="\\Phi^{-1}",
        doc="the inverse of ndtr: the standard normal quantile",
        **_on(PROBABILITY),
    ),
    _unary(
        "log_ndtr",
        k.log_ndtr,
        _log_ndtr_partials,
        latex="\\ln\\Phi",
        doc="log(ndtr(x)), exact far in the lower tail (log_ndtr(-40) = -804.6)",
    ),
    _unary(
        "erfcx",
        k.erfcx,
        lambda A, out, x: (A.erfcx_derivative(x, 1.0),),
        latex="\\operatorname{erfcx}",
        doc="exp(x**2)*erfc(x), the scaled complementary error function (no underflow for large x)",
    ),
    _of_order(
        "erfcx_derivative",
        k.erfcx_derivative,
        lambda A, out, x, n: (A.erfcx_derivative(x, n + 1.0),),
        "n",
        "\\operatorname{erfcx}",
        "erfcx_derivative(n, x): the n-th derivative of erfcx, accurate for large x, where its textbook form "
        "2x*erfcx(x) - 2/sqrt(pi) cancels (erfcx's derivatives use it)",
        DERIVATIVE_ORDER,
    ),
    _unary(
        "entr",
        k.entr,
        lambda A, out, x: (A.neg(A.add(A.log(x), A.one)),),
        latex="\\operatorname{entr}",
        doc="-x*log(x), 0 at 0 and -inf for x < 0 (as scipy.special.entr)",
        **_on(NON_NEGATIVE_ARGUMENT),
    ),
    _unary("i0", k.i0, lambda A, out, x: (A.i1(x),), latex="I_0", doc="the modified Bessel function of order 0"),
    _unary(
        "i1",
        k.i1,
        lambda A, out, x: (A.div(A.add(A.i0(x), A.iv(x, 2.0)), A.const(2.0)),),
        latex="I_1",
        doc="the modified Bessel function of order 1",
    ),
    _unary(
        "i0e",
        k.i0e,
        lambda A, out, x: (A.sub(A.i1e(x), A.mul(A.sign(x), out)),),
        latex="\\operatorname{i0e}",
        kink=lambda x: (x,),
        convention="i0e'(0) = 0, the mean of the one-sided 1 and -1 (PyTorch's i1e(x) - sgn(x)*i0e(x))",
        doc="exp(-abs(x))*i0(x), without overflow",
    ),
    _unary(
        "i1e",
        k.i1e,
        lambda A, out, x: (_scaled_bessel_derivative(A, out, x, A.i0e(x), A.ive(x, 2.0)),),
        latex="\\operatorname{i1e}",
        kink=lambda x: (x,),
        convention="i1e'(0) = 1/2 from both sides; the second derivative jumps there (1 to -1) and is taken as 0",
        doc="exp(-abs(x))*i1(x), without overflow",
    ),
    _of_order(
        "ive",
        k.ive,
        lambda A, out, x, n: (_scaled_bessel_derivative(A, out, x, A.ive(x, n - 1.0), A.ive(x, n + 1.0)),),
        "n",
        "\\operatorname{ive}",
        "ive(n, x) = exp(-abs(x))*iv(n, x), without overflow (i1e's derivatives use it)",
        BESSEL_ORDER,
    )._replace(
        kink=lambda x, n=None: (x,) if n is None or abs(n) <= 1 else (),
        convention="at x = 0 sign(0) = 0 is taken in ive' = (ive(n-1, x) + ive(n+1, x))/2 - sign(x)*ive(n, x): "
        "for n = 0 the mean of the one-sided slopes 1 and -1, for n = 1 of the jump of the second derivative",
    ),
    _of_order(
        "iv",
        k.iv,
        lambda A, out, x, n: (A.div(A.add(A.iv(x, n - 1.0), A.iv(x, n + 1.0)), A.const(2.0)),),
        "n",
        "I",
        "iv(n, x): the modified Bessel function of whole order n (i1's derivatives use it)",
        BESSEL_ORDER,
    ),
    _unary(
        "frac",
        k.frac,
        lambda A, out, x: (A.one,),
        kink=lambda x: (k.whole_distance(x),),
        convention="frac'(x) = 1, also at the jumps (whole x), as torch.frac",
        doc="x - trunc(x): the fractional part, with the sign of x",
    ),
    Op(
        "fmod",
        2,
        k.fmod,
        lambda A, out, x, y: (A.one, A.neg(A.trunc(A.div(x, y)))),
        latex="\\operatorname{fmod}",
        kink=_quotient_jumps,
        convention="d/dy = -trunc(x/y), also at the jumps (x/y whole), as torch.fmod",
        callable_as=("fmod",),
        doc="the remainder of x/y with the sign of x (C's fmod)",
        **_on(NONZERO_DIVISOR),
    ),
    Op(
        "remainder",
        2,
        k.remainder,
        lambda A, out, x, y: (A.one, A.neg(A.floor(A.div(x, y)))),
        infix="%",
        precedence=PREC_MUL,
        latex="\\bmod",
        kink=_quotient_jumps,
        convention="d/dy = -floor(x/y), also at the jumps (x/y whole), as torch.remainder",
        callable_as=("remainder",),
        doc="x % y: the remainder of x/y with the sign of y, as Python's",
        **_on(NONZERO_DIVISOR),
    ),
]

_OP_LIST += [
    _jump(
        "round",
        k.round_half_even,
        "round'(x) is taken as 0, also at the jumps (x = k + 1/2)",
        "x to the nearest whole number, halves to even",
    )._replace(kink=lambda x: (k.whole_distance(x - 0.5),)),
    _jump(
        "floor", k.floor, "floor'(x) is taken as 0, also at the jumps (whole x)", "the largest whole number not above x"
    )._replace(kink=lambda x: (k.whole_distance(x),)),
    _jump(
        "ceil", k.ceil, "ceil'(x) is taken as 0, also at the jumps (whole x)", "the smallest whole number not below x"
    )._replace(kink=lambda x: (k.whole_distance(x),)),
    _comparison("equal", "==", "=", "x = y")._replace(callable_as=("equal",)),
    _comparison("not_equal", "!=", "\\neq", "x ≠ y"),
    _comparison("less", "<", "<", "x < y"),
    _comparison("less_equal", "<=", "\\leq", "x ≤ y"),
    _comparison("greater", ">", ">", "x > y"),
    _comparison("greater_equal", ">=", "\\geq", "x ≥ y"),
    Op(
        "where",
        3,
        k.where,
        # For the trace (1 toward the branch taken); the VJP below sends the other branch nothing.
        lambda A, out, c, a, b: (A.zero, A.where(c, A.one, A.zero), A.where(c, A.zero, A.one)),
        latex="\\operatorname{where}",
        callable_as=("where",),
        doc="a where c is true (not 0), else b, element by element: where(x > 0, x, 0.1*x)",
        convention="the gradient goes to the branch taken only; the other receives nothing, not even 0 × nan "
        "(where(x > 0, sqrt(x), 0) at x = -1 has gradient 0); c receives 0",
        vjp_rule=_where_vjp,
        jvp_rule=_where_jvp,
    ),
    Op(
        "floor_divide",
        2,
        k.floor_divide,
        lambda A, out, x, y: (A.zero, A.zero),
        infix="//",
        precedence=PREC_MUL,
        latex="\\mathbin{//}",
        kink=_quotient_jumps,
        convention="(x // y)' is taken as 0 (torch.floor_divide has no gradient), also at the jumps (x/y whole)",
        doc="x // y: floor(x / y) as Python computes it",
        **_on(NONZERO_DIVISOR),
    ),
    *_STRUCTURAL_OPS,
]


def _array_kernel(op: Op) -> Callable[..., Any] | None:
    """The op's NumPy kernel: from the table above, or SciPy's ufunc where its float kernel calls one."""
    scipy_name = getattr(op.forward, "scipy_name", None)
    return _ARRAY_KERNELS.get(op.name) or (ak.special_function(scipy_name) if scipy_name else None)


_OP_LIST = [op._replace(array=_array_kernel(op)) for op in _OP_LIST]

OPS: dict[str, Op] = {op.name: op for op in _OP_LIST}

#: A function that means another op when called with one argument: max(x) is x's largest element.
ONE_ARGUMENT_FORMS: dict[str, str] = {"max": "amax", "min": "amin"}

#: The ops that work number by number (on arrays, element by element): the scalar op table.
SCALAR_OPS: dict[str, Op] = {name: op for name, op in OPS.items() if op.elementwise}

#: Function names a program may call, including aliases (``ln`` -> ``log``).
FUNCTIONS: dict[str, Op] = {name: op for op in _OP_LIST for name in op.callable_as}

#: The functions of numbers (every other one takes arrays: sum, matmul, ...).
SCALAR_FUNCTIONS: dict[str, Op] = {name: op for name, op in FUNCTIONS.items() if op.elementwise}

#: The comparison operators of the language and the ops they write (≤ ≥ ≠ as pasted from a text).
COMPARISONS: dict[str, str] = {
    **{op.infix: op.name for op in OPS.values() if op.precedence == PREC_COMPARE and op.infix},
    "≤": "less_equal",
    "≥": "greater_equal",
    "≠": "not_equal",
}

#: Named constants of the language.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def constant_name(value: float, constants: Mapping[str, float] = CONSTANTS) -> str | None:
    """The name of the constant ``|value|`` is (``pi``, ``e``) among ``constants``, if any."""
    return next((name for name, constant in constants.items() if abs(value) == constant), None)


class Composite(NamedTuple):
    """A function built from primitives when it is called (its graph shows the primitives)."""

    name: str
    arity: int
    build: Callable[..., Any]  # build(A, *args, **options)
    options: tuple[tuple[str, Any], ...]
    doc: str


def _log_softmax(A, x, axis):
    return A.sub(x, A.broadcast_like(A.logsumexp(x, axis), x, axis))


def _layer_norm(A, x, axis, eps):
    centred = A.sub(x, A.broadcast_like(A.mean(x, axis), x, axis))
    variance = A.mean(A.powc(centred, 2.0), axis)
    return A.div(centred, A.sqrt(A.add(A.broadcast_like(variance, x, axis), A.const(eps))))


def _cross_entropy(A, logits, target):
    per_row = A.sum(A.mul(target, _log_softmax(A, logits, -1)), -1)
    return A.neg(A.mean(per_row, None))


COMPOSITES: dict[str, Composite] = {
    c.name: c
    for c in [
        Composite("log_softmax", 1, _log_softmax, (("axis", -1),), "x - logsumexp(x) along axis (the last by default)"),
        Composite(
            "layer_norm",
            1,
            _layer_norm,
            (("axis", -1), ("eps", 1e-5)),
            "(x - mean) / sqrt(variance + eps) along axis (the last), without scale and shift",
        ),
        Composite(
            "cross_entropy",
            2,
            _cross_entropy,
            (),
            "-sum(target * log_softmax(logits)) per row, averaged over rows (target: probabilities)",
        ),
        Composite(
            "mse", 2, lambda A, p, t: A.mean(A.powc(A.sub(p, t), 2.0), None), (), "the mean of (x - y)**2 over elements"
        ),
    ]
}


#: The functions by kind, for help and the README (each op, by its name, in one group).
GROUPS: dict[str, list[str]] = {
    "powers, exponentials and logarithms": (
        "pow sqrt rsqrt cbrt square reciprocal exp exp2 expm1 log log2 log10 log1p xlogy xlog1py logaddexp "
        "logaddexp2 logit hypot".split()
    ),
    "trigonometric and hyperbolic": (
        "sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh sinc deg2rad rad2deg".split()
    ),
    "activations": (
        "sigmoid log_sigmoid softplus relu relu6 leaky_relu elu selu celu gelu gelu_tanh silu mish "
        "hardtanh hardsigmoid hardswish softsign".split()
    ),
    "pieces, comparisons and selection": "abs sign copysign step max min clamp lerp equal where stop_gradient".split(),
    "rounding and remainders": "round floor ceil trunc frac fmod remainder".split(),
    "special functions": (
        "erf erfc erfcx erfinv ndtr ndtri log_ndtr gamma lgamma digamma polygamma gammainc gammaincc entr "
        "j0 j1 jn y0 y1 spherical_jn i0 i1 iv i0e i1e ive".split()
    ),
    "arrays": (
        "sum mean amax amin prod matmul outer transpose reshape stack concat softmax logsumexp "
        "log_softmax layer_norm cross_entropy mse".split()
    ),
    "written by derivatives (they read back)": (
        "others_product count broadcast_like broadcast_to sum_to reshape_like scatter erfcx_derivative".split()
    ),
}
