"""What a chart of a program over a range shows: f, f′ and f″ along one input, or f and its
gradient over two, with the features a learner looks for named and placed.

:func:`curves` evaluates the program at every point of a range (:mod:`gradcli.ad.batch`) and
finds, on each curve, its interior maxima and minima (refined between grid points), the kinks
the gradient passes through (where a kink distance of the op table changes sign, refined by
bisection), and the stretches where a value is nan or infinite, with the node where it first
appears. :func:`field` does the same over a grid of two inputs, with the path of gradient
descent when asked. Renderers draw these; they compute nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from gradcli.ad.batch import Batch, evaluate_over, second_over
from gradcli.ad.descent import Descent
from gradcli.ad.evaluation import kinks_on_path
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import np
from gradcli.explain.diagnostics import explain_bad_grad, explain_bad_value
from gradcli.explain.texts import expression, node_texts

PRIME = {1: "′", 2: "″"}
MAX_MARKS = 24  # kinks, and extremes per curve, placed on a chart; the rest are counted
_ZOOM_POINTS = 33
_ZOOMS = 8
_BISECTIONS = 64


class Extreme(NamedTuple):
    kind: str  # "max" or "min"
    x: float
    value: float


class Curve(NamedTuple):
    """One curve of a chart: ``label`` is f, f′ or f″; ``values`` one number per point (nan in a gap)."""

    label: str
    values: Any
    extremes: list[Extreme]
    more_extremes: int  # interior extremes found beyond those kept


class KinkMark(NamedTuple):
    x: float
    node: str  # the node's expression, ``relu(x)``
    convention: str


class Gap(NamedTuple):
    """A stretch of points where a curve is not finite, and why."""

    curve: str
    start: float
    stop: float
    numbers: tuple[str, ...]  # which of "nan", "inf", "-inf" occur
    node: str  # where the first of them appears, ``log(x)``
    why: str  # how it appears at the gap's first point, as ``eval`` says it there


class Curves(NamedTuple):
    """f and its derivatives along input ``name``, the other inputs held at ``held``."""

    program: Program
    name: str
    x: Any
    curves: list[Curve]
    kinks: list[KinkMark]
    more_kinks: int
    gaps: list[Gap]
    held: dict[str, Any]
    vectorised: bool


class Field(NamedTuple):
    """f over a grid of two inputs (``values[j, i]`` at ``x[i]``, ``y[j]``), its gradient, and a
    descent path when one was asked for."""

    program: Program
    names: tuple[str, str]
    x: Any
    y: Any
    values: Any
    gradient: tuple[Any, Any]
    gaps: list[Gap]
    held: dict[str, Any]
    descent: Descent | None


def derivative_label(order: int) -> str:
    return "f" + PRIME.get(order, "")


def curves(program: Program, name: str, x: Any, at: Mapping[str, Any] | None = None, order: int = 1) -> Curves:
    """f, f′ (and f″ with ``order`` 2) of ``program`` along input ``name`` at the points ``x``.
    Where f is not finite its derivatives are not drawn either (nan): ``log(x)`` has no slope at -1."""
    held = {k: v for k, v in (at or {}).items() if k != name}
    batch = evaluate_over(program, {name: x}, held)
    columns = [batch.value, batch.gradient(name)]
    if order >= 2:
        columns.append(second_over(batch, name))
    defined = np.isfinite(np.asarray(columns[0]))
    gaps = _gaps(batch, 0, columns[0], name, ~defined)
    for k, column in enumerate(columns[1:], 1):
        gaps += _gaps(batch, k, column, name, ~np.isfinite(np.asarray(column)) & defined)
    columns[1:] = [np.where(defined, column, np.nan) for column in columns[1:]]
    found = [_curve(program, name, batch, held, k, column) for k, column in enumerate(columns)]
    kinks = _kinks(program, name, batch, held)
    found = [found[0], *(_clear_of(curve, kinks, np.asarray(x, dtype=np.float64)) for curve in found[1:])]
    return Curves(program, name, batch.inputs[name], found, kinks[:MAX_MARKS], max(0, len(kinks) - MAX_MARKS),
                  gaps, batch.held([name]), batch.vectorised)  # fmt: skip


def field(
    program: Program,
    names: tuple[str, str],
    x: Any,
    y: Any,
    at: Mapping[str, Any] | None = None,
    descent: Descent | None = None,
) -> Field:
    """f and its gradient over the grid ``x`` by ``y`` of inputs ``names``."""
    gx, gy = np.meshgrid(x, y)
    held = {k: v for k, v in (at or {}).items() if k not in names}
    batch = evaluate_over(program, {names[0]: gx.ravel(), names[1]: gy.ravel()}, held)
    shape = gx.shape
    values = np.asarray(batch.value).reshape(shape)
    gradient = tuple(np.asarray(batch.gradient(n)).reshape(shape) for n in names)
    gaps = _gaps(batch, 0, batch.value, None, ~np.isfinite(np.asarray(batch.value)))
    held_values = {k: v for k, v in batch.held(names).items() if np.ndim(v) == 0}
    return Field(program, names, np.asarray(x), np.asarray(y), values, gradient, gaps, held_values, descent)


# ---------------------------------------------------------------- extremes


def _curve(program: Program, name: str, batch: Batch, held: dict, order: int, values: Any) -> Curve:
    """A curve with its interior extremes, each refined by zooming in on the grid around it."""
    values = np.asarray(values, dtype=np.float64)
    at = _interior_extremes(values)
    kept = _most_prominent(values, at)
    x = batch.inputs[name]
    found = _refined(program, name, held, order, x, values, kept)
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    # A value that runs away as the grid is refined is a pole's side (tan at pi/2), not an extreme.
    settled = [(kind, w, v) for (i, kind), w, v in zip(kept, *found) if abs(v - values[i]) <= spread / 2]
    extremes = sorted((Extreme(kind, float(w), float(v)) for kind, w, v in settled), key=lambda e: e.x)
    return Curve(derivative_label(order), values, extremes, len(at) - len(kept))


def _clear_of(curve: Curve, kinks: list[KinkMark], x: Any) -> Curve:
    """A derivative's curve without the "extremes" next to a kink: a derivative jumps there, so the
    highest point beside the jump is no maximum (sqrt's slope beside where(x > 0, ...) grows without
    bound). f's own extremes at a kink (|x| at 0) are real and kept."""
    if not kinks or len(x) < 2:
        return curve
    step = float(np.max(np.diff(x)))
    kept = [e for e in curve.extremes if min(abs(e.x - k.x) for k in kinks) > step]
    return curve._replace(extremes=kept)


def _interior_extremes(v: Any) -> list[tuple[int, str]]:
    """Grid points strictly above (below) both neighbours, all three finite; on a plateau, its middle."""
    found = []
    n = len(v)
    i = 1
    while i < n - 1:
        j = i
        while j + 1 < n - 1 and v[j + 1] == v[i]:
            j += 1  # a plateau from i to j
        left, right, here = v[i - 1], v[j + 1], v[i]
        if np.isfinite(left) and np.isfinite(right) and np.isfinite(here):
            if here > left and here > right:
                found.append(((i + j) // 2, "max"))
            elif here < left and here < right:
                found.append(((i + j) // 2, "min"))
        i = j + 1
    return found


def _most_prominent(v: Any, at: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """All extremes when few; else the highest maxima and lowest minima, :data:`MAX_MARKS` at most."""
    if len(at) <= MAX_MARKS:
        return at
    ranked = sorted(at, key=lambda e: -v[e[0]] if e[1] == "max" else v[e[0]])
    return sorted(ranked[:MAX_MARKS])


def _refined(
    program: Program, name: str, held: dict, order: int, x: Any, values: Any, kept: list[tuple[int, str]]
) -> tuple[Any, Any]:
    """Where each extreme is and its value: the grid around the best point made finer :data:`_ZOOMS`
    times, all extremes in one batch per round. A point keeps its place unless a finer one is
    strictly better."""
    if not kept:
        return np.array([]), np.array([])
    index = np.array([i for i, _ in kept])
    sign = np.array([1.0 if kind == "max" else -1.0 for _, kind in kept])  # compare -f for minima
    where, best = x[index].astype(np.float64), sign * values[index]
    lo, hi = x[index - 1].astype(np.float64), x[index + 1].astype(np.float64)
    for _ in range(_ZOOMS):
        grids = np.linspace(lo, hi, _ZOOM_POINTS, axis=1)  # one row per extreme
        column = np.asarray(_column(program, name, held, order, grids.ravel()), dtype=np.float64)
        column = sign[:, None] * column.reshape(grids.shape)
        column = np.where(np.isfinite(column), column, -np.inf)
        k = np.argmax(column, axis=1)
        found = column[np.arange(len(k)), k]
        better = found > best
        where = np.where(better, grids[np.arange(len(k)), k], where)
        best = np.where(better, found, best)
        step = (hi - lo) / (_ZOOM_POINTS - 1)
        lo, hi = where - step, where + step
    return where, sign * best


def _column(program: Program, name: str, held: dict, order: int, points: Any) -> Any:
    batch = evaluate_over(program, {name: points}, held)
    if order == 0:
        return batch.value
    if order == 1:
        return batch.gradient(name)
    return second_over(batch, name)


# ---------------------------------------------------------------- kinks


def _kinks(program: Program, name: str, batch: Batch, held: dict) -> list[KinkMark]:
    """Where the gradient along ``name`` passes a kink: a grid point on one, or a change of sign of a
    kink distance between two points, bisected until it is a point (a jump of the distance itself,
    as x - round(x) makes at halves, is no kink and is dropped). All crossings are bisected together."""
    if batch.values is None:
        return []  # a program too large to keep every node's value at every point
    g = program.graph
    texts = node_texts(program)
    x = batch.inputs[name]
    marks, crossings = [], []  # crossings: (node, which distance, index of the grid point before it)
    for node in kinks_on_path(program, name):
        for d, distance in enumerate(_distances(batch, node)):
            distance = np.broadcast_to(distance, x.shape)
            marks += [KinkMark(float(x[i]), expression(g, node, texts), g.ops[node].convention)
                      for i in np.flatnonzero(distance == 0)]  # fmt: skip
            change = np.flatnonzero(np.sign(distance[:-1]) * np.sign(distance[1:]) < 0)
            crossings += [(node, d, int(i), float(distance[i]), float(distance[i + 1])) for i in change]
    for (node, _, _, _, _), at in zip(crossings, _bisected(program, name, held, x, crossings)):
        if at is not None:
            marks.append(KinkMark(at, expression(g, node, texts), g.ops[node].convention))
    marks.sort(key=lambda m: m.x)
    return marks


def _distances(batch: Batch, node: int) -> tuple[Any, ...]:
    g = batch.program.graph
    op = g.ops[node]
    args = [batch.values[a] for a in g.args[node]]
    with np.errstate(all="ignore"):
        return op.kink(*args, g.params[node]) if op.has_param else op.kink(*args)


def _bisected(program: Program, name: str, held: dict, x: Any, crossings: list) -> list[float | None]:
    """Each crossing's point, bisected in one batch for all of them per halving; None where the
    distance jumps across 0 instead of passing through it."""
    if not crossings:
        return []
    lo = np.array([x[i] for _, _, i, _, _ in crossings], dtype=np.float64)
    hi = np.array([x[i + 1] for _, _, i, _, _ in crossings], dtype=np.float64)
    d_lo = np.array([c[3] for c in crossings])
    for _ in range(_BISECTIONS):
        mid = lo + (hi - lo) / 2
        d_mid = _distances_at(program, name, held, crossings, mid)
        left = np.sign(d_mid) == np.sign(d_lo)
        lo, hi, d_lo = np.where(left, mid, lo), np.where(left, hi, mid), np.where(left, d_mid, d_lo)
    d_hi = _distances_at(program, name, held, crossings, hi)
    scale = np.array([max(abs(c[3]), abs(c[4])) for c in crossings])
    closes = np.minimum(np.abs(d_lo), np.abs(d_hi)) <= 1e-6 * scale
    at = np.where(np.abs(d_hi) <= np.abs(d_lo), hi, lo)
    return [float(a) if c else None for a, c in zip(at, closes)]


def _distances_at(program: Program, name: str, held: dict, crossings: list, points: Any) -> Any:
    """Each crossing's kink distance at its own point of ``points`` (one evaluation of all of them)."""
    batch = evaluate_over(program, {name: points}, held)
    found = np.empty(len(points))
    for (node, d), rows in _grouped(crossings).items():
        found[rows] = np.broadcast_to(_distances(batch, node)[d], points.shape)[rows]
    return found


def _grouped(crossings: list) -> dict[tuple[int, int], Any]:
    groups: dict[tuple[int, int], list[int]] = {}
    for row, (node, d, _, _, _) in enumerate(crossings):
        groups.setdefault((node, d), []).append(row)
    return {key: np.array(rows) for key, rows in groups.items()}


# ---------------------------------------------------------------- gaps


def _gaps(batch: Batch, order: int, column: Any, name: str | None, bad: Any) -> list[Gap]:
    """The runs of ``bad`` points (where ``column`` is not finite), each with the node its first
    point blames: the first node whose value is not finite there, else the first whose gradient is not."""
    column = np.asarray(column)
    if not bad.any():
        return []
    program = batch.program
    blamed = _first_bad_nodes(batch, bad) if batch.values is not None else np.full(bad.shape, -1)
    x = batch.inputs[name] if name is not None else np.arange(len(column))
    gaps = []
    for start, stop in _runs(bad):
        node = int(blamed[start])
        numbers = tuple(n for n, hit in (("nan", np.isnan(column[start:stop]).any()),
                                         ("inf", (column[start:stop] == np.inf).any()),
                                         ("-inf", (column[start:stop] == -np.inf).any())) if hit)  # fmt: skip
        text = expression(program.graph, node, node_texts(program)) if node >= 0 else derivative_label(order)
        gaps.append(Gap(derivative_label(order), float(x[start]), float(x[stop - 1]), numbers, text,
                        _why(batch, node, start)))  # fmt: skip
    return gaps


def _why(batch: Batch, node: int, i: int) -> str:
    """The diagnostic ``eval`` gives at point ``i`` for a value or gradient first bad at ``node``."""
    if node < 0:
        return ""
    values = [_at(v, i) for v in batch.values]
    if not np.all(np.isfinite(np.asarray(values[node]))):
        return explain_bad_value(batch.program, node, values)
    if any(np.ndim(v) for v in values):
        return ""  # a program with arrays: the node is named, its sentence needs the whole sweep
    return explain_bad_grad(batch.program, node, values, [_at(g, i) for g in batch.grads])


def _at(value: Any, i: int) -> Any:
    if np.ndim(value) == 0:
        return float(value)
    return float(value[i]) if np.ndim(value) == 1 else np.asarray(value[i])


def _runs(mask: Any) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _first_bad_nodes(batch: Batch, bad: Any) -> Any:
    """Per point, the first node whose value is not finite while its arguments are, else the last
    node (first in the reverse sweep) whose gradient is not finite; -1 where neither is."""
    program = batch.program
    g = program.graph
    blamed = np.full(bad.shape, -1)
    open_ = bad.copy()
    finite = [np.broadcast_to(np.isfinite(np.asarray(v)), bad.shape + np.shape(v)[1:]) for v in batch.values]
    finite = [f.reshape(len(bad), -1).all(axis=1) if f.ndim > 1 else f for f in finite]
    for node in program.nodes:
        args_ok = np.logical_and.reduce([finite[a] for a in g.args[node]]) if g.args[node] else True
        born = open_ & ~finite[node] & args_ok
        blamed[born] = node
        open_ &= ~born
    for node in reversed(program.nodes):
        if not open_.any():
            break
        if g.ops[node].name == "const":
            continue
        grad = np.broadcast_to(np.asarray(batch.grads[node]), bad.shape + np.shape(batch.grads[node])[1:])
        ok = np.isfinite(grad).reshape(len(bad), -1).all(axis=1) if grad.ndim > 1 else np.isfinite(grad)
        born = open_ & ~ok
        blamed[born] = node
        open_ &= ~born
    return blamed
