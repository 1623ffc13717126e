"""Scalar float64 kernels: total functions that return nan/inf instead of raising.

Python's ``math`` raises on domain errors and overflow; a calculator must instead
produce the IEEE result (``log(-1)`` is nan, ``1/0`` is inf) so that the report can
say where the non-finite value first appeared.
"""

from __future__ import annotations

import math
import sys

from gradcli.core.lazy_scipy import special

_LN2 = math.log(2.0)

INF = math.inf
NAN = math.nan
FLOAT_MAX = sys.float_info.max


def add(x: float, y: float) -> float:
    return x + y


def sub(x: float, y: float) -> float:
    return x - y


def mul(x: float, y: float) -> float:
    return x * y


def neg(x: float) -> float:
    return -x


def div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0


def power(x: float, y: float) -> float:
    """x ** y as the C library's pow gives it, except that x**2 is x*x: correctly rounded (pow is
    within 0.52 ulp) and, over many points, a fifth of pow's time (:func:`gradcli.core.arrays.power`)."""
    if y == 2.0:
        return x * x
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0 and _is_odd_integer(y):
            return -INF
        return INF
    except ValueError:
        if x == 0:  # 0 ** negative
            if _is_odd_integer(y):
                return math.copysign(INF, x)
            return INF
        return NAN  # negative base, non-integer exponent


def exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    if x > 0:
        return math.log(x)
    if x == 0:
        return -INF
    return NAN


def log2(x: float) -> float:
    if x > 0:
        return math.log2(x)
    return -INF if x == 0 else NAN


def log10(x: float) -> float:
    if x > 0:
        return math.log10(x)
    return -INF if x == 0 else NAN


def sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else NAN


def _total(fn):
    """Wrap a math function so a domain error gives nan and overflow gives inf."""

    def safe(x: float) -> float:
        try:
            return fn(x)
        except ValueError:
            return NAN
        except OverflowError:
            return math.copysign(INF, x) if fn is math.sinh else INF

    safe.__name__ = fn.__name__
    return safe


sin = _total(math.sin)
cos = _total(math.cos)
tan = _total(math.tan)
asin = _total(math.asin)
acos = _total(math.acos)
atan = math.atan
sinh = _total(math.sinh)
cosh = _total(math.cosh)
tanh = math.tanh


def sigmoid(x: float) -> float:
    """Logistic function, evaluated without overflow for either sign."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    z = exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)), exact for large |x|."""
    if x != x:
        return NAN
    if x == INF:
        return INF
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_beta(x: float, beta: float) -> float:
    """log(1 + exp(beta*x))/beta, exact for large |beta*x| (PyTorch's ``threshold`` is not applied)."""
    return div(softplus(beta * x), beta)


def log_sigmoid(x: float) -> float:
    return -softplus(-x)


def asinh(x: float) -> float:
    """The inverse hyperbolic sine by the C library's steps (fdlibm's), written out so that
    NumPy's kernel (:func:`gradcli.core.arrays.asinh`) takes the same ones: NumPy's own arcsinh
    differs from the C library's in the last bit at one point in ten."""
    a = abs(x)
    if a > 2.0**28 or not math.isfinite(x):
        r = math.log(a) + _LN2
    elif a > 2.0:
        r = math.log(2.0 * a + 1.0 / (math.sqrt(x * x + 1.0) + a))
    else:
        r = math.log1p(a + x * x / (1.0 + math.sqrt(1.0 + x * x)))
    return math.copysign(r, x)


acosh = _total(math.acosh)


def atanh(x: float) -> float:
    if x == 1.0 or x == -1.0:
        return math.copysign(INF, x)
    return math.atanh(x) if -1.0 < x < 1.0 else NAN


def log1p(x: float) -> float:
    if x > -1.0:
        return math.log1p(x)
    return -INF if x == -1.0 else NAN


expm1 = _total(math.expm1)


def exp2(x: float) -> float:
    return power(2.0, x)


def reciprocal(x: float) -> float:
    return div(1.0, x)


def rsqrt(x: float) -> float:
    return div(1.0, sqrt(x))


def cbrt(x: float) -> float:
    """The real cube root (negative for negative x)."""
    if hasattr(math, "cbrt"):
        return math.cbrt(x)
    if x == 0 or not math.isfinite(x):  # Python 3.10: no math.cbrt
        return x
    root = math.copysign(abs(x) ** (1.0 / 3.0), x)
    return root - (root**3 - x) / (3.0 * root * root)  # one Newton step: the last bits


def square(x: float) -> float:
    return x * x


hypot = math.hypot


def atan2(y: float, x: float) -> float:
    return math.atan2(y, x)


def sinc(x: float) -> float:
    """sin(pi*x)/(pi*x), 1 at 0, with sin(pi*x) taken from x's distance r to the nearest whole number n
    as (-1)**n*sin(pi*r): exactly 0 at whole x, where sin(math.pi*x) is not (sinc(1) would be 4e-17)."""
    if x == 0:
        return 1.0
    if not math.isfinite(x):
        return NAN
    n = round(x)
    s = math.sin(math.pi * (x - n))
    return (-s if n % 2 else s) / (math.pi * x)


_LOG2E = 1.4426950408889634  # 1/ln 2, the constant NumPy's logaddexp2 multiplies by


def logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow: exact at a = b (as numpy.logaddexp)."""
    if a == b:
        return a + _LN2
    return maximum(a, b) + math.log1p(exp(-abs(a - b)))


def logaddexp2(a: float, b: float) -> float:
    """log2(2**a + 2**b) without overflow: exact at a = b (as numpy.logaddexp2)."""
    if a == b:
        return a + 1.0
    return maximum(a, b) + math.log1p(exp2(-abs(a - b))) * _LOG2E


def lerp(a: float, b: float, w: float) -> float:
    """a + w*(b - a), from b's side where |w| >= 1/2 (exact at w = 1), as torch.lerp."""
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1.0 - w)


SQRT_HALF = math.sqrt(0.5)


def gelu(x: float) -> float:
    """x*Phi(x) with Phi the normal distribution, as x/2*erfc(-x/sqrt(2)) (accurate for x < 0)."""
    return 0.5 * x * math.erfc(-x * SQRT_HALF)


GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)
GELU_TANH_CUBIC = 0.044715


def gelu_tanh(x: float) -> float:
    """x/2*(1 + tanh(u)), u = sqrt(2/pi)*(x + 0.044715x**3), as x*sigmoid(2u) (no cancellation for x < 0)."""
    u = GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x)
    return x * sigmoid(2.0 * u)


def silu(x: float) -> float:
    return x * sigmoid(x)


def mish(x: float) -> float:
    return x * math.tanh(softplus(x))


def elu(x: float, alpha: float, scale: float = 1.0, input_scale: float = 1.0) -> float:
    """scale*x for x > 0, else scale*alpha*(exp(input_scale*x) - 1): elu, selu and celu."""
    if x > 0:
        return scale * x
    return scale * alpha * expm1(input_scale * x)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: float) -> float:
    return elu(x, SELU_ALPHA, SELU_SCALE)


def celu(x: float, alpha: float) -> float:
    return elu(x, alpha, 1.0, div(1.0, alpha))


def leaky_relu(x: float, slope: float) -> float:
    return x if x > 0 else x * slope


def relu6(x: float) -> float:
    return clamp(x, 0.0, 6.0)


def hardtanh(x: float) -> float:
    return clamp(x, -1.0, 1.0)


def hardsigmoid(x: float) -> float:
    return clamp(x + 3.0, 0.0, 6.0) / 6.0


def hardswish(x: float) -> float:
    return x * clamp(x + 3.0, 0.0, 6.0) / 6.0


def softsign(x: float) -> float:
    return x / (1.0 + abs(x))


erfc = math.erfc


def lgamma(x: float) -> float:
    """log|gamma(x)|: inf at the poles (0, -1, -2, ...) and where it overflows."""
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):
        return INF


def gamma(x: float) -> float:
    """The gamma function: +-inf at 0 (by the sign of the zero), nan at the negative whole numbers."""
    try:
        return math.gamma(x)
    except OverflowError:
        return INF
    except ValueError:
        return math.copysign(INF, x) if x == 0 else NAN


def is_order(n: float, negative: bool = False) -> bool:
    """Whether n is a whole number (non-negative unless ``negative``): an order of polygamma or a Bessel function."""
    return math.isfinite(n) and n == math.floor(n) and (negative or n >= 0)


def _special(name: str):
    """scipy.special's function ``name`` of one float (SciPy loads with the first call)."""

    def kernel(x: float) -> float:
        return float(getattr(special, name)(x))

    kernel.__name__ = name
    kernel.scipy_name = name  # its NumPy kernel is the same ufunc (see ops._array_kernel)
    return kernel


erfinv = _special("erfinv")
logit = _special("logit")
ndtr = _special("ndtr")
ndtri = _special("ndtri")
log_ndtr = _special("log_ndtr")
erfcx = _special("erfcx")
entr = _special("entr")
i0 = _special("i0")
i1 = _special("i1")
i0e = _special("i0e")
i1e = _special("i1e")
digamma = _special("psi")
j0 = _special("j0")
j1 = _special("j1")
y0 = _special("y0")
y1 = _special("y1")


def polygamma(x: float, n: float) -> float:
    return float(special.polygamma(int(n), x)) if is_order(n) else NAN


def jn(x: float, n: float) -> float:
    return float(special.jv(n, x)) if is_order(n, negative=True) else NAN


SQRT_PI = math.sqrt(math.pi)
ERFCX_FAR = 10.0  # from here on erfcx's derivatives come from hyperu: 2x*erfcx(x) - 2/sqrt(pi) cancels


def erfcx_recurrence(x, n: int, f):
    """The n-th derivative of erfcx from f = erfcx(x), by f' = 2x*f - 2/sqrt(pi) and f_(k+1) = 2x*f_k + 2k*f_(k-1):
    numbers or arrays; exact in sign for x < 0 (the terms agree), and losing about log10(2x**2) digits for x > 0."""
    if n == 0:
        return f
    previous, current = f, 2.0 * x * f - 2.0 / SQRT_PI
    for order in range(1, n):
        previous, current = current, 2.0 * x * current + 2.0 * order * previous
    return current


def erfcx_far(square, n: int):
    """The n-th derivative of erfcx for x > 0 as (-1)**n n! U((n+1)/2, 1/2, x**2)/sqrt(pi), U = scipy's hyperu, given
    ``square`` = x**2 held at the largest float (hyperu of inf is nan; the derivative there is 0): no cancellation."""
    return (-1.0) ** n * math.factorial(n) * special.hyperu((n + 1) / 2, 0.5, square) / SQRT_PI


def erfcx_derivative(x: float, n: float) -> float:
    if not is_order(n):
        return NAN
    if x >= ERFCX_FAR:
        return float(erfcx_far(min(x * x, FLOAT_MAX), int(n)))
    return erfcx_recurrence(x, int(n), float(special.erfcx(x)))


IV_NEAR_ZERO = 1.0  # below this iv is ive*exp(|x|): SciPy's iv is 0 or nan for tiny x (iv(1, 1e-300) = 0)


def iv(x: float, n: float) -> float:
    if not is_order(n, negative=True):
        return NAN
    if abs(x) < IV_NEAR_ZERO:
        return float(special.ive(n, x)) * math.exp(abs(x))
    return float(special.iv(n, x))


def ive(x: float, n: float) -> float:
    return float(special.ive(n, x)) if is_order(n, negative=True) else NAN


SMALL_SPHERICAL = 1e-20  # below this, j_n(x) = x**n/(2n+1)!! to the last bit (the next term is x**2/(4n+6) smaller)


def spherical_jn_near_zero(x, n: int):
    """j_n(x) for |x| < SMALL_SPHERICAL: SciPy loses digits there and gives nan below 1e-308."""
    return x**n / math.prod(range(1, 2 * n + 2, 2))


def spherical_jn(x: float, n: float) -> float:
    if not is_order(n):
        return NAN
    if abs(x) < SMALL_SPHERICAL:
        return spherical_jn_near_zero(x, int(n))
    return float(special.spherical_jn(int(n), x))


def gammainc(x: float, a: float) -> float:
    return float(special.gammainc(a, x))


def gammaincc(x: float, a: float) -> float:
    return float(special.gammaincc(a, x))


def relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan passes through


def absolute(x: float) -> float:
    return abs(x)


def sign(x: float) -> float:
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x  # 0.0, -0.0 or nan


def step(x: float) -> float:
    """Heaviside step with step(0) = 0: the derivative of relu."""
    if x > 0:
        return 1.0
    if x <= 0:
        return 0.0
    return NAN


def maximum(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x >= y else y


def minimum(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x <= y else y


def clamp(x: float, lo: float, hi: float) -> float:
    return minimum(maximum(x, lo), hi)


def _x_times(log_of):
    """x * log_of(y), defined as 0 where x == 0 (and y is not nan), as scipy.special's xlogy and xlog1py."""

    def kernel(x: float, y: float) -> float:
        if x == 0 and y == y:
            return 0.0
        return x * log_of(y)

    kernel.__name__ = f"x{log_of.__name__}y"
    return kernel


xlogy = _x_times(log)
xlog1py = _x_times(log1p)


def identity(x: float) -> float:
    return x


def _whole(rounding):
    """A rounding function on floats that passes inf and nan through (``math.floor`` raises)."""

    def rounded(x: float) -> float:
        if not math.isfinite(x):
            return x
        whole = float(rounding(x))
        return math.copysign(whole, x) if whole == 0 else whole  # ceil(-0.5) is -0.0, as in IEEE and NumPy

    rounded.__name__ = rounding.__name__
    return rounded


trunc = _whole(math.trunc)


def frac(x: float) -> float:
    """x - trunc(x), exact, with the sign of x (as torch.frac); nan for infinite x."""
    return x - trunc(x)


round_half_even = _whole(round)  # Python's round: halves to the even neighbour, as numpy.round
floor = _whole(math.floor)
ceil = _whole(math.ceil)


def fmod(x: float, y: float) -> float:
    """The remainder of x/y with the sign of x (C's fmod, torch.fmod); nan for y = 0."""
    try:
        return math.fmod(x, y)
    except ValueError:
        return NAN


def remainder(x: float, y: float) -> float:
    """The remainder of x/y with the sign of y (Python's %, torch.remainder); nan for y = 0."""
    try:
        return x % y
    except ZeroDivisionError:
        return NAN


def equal(x: float, y: float) -> float:
    return 1.0 if x == y else 0.0


def not_equal(x: float, y: float) -> float:
    return 1.0 if x != y else 0.0


def less(x: float, y: float) -> float:
    return 1.0 if x < y else 0.0


def less_equal(x: float, y: float) -> float:
    return 1.0 if x <= y else 0.0


def greater(x: float, y: float) -> float:
    return 1.0 if x > y else 0.0


def greater_equal(x: float, y: float) -> float:
    return 1.0 if x >= y else 0.0


def where(c: float, a: float, b: float) -> float:
    """a where c is true (not 0; nan counts as true, as in Python and NumPy), else b."""
    return a if c else b


def floor_divide(x: float, y: float) -> float:
    """x // y as Python computes it for floats (exact: 7 // 0.1 is 69, not floor(70.0)); for y = 0,
    x / y's infinity or nan, as NumPy gives."""
    return div(x, y) if y == 0.0 else x // y


def whole_distance(x):
    """x minus the nearest whole number: 0 at the jumps of floor and ceil (and, at x - 1/2, of
    round); it changes sign where x crosses one. Numbers (float or mpmath) and NumPy arrays."""
    if getattr(x, "ndim", 0):
        return x - x.round()
    if x != x or x in (INF, -INF):
        return NAN
    return x - round(x)
