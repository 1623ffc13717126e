"""Two interpretations of the op table's derivative rules.

:data:`FLOATS` computes with float64 numbers; :class:`NodeAlgebra` builds graph nodes,
folding what is certainly safe (``x*1``, ``x+0``, ``-(-x)``, constants, ``x*x`` as
``x**2``) so derivative graphs stay small. ``x*0`` is not folded: ``inf*0`` is nan.
Both expose one method per op name, generated from :data:`gradcli.core.ops.OPS`, so a rule
written once (``A.mul(y, A.cos(x))``) runs under either.
"""

from __future__ import annotations

from typing import Any

from gradcli.core import arrays
from gradcli.core.graph import Graph
from gradcli.core.lazy_numpy import np
from gradcli.core.ops import OPS, Op


class FloatAlgebra:
    """Rules evaluated on Python floats (float64).

    The op functions live in the instance's own namespace, which is the fastest
    attribute lookup Python has: the reverse sweep makes one per node.
    """

    def __init__(self) -> None:
        self.zero = 0.0
        self.one = 1.0
        self.const = float
        for op in OPS.values():
            if op.forward is not None:
                setattr(self, op.name, op.forward)

    def is_structural_zero(self, value: float) -> bool:
        """Never: a partial that is 0 at this point still multiplies (``0 * inf`` is nan)."""
        return False

    @staticmethod
    def unbroadcast(value: float, like: float) -> float:
        """Numbers have no shape to sum down to."""
        return value

    @staticmethod
    def select(gradient: float, condition: float, taken: bool, like: float) -> float | None:
        """The gradient a branch of ``where`` receives: all of it where ``condition`` is ``taken``
        (true, not 0, for the first branch), else nothing at all (None, not 0)."""
        return gradient if bool(condition) == taken else None

    @staticmethod
    def shaped_like(value: float, like: float) -> float:
        """Numbers have no shape to spread to."""
        return value


FLOATS = FloatAlgebra()


class ArrayAlgebra(FloatAlgebra):
    """Rules evaluated on float64 NumPy arrays (and numbers), with NumPy's broadcasting.

    A partial times an incoming gradient may have the broadcast shape of the op's output;
    :meth:`unbroadcast` sums it down to the argument's shape: the one place that happens.
    """

    def __init__(self) -> None:
        super().__init__()
        for op in OPS.values():
            if op.forward is not None:
                setattr(self, op.name, op.array or op.forward)
        self.scatter = _selected_scatter
        self.index = _selected_index

    unbroadcast = staticmethod(arrays.unbroadcast)
    shaped_like = staticmethod(arrays.shaped_like)
    mul = staticmethod(arrays.times)  # not the kernel: partials of 1 (add, sub) pass the gradient on uncopied

    @staticmethod
    def select(gradient: Any, condition: Any, taken: bool, like: Any) -> Any:
        """:meth:`FloatAlgebra.select` element by element: the elements not taken receive nothing
        (:func:`arrays.selected`), so that ``0 * nan`` from the branch's own partials never appears."""
        if condition.__class__ is float:
            return arrays.unbroadcast(gradient, like) if bool(condition) == taken else None
        mask = (np.asarray(condition) != 0) == taken
        if not mask.any():
            return None
        if np.ndim(gradient) < mask.ndim:  # an incoming gradient of 1 for every point of a batch
            gradient = np.broadcast_to(gradient, np.broadcast_shapes(np.shape(gradient), mask.shape))
        return arrays.unbroadcast(arrays.selected(gradient, mask), like)

    @staticmethod
    def ndim(value: Any) -> int:
        return np.ndim(value)

    @staticmethod
    def shape(value: Any) -> tuple[int, ...]:
        return np.shape(value)


def _selected_scatter(g: Any, like: Any, key: Any) -> Any:
    """Indexing's transpose in the reverse sweep: the elements the index does not pick receive nothing."""
    mask = np.zeros(np.shape(like), dtype=bool)
    mask[arrays.as_index(key)] = True
    return arrays.selected(arrays.scatter(g, like, key), mask)


def _selected_index(g: Any, key: Any) -> Any:
    """Part of a gradient (a piece of a stack); None where none of its elements receive anything."""
    taken = getattr(g, "taken", None)
    picked = arrays.index(g, key)
    if taken is None:
        return picked
    part = taken[arrays.as_index(key)]
    if not np.any(part):
        return None
    return picked if np.all(part) else arrays.selected(picked, part)


ARRAYS = ArrayAlgebra()

_FOLDABLE = {"add", "sub", "mul", "div", "neg", "powc"}
_MAX_FOLDED_DIGITS = 12  # fold only to short numbers: 1/3 and e*e stay as they are


class NodeAlgebra:
    """Rules evaluated by building nodes in ``graph``, lightly simplified."""

    def __init__(self, graph: Graph, simplify: bool = True) -> None:
        self.graph = graph
        self.simplify = simplify

    @property
    def zero(self) -> int:
        return self.graph.const(0.0)

    @property
    def one(self) -> int:
        return self.graph.const(1.0)

    def const(self, value: float) -> int:
        return self.graph.const(value)

    def is_structural_zero(self, node: int) -> bool:
        """Whether ``node`` is the constant 0, zero for every input (relu's step is not)."""
        return self.graph.is_const(node, 0.0)

    def unbroadcast(self, node: int, like: int) -> int:
        """Symbolic derivatives are of scalar programs: nothing to sum down."""
        return node

    def select(self, gradient: int, condition: int, taken: bool, like: int) -> int:
        """``where(c, g, 0)`` (or ``where(c, 0, g)``): products with it move inside (see ``_mul``), so
        that the derivative reads ``where(x > 0, 0.5/sqrt(x), 0)`` and is 0 where the branch is not taken."""
        chosen = self.where(condition, gradient, self.zero) if taken else self.where(condition, self.zero, gradient)
        return self.unbroadcast(chosen, like)

    def shaped_like(self, node: int, like: int) -> int:
        """Symbolic derivatives are of scalar programs: nothing to spread."""
        return node

    def apply(self, op: Op, args: tuple[int, ...], param: Any = None) -> int:
        """Make ``op(args)``, or a simpler node equal to it for every input."""
        if self.simplify:
            simpler = self._simplify(op, args, param)
            if simpler is not None:
                return simpler
        return self.graph.make(op, args, param)

    def _const_value(self, node: int) -> float | None:
        """The number a constant node holds (None for other nodes, and for array constants)."""
        g = self.graph
        return g.params[node] if g.is_const(node) and g.params[node].__class__ is float else None

    def _simplify(self, op: Op, args: tuple[int, ...], param: Any) -> int | None:
        consts = [self._const_value(a) for a in args]
        if op.name in _FOLDABLE and all(c is not None for c in consts):
            folded = op.evaluate(consts, param)
            if len(repr(folded)) <= _MAX_FOLDED_DIGITS:
                return self.const(folded)
        rule = _RULES.get(op.name)
        return rule(self, args, consts, param) if rule else None

    def _is(self, node: int, op_name: str) -> bool:
        return self.graph.ops[node].name == op_name

    def _operand(self, node: int) -> int:
        return self.graph.args[node][0]


def _add(A: NodeAlgebra, args, consts, param) -> int | None:
    x, y = args
    if A._is(x, "where") and A._is(y, "where") and A.graph.args[x][0] == A.graph.args[y][0]:
        condition, a, b = A.graph.args[x]
        _, c, d = A.graph.args[y]
        return A.where(condition, A.add(a, c), A.add(b, d))  # where's two branches, gathered
    if consts[1] == 0:
        return x
    if consts[0] == 0:
        return y
    if x == y:
        return A.mul(A.const(2.0), x)
    if A._is(y, "neg"):
        return A.sub(x, A._operand(y))
    if A._is(y, "mul") and (A._const_value(A.graph.args[y][0]) or 0) < 0:
        factor, rest = A.graph.args[y]
        return A.sub(x, A.mul(A.const(-A._const_value(factor)), rest))  # x + -2*z -> x - 2*z
    return None


def _sub(A: NodeAlgebra, args, consts, param) -> int | None:
    x, y = args
    if consts[1] == 0:
        return x
    if consts[0] == 0:
        return A.neg(y)
    if A._is(y, "neg"):
        return A.add(x, A._operand(y))
    return None


def _mul(A: NodeAlgebra, args, consts, param) -> int | None:
    x, y = args
    cx, cy = consts
    for factor, other in ((x, y), (y, x)):
        inside = _selecting(A, other)
        if inside is not None:  # p * where(c, g, 0) -> where(c, p*g, 0): no p*0 where p is nan
            condition, first, second = A.graph.args[other]
            if inside == 1:
                return A.where(condition, A.mul(factor, first), second)
            return A.where(condition, first, A.mul(factor, second))
    if cy is not None and cx is None:
        return A.mul(y, x)  # constants first: 2*x
    if cx == 1 or cy == 1:
        return y if cx == 1 else x
    if cx == -1:
        return A.neg(y)
    if cx is not None and A._is(y, "mul") and A._const_value(A.graph.args[y][0]) is not None:
        inner_c, inner_x = A.graph.args[y]
        merged = A.mul(x, inner_c)
        # Only when the two numbers fold into one (2*(3*z) -> 6*z); 0.1*(0.7*z) stays.
        return A.mul(merged, inner_x) if A.graph.is_const(merged) else None
    if x == y:
        return A.powc(x, 2.0)
    if A._is(y, "neg"):
        return A.neg(A.mul(x, A._operand(y)))  # x*(-y) -> -(x*y): signs gather in front
    if A._is(x, "neg"):
        return A.neg(A.mul(A._operand(x), y))
    if cx is None and _scaled(A, y) and not _scaled(A, A.graph.args[y][1]):
        factor, rest = A.graph.args[y]
        return A.mul(factor, A.mul(x, rest))  # x*(2*z) -> 2*(x*z): constants gather in front
    if cx is None and cy is None and _scaled(A, x) and not _scaled(A, A.graph.args[x][1]):
        factor, rest = A.graph.args[x]
        return A.mul(factor, A.mul(rest, y))  # (2*x)*z -> 2*(x*z)
    return None


def _selecting(A: NodeAlgebra, node: int) -> int | None:
    """1 or 2 for ``where(c, g, 0)`` or ``where(c, 0, g)``: which branch holds the gradient; else None."""
    if not A._is(node, "where"):
        return None
    _, first, second = A.graph.args[node]
    if A.graph.is_const(second, 0.0):
        return 1
    return 2 if A.graph.is_const(first, 0.0) else None


def _where(A: NodeAlgebra, args, consts, param) -> int | None:
    """A condition known when the derivative is built picks its branch; two equal branches are one."""
    condition, first, second = args
    if consts[0] is not None:
        return first if consts[0] else second
    return first if first == second else None


def _scaled(A: NodeAlgebra, node: int) -> bool:
    """``node`` is a number times something (``2*z``).

    Constants gather in front only past one such layer: two stacked layers (``4*(c*z)``)
    are numbers that would not fold into one, and pulling them through every level of
    a deep product would cost the square of its depth.
    """
    return A._is(node, "mul") and A._const_value(A.graph.args[node][0]) is not None


def _div(A: NodeAlgebra, args, consts, param) -> int | None:
    return args[0] if consts[1] == 1 else None


def _neg(A: NodeAlgebra, args, consts, param) -> int | None:
    (x,) = args
    if A._is(x, "neg"):
        return A._operand(x)
    if consts[0] is not None:
        return A.const(-consts[0])
    if A._is(x, "mul") and A._const_value(A.graph.args[x][0]) is not None:
        factor, rest = A.graph.args[x]
        return A.mul(A.const(-A._const_value(factor)), rest)  # -(2*z) -> -2*z
    return None


def _powc(A: NodeAlgebra, args, consts, param) -> int | None:
    if param == 1:
        return args[0]
    if param == 0:
        return A.one
    return None


_RULES = {"add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "powc": _powc, "where": _where}


def _method(op: Op):
    if op.has_param:

        def build(self: NodeAlgebra, *args_and_param: Any) -> int:
            *args, param = args_and_param
            return self.apply(op, tuple(args), param)

    else:

        def build(self: NodeAlgebra, *args: int) -> int:
            return self.apply(op, args)

    build.__name__ = op.name
    return build


for _op in OPS.values():
    if _op.forward is not None:
        setattr(NodeAlgebra, _op.name, _method(_op))


class ShapedNodeAlgebra(NodeAlgebra):
    """:class:`NodeAlgebra` for programs with arrays: every node's value at one point is kept
    alongside, so that rules may ask for ranks and shapes (a product of matrices transposes one
    way for vectors, another for matrices), and un-broadcasting is a ``sum_to`` node only where
    the shapes differ. Factors of ones spread to a shape (``broadcast_like(1, x)``) fold away
    where the other factor has that shape already, so ``sum(x**3)`` differentiates to ``3*x**2``."""

    def __init__(self, graph: Graph, values: dict[int, Any]) -> None:
        super().__init__(graph)
        self.values = values

    def value(self, node: int) -> Any:
        found = self.values.get(node)
        if found is None:
            g = self.graph
            op, args, param = g.ops[node], g.args[node], g.params[node]
            if not args:
                found = param
            else:
                with np.errstate(all="ignore"):
                    found = op.array_kernel_for(param)(*[self.value(a) for a in args])
            self.values[node] = found
        return found

    def ndim(self, node: int) -> int:
        return np.ndim(self.value(node))

    def shape(self, node: int) -> tuple[int, ...]:
        return np.shape(self.value(node))

    def unbroadcast(self, node: int, like: int) -> int:
        return node if self.shape(node) == self.shape(like) else self.sum_to(node, like)

    def shaped_like(self, node: int, like: int) -> int:
        return node if self.shape(node) == self.shape(like) else self.broadcast_to(node, like)

    def apply(self, op: Op, args: tuple[int, ...], param: Any = None) -> int:
        g = self.graph
        if op.name == "transpose" and g.ops[args[0]].name == "transpose":
            return g.args[args[0]][0]  # x.T.T is x
        if op.name == "mul":
            for ones, other in ((args[0], args[1]), (args[1], args[0])):
                if self._spread_ones(ones) and self.shape(other) == self.shape(ones):
                    return other
        if op.name == "index" and g.ops[args[0]].name == "scatter":
            picked = self._picked_from_scatter(args[0], param)
            if picked is not None:
                return picked
        node = super().apply(op, args, param)
        self.value(node)
        return node

    def _picked_from_scatter(self, scattered: int, key: Any) -> int | None:
        """``scatter(g, x, k)[k]`` is ``g``, and ``scatter(g, x, k)[j]`` is 0 for another element j.

        Only single elements (whole-number keys of full length) are recognised: a seed of one
        output element, sent back through a stack, reads ``2*x``, not ``scatter(1, v, [0])[0]``.
        """
        g = self.graph
        placed, like = g.args[scattered]
        shape = self.shape(like)
        where = _element(g.params[scattered], shape)
        if where is None or _element(key, shape) is None or self.shape(placed) != ():
            return None
        return placed if _element(key, shape) == where else self.zero

    def _spread_ones(self, node: int) -> bool:
        """``broadcast_like(1, x)`` or ``broadcast_to(1, x)``: ones of some shape."""
        g = self.graph
        return g.ops[node].name in ("broadcast_like", "broadcast_to") and g.is_const(g.args[node][0], 1.0)


def _element(key: Any, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The one element an index key picks, its indices made non-negative; None for a slice or a part."""
    if len(key) != len(shape) or not all(k.__class__ is int for k in key):
        return None
    return tuple(k % n for k, n in zip(key, shape))
