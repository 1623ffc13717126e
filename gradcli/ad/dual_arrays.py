"""Forward-over-reverse on arrays: the reverse sweep run on dual numbers of arrays.

Every value is a :class:`Dual`, a primal and its tangent along one direction ``v``. Each
op's rule, run by :class:`DualAlgebra`, computes its primal with the NumPy kernel and its
tangent with the op's own Jacobian-vector product, so the reverse sweep
(:func:`gradcli.ad.reverse.vjp_sweep`) returns, for every input, the gradient and its
derivative along ``v``: a Hessian-vector product, ``H v``, without forming ``H`` and
without a symbolic gradient graph (as ``jax.jvp(jax.grad(f))`` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from gradcli.ad.forward_mode import jvp_sweep
from gradcli.ad.reverse import vjp_sweep
from gradcli.core import arrays
from gradcli.core.algebra import ARRAYS
from gradcli.core.errors import InputProblem
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import np
from gradcli.core.ops import OPS, Op


class Dual(NamedTuple):
    """A value and its tangent (None: exactly 0)."""

    primal: Any
    tangent: Any = None


class DualAlgebra:
    """The op table's rules on :class:`Dual` values: one method per op, generated from :data:`OPS`."""

    zero = Dual(0.0)
    one = Dual(1.0)

    @staticmethod
    def const(value: float) -> Dual:
        return Dual(float(value))

    @staticmethod
    def is_structural_zero(value: Dual) -> bool:
        return False

    @staticmethod
    def ndim(value: Dual) -> int:
        return np.ndim(value.primal)

    @staticmethod
    def shape(value: Dual) -> tuple[int, ...]:
        return np.shape(value.primal)

    @staticmethod
    def select(gradient: Dual, condition: Dual, taken: bool, like: Dual) -> Dual | None:
        """:meth:`ArrayAlgebra.select` on duals: the condition's value picks, for the tangent too."""
        chosen = ARRAYS.select(gradient.primal, condition.primal, taken, like.primal)
        if chosen is None:
            return None
        if gradient.tangent is None:
            return Dual(chosen)
        return Dual(chosen, ARRAYS.select(gradient.tangent, condition.primal, taken, like.primal))

    @staticmethod
    def unbroadcast(value: Dual, like: Dual) -> Dual:
        return _linear(arrays.unbroadcast, value, like.primal)

    @staticmethod
    def shaped_like(value: Dual, like: Dual) -> Dual:
        return _linear(arrays.shaped_like, value, like.primal)


def _linear(fn, value: Dual, like: Any) -> Dual:
    """A linear map applied to a dual: to the primal and to the tangent alike."""
    return Dual(fn(value.primal, like), None if value.tangent is None else fn(value.tangent, like))


def _method(op: Op):
    kernel = op.array or op.forward

    def apply(*args_and_param: Any) -> Dual:
        if op.has_param:
            *args, param = args_and_param
        else:
            args, param = args_and_param, None
        primals = [a.primal for a in args]
        out = kernel(*primals, param) if op.has_param else kernel(*primals)
        tangents = [a.tangent for a in args]
        if all(t is None for t in tangents):
            return Dual(out)
        if not op.differentiable:
            raise InputProblem(f"second derivatives through {op.name} are not available yet")
        return Dual(out, op.jvp(ARRAYS, out, primals, tangents, param))

    apply.__name__ = op.name
    return staticmethod(apply)


for _op in OPS.values():
    if _op.forward is not None:
        setattr(DualAlgebra, _op.name, _method(_op))

DUALS = DualAlgebra()


def gradient_and_hvp(
    program: Program, values: list[Any], direction: Mapping[int, Any]
) -> tuple[dict[int, Any], dict[int, Any]]:
    """For each input node: d output / d input, and its derivative along ``direction`` (input node ->
    tangent, shaped as the input): the gradient and H v, from one tangent pass and one dual reverse pass."""
    with np.errstate(all="ignore"):
        tangents = jvp_sweep(ARRAYS, program, values, dict(direction))
        duals = [Dual(v, tangents.get(node)) for node, v in enumerate(values)]
        sent = vjp_sweep(DUALS, program.graph, program.output, Dual(1.0), duals)
    gradient, product = {}, {}
    for node in program.inputs.values():
        adjoint = sent.get(node, Dual(0.0))
        gradient[node] = arrays.shaped_like(adjoint.primal, values[node])
        product[node] = arrays.shaped_like(0.0 if adjoint.tangent is None else adjoint.tangent, values[node])
    return gradient, product
