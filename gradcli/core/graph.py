"""The computation graph: immutable, hash-consed nodes in a flat topological list.

A node is an integer id into the parallel arrays of a :class:`Graph`. Nodes are only
ever appended and never change; :meth:`Graph.make` returns the existing id when the
same (op, ordered arguments, parameter) was made before, so identical subexpressions
are one node. Children always exist before their parents, so ids are already a
topological order and every traversal is a plain loop, never recursion.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from functools import wraps
from typing import Any, NamedTuple, TypeVar
from weakref import WeakKeyDictionary

from gradcli.core import arrays
from gradcli.core.errors import InputProblem, argument, clipped
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.ops import CONSTANTS, OPS, Op

T = TypeVar("T")
_CONST = OPS["const"]
_VAR = OPS["var"]


class Node(NamedTuple):
    """A read-only view of one node."""

    id: int
    op: str
    args: tuple[int, ...]
    param: Any


class Graph:
    """Append-only store of nodes with structural sharing."""

    __slots__ = ("ops", "args", "params", "_index")

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.args: list[tuple[int, ...]] = []
        self.params: list[Any] = []
        self._index: dict[tuple, int] = {}

    def __len__(self) -> int:
        return len(self.ops)

    def make(self, op: Op, args: tuple[int, ...] = (), param: Any = None) -> int:
        """Return the id of ``op(args; param)``, creating the node only if it is new."""
        return self._intern((op.name, args, param), op, args, param)

    def const(self, value: float | np.ndarray) -> int:
        if is_array(value) and value.ndim:
            array = arrays.as_value(value)
            return self._intern(("const", array.shape, array.tobytes()), _CONST, (), array)
        value = float(value)
        # The sign joins the key: 0.0 and -0.0 compare equal but are different numbers.
        return self._intern(("const", value, math.copysign(1.0, value)), _CONST, (), value)

    def _intern(self, key: tuple, op: Op, args: tuple[int, ...], param: Any) -> int:
        found = self._index.get(key)
        if found is not None:
            return found
        node = len(self.ops)
        self.ops.append(op)
        self.args.append(args)
        self.params.append(param)
        self._index[key] = node
        return node

    def var(self, name: str) -> int:
        return self.make(_VAR, (), name)

    def node(self, node: int) -> Node:
        return Node(node, self.ops[node].name, self.args[node], self.params[node])

    def is_const(self, node: int, value: float | None = None) -> bool:
        if self.ops[node] is not _CONST:
            return False
        return value is None or (self.params[node].__class__ is float and self.params[node] == value)

    def descendants(self, start: int, through: Callable[[Op], bool] | None = None) -> set[int]:
        """``start`` and every node computed from it (only through ops ``through`` accepts)."""
        below = {start}
        for node in range(start + 1, len(self.ops)):
            if (through is None or through(self.ops[node])) and any(a in below for a in self.args[node]):
                below.add(node)
        return below

    def ancestors(self, roots: Iterable[int]) -> list[int]:
        """Ids of every node the roots depend on (roots included), in topological order.

        A walk of just those nodes: its cost is the size of the answer, not of the graph
        (printing thousands of small second derivatives of one big graph stays cheap).
        """
        seen = set(roots)
        stack = list(seen)
        args = self.args
        while stack:
            for a in args[stack.pop()]:
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
        return sorted(seen)

    def fold(self, root: int, visit: Callable[[int, dict[int, T]], T], known: dict[int, T] | None = None) -> T:
        """``visit(node, results)`` for ``root`` and every node below it, arguments first.

        ``results`` holds what the arguments gave (and the ``known`` results, which are not
        visited); each result is dropped after its last use, so printing a deep expression
        keeps the texts being built, not every text ever built.
        """
        results: dict[int, T] = dict(known or {})
        order = [node for node in self.ancestors([root]) if node not in results]
        uses: dict[int, int] = {}
        for node in order:
            for a in self.args[node]:
                uses[a] = uses.get(a, 0) + 1
        for node in order:
            results[node] = visit(node, results)
            for a in self.args[node]:
                uses[a] -= 1
                if uses[a] == 0 and a != root:
                    del results[a]
        return results[root]


class Program:
    """A parsed program: its graph, output node(s), inputs (some with defaults) and binding names.

    ``size`` nodes belong to the program; derivative graphs may append more later. A
    program whose last statement is a list ``[e1, e2]`` has several outputs; the views
    that need one (a gradient, a trace) take it with :meth:`select`.
    """

    __slots__ = (
        "graph",
        "outputs",
        "output_names",
        "inputs",
        "labels",
        "source",
        "size",
        "defaults",
        "bound",
        "unread",
        "shadowed",
        "positions",
        "_selected",
        "__weakref__",
    )

    def __init__(
        self,
        graph: Graph,
        output: int | Sequence[int],
        inputs: dict[str, int],
        labels: dict[int, str] | None = None,
        source: str = "",
        size: int | None = None,
        defaults: dict[str, float] | None = None,
        bound: frozenset[str] = frozenset(),
        unread: frozenset[str] = frozenset(),
        output_names: Sequence[str | None] | None = None,
        shadowed: frozenset[str] = frozenset(),
        positions: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        self.graph = graph
        self.outputs: tuple[int, ...] = (output,) if isinstance(output, int) else tuple(output)
        if output_names is None:
            output_names = [labels.get(node) if labels else None for node in self.outputs]
        self.output_names: tuple[str | None, ...] = tuple(output_names)  # binding name, or None: a position
        self.inputs = inputs
        self.labels = labels or {}
        self.source = source
        self.size = len(graph) if size is None else size
        self.defaults = defaults or {}
        self.bound = bound  # names bound to computed values (not inputs)
        self.unread = unread  # declared inputs (`w = 0.5`) rebound before any read
        self.shadowed = shadowed  # constants (e, pi) the program uses as names of its own
        self.positions = positions or {}  # node -> (line, column) of the call, @ or [ that made it
        self._selected: dict[int, Program] = {}

    @property
    def output(self) -> int:
        """The output node; a program with several outputs must :meth:`select` one first."""
        if len(self.outputs) != 1:
            raise MultipleOutputs(self)
        return self.outputs[0]

    def output_label(self, k: int) -> str:
        """How the k-th output is called: its binding name, or its position ``[k]``."""
        return self.output_names[k] or f"[{k}]"

    def output_index(self, which: str) -> int:
        """The position of the output called ``which`` (a name, or a position from 0)."""
        if which in self.output_names:
            return self.output_names.index(which)
        text = which.strip().strip("[]")
        if re.fullmatch(r"-?[0-9]{1,9}", text) and -len(self.outputs) <= int(text) < len(self.outputs):
            return int(text) % len(self.outputs)
        raise InputProblem(_outputs_listing(self), "of", clipped(which))

    def select(self, k: int) -> Program:
        """The same program with the k-th output as its only one (shares the graph)."""
        if len(self.outputs) == 1:
            return self
        found = self._selected.get(k)
        if found is None:
            found = self._selected[k] = Program(
                self.graph,
                self.outputs[k],
                self.inputs,
                self.labels,
                self.source,
                self.size,
                self.defaults,
                self.bound,
                self.unread,
                (self.output_names[k],),
                self.shadowed,
                self.positions,
            )
        return found

    @property
    def nodes(self) -> range:
        """The program's own nodes (derivative graphs may append more later)."""
        return range(self.size)

    def _repr_svg_(self) -> str | None:
        """The structure as SVG, for Jupyter (needs Graphviz's dot)."""
        return notebook_svg(self)

    def __repr__(self) -> str:
        source = " ".join(self.source.split())
        source = source if len(source) <= 60 else source[:57] + "..."
        outputs = f", outputs={len(self.outputs)}" if len(self.outputs) != 1 else ""
        return f"Program({source!r}, inputs={list(self.inputs)}{outputs}, nodes={self.size})"

    @property
    def constants(self) -> dict[str, float]:
        """The named constants this program can mean by their names (those it does not shadow)."""
        return {name: value for name, value in CONSTANTS.items() if name not in self.shadowed}

    def name_of(self, node: int) -> str | None:
        """The name the program gives this node: its binding name or input name, if any."""
        name = self.labels.get(node)
        if name is None and self.graph.ops[node] is _VAR:
            return self.graph.params[node]
        return name


def _outputs_listing(program: Program) -> str:
    count = len(program.outputs)
    names = clipped(", ".join(program.output_label(k) for k in range(count)), 200)
    return f"the program has {count} output{'s' if count > 1 else ''}: {names} (choose one by name or position from 0)"


class MultipleOutputs(InputProblem):
    """A single-output view was asked of a program with several outputs."""

    def __init__(self, program: Program) -> None:
        self.listing = _outputs_listing(program)
        super().__init__(f"{self.listing}; pick one with {argument('select')}, or use {argument('jacobian')}")


def unused_name(base: str, taken: Container[str]) -> str:
    """``base``, or the first of ``base_2``, ``base_3``, ... that ``taken`` does not hold."""
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    return name


def numbered_names(prefix: str, taken: Container[str]) -> Iterator[str]:
    """``t1``, ``t2``, ... (for ``prefix`` t), skipping what ``taken`` holds when each is asked for."""
    for k in itertools.count(1):
        if f"{prefix}{k}" not in taken:
            yield f"{prefix}{k}"


def per_program(build: Callable[[Program], T]) -> Callable[[Program], T]:
    """Cache what ``build`` makes from a program, for as long as the program lives."""
    cache: WeakKeyDictionary[Program, T] = WeakKeyDictionary()

    @wraps(build)
    def get(program: Program) -> T:
        found = cache.get(program)
        if found is None:
            found = cache[program] = build(program)
        return found

    return get


#: Draws a program or an evaluation as SVG for a notebook; the renderers register one when
#: they load (``gradcli`` loads them with its first name looked up), so the core need not
#: import a later layer.
NOTEBOOK_DRAWERS: list[Callable[[object], str | None]] = []


def notebook_svg(subject: object) -> str | None:
    """SVG of ``subject`` from the registered drawer; None (the text repr shows) without one."""
    return NOTEBOOK_DRAWERS[-1](subject) if NOTEBOOK_DRAWERS else None
