"""NumPy kernels: every op's float64 forward on arrays, and the structural ops' own kernels.

The elementwise kernels give the IEEE result where the scalar kernels of
:mod:`gradcli.core.kernels` do (``log(-1)`` is nan, ``1/0`` is inf); callers run them under
``np.errstate(all="ignore")``. The structural kernels (sums, products of matrices, indexing)
take their parameter last, as every op of the table does. An axis or an index is a tuple
of plain numbers, so that nodes carrying one hash-cons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from gradcli.core import kernels as k
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.lazy_scipy import special

Array = "np.ndarray"
Axis = int | tuple[int, ...] | None
# An index: one item per subscript, each a whole number or a (start, stop, step) slice.
Key = tuple[int | tuple[int | None, int | None, int | None], ...]


def as_value(value: Any) -> float | Array:
    """A float for a 0-d result, a read-only float64 array otherwise."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return float(array)
    array.flags.writeable = False
    return array


def shape_of(value: Any) -> tuple[int, ...]:
    return np.shape(value)


def elements(name: str, value: Any) -> list[tuple[str, tuple[int, ...]]]:
    """Each element of a value, by label (``W[0, 1]``; a number is its name) and index."""
    if not is_array(value):
        return [(name, ())]
    return [(f"{name}[{', '.join(map(str, where))}]", where) for where in np.ndindex(value.shape)]


def one_hot(value: Any, where: tuple[int, ...]) -> Any:
    """1 at ``where`` and 0 elsewhere, in the shape of ``value`` (1.0 for a number): a seed."""
    if not is_array(value):
        return 1.0
    seed = np.zeros(value.shape)
    seed[where] = 1.0
    return selected(seed, seed != 0.0)  # the other elements receive nothing, not 0 times their partials


# ---------------------------------------------------------------- elementwise


def relu(x):
    out = np.maximum(x, 0.0)  # nan passes through
    out += 0.0  # and -0.0 becomes 0.0, as the scalar kernel gives
    return out


def step(x):
    out = np.greater(x, 0).astype(np.float64)  # 1 where x > 0, 0 where x <= 0 (np.heaviside: 6 times slower)
    if out.ndim == 0:
        return float(out) if x == x else np.nan
    out[np.isnan(x)] = np.nan  # and nan for nan
    return out


def sign(x):
    return np.where(x == 0, x, np.sign(x))  # keeps -0.0 (and nan) as the scalar kernel does


def times(x, y):
    """x * y, where a factor that is the number 1 gives the other factor itself (exact: 1*y is y for
    every float, nan and -0.0 included) and -1 its negation: the chain rule's commonest products."""
    if x.__class__ is float and (x == 1.0 or x == -1.0):
        return y if x == 1.0 else np.negative(y)
    if y.__class__ is float and (y == 1.0 or y == -1.0):
        return x if y == 1.0 else np.negative(x)
    return np.multiply(x, y)


def sigmoid(x):
    """1/(1 + exp(-x)) for x >= 0, exp(x)/(1 + exp(x)) below: the scalar kernel's two forms, as
    a numerator of 1 or z over 1 + z, with z = exp(-|x|)."""
    if not is_array(x):
        return k.sigmoid(float(x))
    z = np.abs(x)
    np.negative(z, out=z)
    np.exp(z, out=z)
    numerator = np.maximum(z, x >= 0)  # 1 where x >= 0 (there z <= 1), else z; nan stays nan
    z += 1.0
    return np.divide(numerator, z, out=numerator)


def softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _x_times(log_name: str):
    """kernels.xlogy and kernels.xlog1py on arrays: x * log(y) (NumPy's ``log_name``), 0 where x == 0."""

    def kernel(x, y):
        x, y = np.broadcast_arrays(x, y)
        return np.where((x == 0) & (y == y), 0.0, x * getattr(np, log_name)(y))

    kernel.__name__ = f"x{log_name}y"
    return kernel


xlogy = _x_times("log")
xlog1py = _x_times("log1p")


def _pick(x, y, keep_first):
    """x where ``keep_first(x, y)``, else y, and nan where either is: the scalar kernels' tie rule."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    out = np.where(keep_first(x, y), x, y)
    either_nan = np.isnan(x) | np.isnan(y)
    return np.where(either_nan, np.nan, out) if either_nan.any() else out


def maximum(x, y):
    return _pick(x, y, np.greater_equal)  # at a tie, x: maximum(-0.0, 0.0) is -0.0, as in kernels.maximum


def minimum(x, y):
    return _pick(x, y, np.less_equal)


def clamp(x, lo, hi):
    return minimum(maximum(x, lo), hi)


def sqrt(x):
    return np.sqrt(x)


def power(x, y):
    """:func:`gradcli.core.kernels.power` on arrays: x*x for the exponent 2, x itself for 1 (pow's
    exact answers, without its cost), NumPy's pow (the C library's) otherwise."""
    if np.ndim(y) == 0:
        if y == 2.0:
            return np.multiply(x, x)
        return x if y == 1.0 else np.power(x, y)
    return np.where(y == 2.0, np.multiply(x, x), np.power(x, y))


def hypot(x, y):
    """Python's ``math.hypot`` on every element (a loop in C over Python floats): NumPy's, the C
    library's, differs from it in the last bit, and a program of numbers runs Python's."""
    return np.asarray(np.frompyfunc(math.hypot, 2, 1)(x, y), dtype=np.float64)


def asinh(x):
    """:func:`gradcli.core.kernels.asinh`'s steps on arrays, so both agree to the last bit."""
    a = np.abs(x)
    r = np.log1p(a + x * x / (1.0 + np.sqrt(1.0 + x * x)))
    middle = a > 2.0
    r = np.where(middle, np.log(2.0 * a + 1.0 / (np.sqrt(x * x + 1.0) + a)), r)
    r = np.where((a > 2.0**28) | ~np.isfinite(x), np.log(a) + math.log(2.0), r)
    return np.copysign(r, x)


def _each(kernel):
    """A float kernel applied element by element (for what NumPy has no ufunc of: erf, lgamma, ...)."""

    def each(x):
        return np.asarray(np.frompyfunc(kernel, 1, 1)(x), dtype=np.float64)

    each.__name__ = kernel.__name__
    return each


erf = _each(math.erf)
erfc = _each(math.erfc)
lgamma = _each(k.lgamma)
gamma = _each(k.gamma)


def softplus_beta(x, beta):
    return softplus(np.multiply(beta, x)) / beta


def log_sigmoid(x):
    return -softplus(np.negative(x))


def sinc(x):
    """kernels.sinc on arrays: sin(pi*x) from the distance to the nearest whole number."""
    n = np.round(x)
    s = np.sin(np.pi * (x - n))
    s = np.where(np.fmod(n, 2.0) != 0, -s, s)
    with np.errstate(all="ignore"):
        out = s / (np.pi * np.asarray(x, dtype=np.float64))
    return np.where(x == 0, 1.0, out)


def gelu(x):
    return 0.5 * x * erfc(np.multiply(-x, k.SQRT_HALF))


def gelu_tanh(x):
    u = k.GELU_TANH_SCALE * (x + k.GELU_TANH_CUBIC * x * x * x)
    return x * sigmoid(2.0 * u)


def silu(x):
    return x * sigmoid(x)


def mish(x):
    return x * np.tanh(softplus(x))


def elu(x, alpha, scale=1.0, input_scale=1.0):
    return np.where(x > 0, scale * x, scale * alpha * np.expm1(np.multiply(input_scale, x)))


def selu(x):
    return elu(x, k.SELU_ALPHA, k.SELU_SCALE)


def celu(x, alpha):
    return elu(x, alpha, 1.0, k.div(1.0, alpha))


def leaky_relu(x, slope):
    return np.where(x > 0, x, np.multiply(x, slope))


def rsqrt(x):
    return 1.0 / np.sqrt(x)


def relu6(x):
    return clamp(x, 0.0, 6.0)


def hardtanh(x):
    return clamp(x, -1.0, 1.0)


def hardsigmoid(x):
    return clamp(np.add(x, 3.0), 0.0, 6.0) / 6.0


def hardswish(x):
    return x * clamp(np.add(x, 3.0), 0.0, 6.0) / 6.0


def softsign(x):
    return x / (1.0 + np.abs(x))


def special_function(name: str):
    """scipy.special's ufunc ``name`` as a kernel of arrays (SciPy loads with the first call)."""

    def kernel(*args):
        return getattr(special, name)(*args)

    kernel.__name__ = name
    return kernel


def polygamma(x, n):
    return special.polygamma(int(n), x) if k.is_order(n) else np.full_like(x, np.nan, dtype=np.float64)


def jn(x, n):
    return special.jv(n, x) if k.is_order(n, negative=True) else np.full_like(x, np.nan, dtype=np.float64)


def erfcx_derivative(x, n):
    """kernels.erfcx_derivative on arrays: hyperu from ERFCX_FAR on, the recurrence below."""
    if not k.is_order(n):
        return np.full_like(x, np.nan, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        far = k.erfcx_far(np.minimum(x * x, k.FLOAT_MAX), int(n))
        near = k.erfcx_recurrence(x, int(n), special.erfcx(x))
    return np.where(x >= k.ERFCX_FAR, far, near)


def iv(x, n):
    """kernels.iv on arrays: from ive near 0, where SciPy's iv is 0 or nan."""
    if not k.is_order(n, negative=True):
        return np.full_like(x, np.nan, dtype=np.float64)
    magnitude = np.abs(x)
    with np.errstate(all="ignore"):
        near_zero = special.ive(n, x) * np.exp(np.minimum(magnitude, k.IV_NEAR_ZERO))
        return np.where(magnitude < k.IV_NEAR_ZERO, near_zero, special.iv(n, x))


def ive(x, n):
    return special.ive(n, x) if k.is_order(n, negative=True) else np.full_like(x, np.nan, dtype=np.float64)


def spherical_jn(x, n):
    if not k.is_order(n):
        return np.full_like(x, np.nan, dtype=np.float64)
    with np.errstate(all="ignore"):
        near_zero = k.spherical_jn_near_zero(np.asarray(x, dtype=np.float64), int(n))
        return np.where(np.abs(x) < k.SMALL_SPHERICAL, near_zero, special.spherical_jn(int(n), x))


def gammainc(x, a):
    return special.gammainc(a, x)


def gammaincc(x, a):
    return special.gammaincc(a, x)


def equal(x, y):
    return (np.asarray(x) == np.asarray(y)).astype(np.float64)


def compared(name: str):
    """NumPy's comparison ``name`` (``less``, ``greater_equal``, ...) as a kernel of 1.0 and 0.0."""

    def kernel(x, y):
        return as_value(getattr(np, name)(x, y))

    kernel.__name__ = name
    return kernel


def where(c, a, b):
    return as_value(np.where(np.asarray(c) != 0, a, b))  # nan counts as true, as in the scalar kernel


def floor_divide(x, y):
    return as_value(np.floor_divide(x, y))


def selected(gradient, taken) -> Array:
    """``gradient`` where ``taken`` holds, and exactly nothing elsewhere: what ``where`` sends a branch.

    The elements not taken are 0 that stays 0 when the reverse sweep multiplies it by a local
    partial, also an infinite or nan one (the branch ``where`` does not take contributes
    nothing, not ``0 * nan``). It stays so through elementwise products, negation and sums of
    two such gradients; any other operation gives a plain array. An array whose every element
    is taken is returned as it is.
    """
    mask = np.broadcast_to(np.asarray(taken, dtype=bool), np.shape(gradient))
    values = np.where(mask, gradient, 0.0)
    if mask.all():
        return as_value(values)
    out = np.asarray(values, dtype=np.float64).view(_selected_class())
    out.taken = mask
    out.flags.writeable = False
    return out


def _taken(value) -> Any:
    return getattr(value, "taken", None)


_SELECTED: list[type] = []  # the ndarray subclass, made when first needed (NumPy loads lazily)


def _selected_class() -> type:
    if not _SELECTED:

        class Selected(np.ndarray):
            """A gradient with elements that receive nothing (see :func:`selected`)."""

            taken = None

            def __array_finalize__(self, obj) -> None:
                self.taken = None  # views and slices: no longer known which elements are taken

            def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
                plain = [np.asarray(x) if isinstance(x, np.ndarray) else x for x in inputs]
                result = getattr(ufunc, method)(*plain, **kwargs)
                masks = [_taken(x) for x in inputs]
                return _still_selected(ufunc, method, result, masks)

        _SELECTED.append(Selected)
    return _SELECTED[0]


def _still_selected(ufunc, method: str, result, masks: list) -> Any:
    """The result of an operation on a selected gradient: selected still where the operation keeps
    the elements not taken at exactly 0 (a product by anything, a negation, a sum of two)."""
    if method != "__call__" or np.shape(result) != np.shape(next((m for m in masks if m is not None), result)):
        return result
    if ufunc is np.multiply or ufunc is np.negative:
        mask = next(m for m in masks if m is not None)
        return selected(result, mask)
    if ufunc is np.add and all(m is not None for m in masks):
        return selected(result, masks[0] | masks[1])
    return result


def frac(x):
    return np.subtract(x, np.trunc(x))


def lerp(a, b, w):
    """kernels.lerp on arrays: from b's side where |w| >= 1/2, as torch.lerp."""
    return np.where(np.abs(w) < 0.5, a + np.multiply(w, np.subtract(b, a)), b - np.subtract(b, a) * np.subtract(1.0, w))


def round_half_even(x):
    return np.round(x)  # as Python's round and torch.round: halves go to the even neighbour


# ---------------------------------------------------------------- axes and indices


def normal_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """The axes a reduction runs over, as non-negative numbers (None: all of them)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    if ndim == 0 and all(a in (0, -1) for a in axes):
        return ()  # a number reduces over no axis, as NumPy lets axis 0 or -1 of a 0-d array mean
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for an array of {ndim} dimensions")
    return tuple(sorted(a % max(ndim, 1) for a in axes))


def as_index(key: Key) -> tuple:
    return tuple(slice(*item) if isinstance(item, tuple) else item for item in key)


# ---------------------------------------------------------------- reductions and their transposes


def total(x, axis: Axis):
    return as_value(np.sum(x, axis=axis))


def average(x, axis: Axis):
    return as_value(np.sum(x, axis=axis) / count(x, axis))  # an empty reduction is nan, in the result's shape


def largest(x, axis: Axis):
    return as_value(np.max(x, axis=axis))


def smallest(x, axis: Axis):
    return as_value(np.min(x, axis=axis))


def tie_gap(x, axis: Axis, largest: bool = True):
    """Per reduction, how far the winner is ahead of the runner-up: 0 where two tie (inf: no runner-up)."""
    x = np.asarray(x, dtype=np.float64)
    axes = normal_axes(axis, x.ndim)
    if not axes or x.size == 0:
        return np.inf
    moved = np.moveaxis(x, axes, range(-len(axes), 0))
    flat = moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,))
    if flat.shape[-1] < 2:
        return np.inf
    ordered = np.sort(flat if largest else -flat, axis=-1)
    return ordered[..., -1] - ordered[..., -2]


def product(x, axis: Axis):
    return as_value(np.prod(x, axis=axis))


def count(x, axis: Axis) -> float:
    """How many elements each result of a reduction over ``axis`` combines."""
    shape = np.shape(x)
    return float(math.prod(shape[a] for a in normal_axes(axis, len(shape))))


def broadcast_like(g, like, axis: Axis):
    """``g``, the result of a reduction of ``like`` over ``axis``, spread back to ``like``'s shape."""
    shape = np.shape(like)
    axes = normal_axes(axis, len(shape))
    return as_value(np.broadcast_to(np.expand_dims(g, axes) if axes else g, shape))


def others_product(x, axis: Axis):
    """For every element, the product of the other elements of its reduction (exact with zeros)."""
    x = np.asarray(x, dtype=np.float64)
    axes = normal_axes(axis, x.ndim)
    if not axes or x.size == 0:
        return as_value(np.ones_like(x))
    moved = np.moveaxis(x, axes, range(-len(axes), 0))
    flat = moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,))
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], axis=-1), -1), axis=-1), -1)
    result = (before * after).reshape(moved.shape)
    return as_value(np.moveaxis(result, range(-len(axes), 0), axes))


def unbroadcast(g, like):
    """``g`` summed down to the shape of ``like``: the transpose of NumPy's broadcasting."""
    shape = np.shape(like)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra < 0:
        return as_value(np.broadcast_to(g, shape))
    g = g.sum(axis=tuple(range(extra))) if extra else g
    kept = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return as_value(g.sum(axis=kept, keepdims=True) if kept else g)


def shaped_like(value, like):
    """``value`` spread to the shape of ``like``: a float for a number, else an array of that shape
    (a tangent summed from arguments of smaller shapes; an adjoint of 0 that nothing was sent)."""
    shape = np.shape(like)
    if not shape:
        return float(value)
    return value if np.shape(value) == shape else as_value(np.broadcast_to(value, shape))


# ---------------------------------------------------------------- shape and products


def matmul(a, b):
    for side in (a, b):
        if np.ndim(side) not in (1, 2):
            raise ValueError(f"matmul takes vectors and matrices, not arrays of {np.ndim(side)} dimensions")
    inner_a, inner_b = np.shape(a)[-1], np.shape(b)[0]
    if inner_a != inner_b:
        raise ValueError(f"inner dimensions {inner_a} and {inner_b} differ")
    return as_value(np.matmul(a, b))


def outer(x, y):
    for side in (x, y):
        if np.ndim(side) != 1:
            raise ValueError(f"outer takes two vectors, not arrays of {np.ndim(side)} dimensions")
    return as_value(np.outer(x, y))


def transpose(x):
    return as_value(np.transpose(x))


def reshape(x, shape: tuple[int, ...]):
    return as_value(np.reshape(x, shape))


def reshape_like(g, like):
    return as_value(np.reshape(g, np.shape(like)))


def index(x, key: Key):
    if np.ndim(x) == 0:
        raise ValueError("a number has no elements to index")
    return as_value(np.asarray(x)[as_index(key)])


def scatter(g, like, key: Key):
    """Zeros of ``like``'s shape with ``g`` added at ``key``: the transpose of indexing."""
    out = np.zeros(np.shape(like))
    np.add.at(out, as_index(key), g)
    return as_value(out)


def stack(*args_and_axis):
    *args, axis = args_and_axis
    return as_value(np.stack([np.asarray(a, dtype=np.float64) for a in args], axis=axis))


def concat(*args_and_axis):
    *args, axis = args_and_axis
    for a in args:
        if np.ndim(a) == 0:
            raise ValueError("concat joins arrays, not numbers: stack numbers with [a, b]")
    return as_value(np.concatenate(args, axis=axis))


def split_keys(shapes: Sequence[tuple[int, ...]], axis: int) -> list[Key]:
    """The index of each piece of a concatenation, in the result, along ``axis``."""
    ndim = len(shapes[0])
    axis %= ndim
    keys, start = [], 0
    for shape in shapes:
        stop = start + shape[axis]
        keys.append(((None, None, None),) * axis + ((start, stop, None),))
        start = stop
    return keys


# ---------------------------------------------------------------- stable softmax family


def _shifted(x, axis: int):
    x = np.asarray(x, dtype=np.float64)
    top = np.max(x, axis=axis, keepdims=True)
    return x - np.where(np.isfinite(top), top, 0.0)


def softmax(x, axis: int):
    e = np.exp(_shifted(x, axis))
    return as_value(e / np.sum(e, axis=axis, keepdims=True))


def logsumexp(x, axis: int):
    x = np.asarray(x, dtype=np.float64)
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    result = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return as_value(np.squeeze(result, axis=axis))
