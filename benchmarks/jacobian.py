"""Jacobians and Hessians: what forward mode and reverse mode cost, pass for pass.

Forward mode builds a Jacobian a column at a time (one tangent pass per input), reverse
mode a row at a time (one adjoint pass per output); ``auto`` picks the mode with fewer
passes, and reverse mode on a tie. On generated programs (every one with a closed form
of its Jacobian, to check the numbers against):

* **many inputs, one output**: ``f = sum_i sin(x_i)*x_{i+1} + x_i**2`` (indices cyclic),
  n = 10, 100, 1000 inputs (``--quick``: 10, 100), written as bindings
  (``t3 = sin(x3)*x4 + x3**2``, ``s3 = s2 + t3``);
* **one input, many outputs**: ``c = cos(x)``, ``g = exp(-x*x)``, then
  ``y_k = sin(a_k*x)*c + g*w_k`` for k = 1..m, m = 10, 100, 1000, and ``[y1, ..., ym]``;
* **square**: n = m = 50 (``--quick``: 20): ``s`` the sum of the inputs, ``q = sin(s)``,
  ``y_k = sin(x_k)*x_{k+1} + x_k**2 + c_k*q``: a dense Jacobian, to show the tie rule.

For each: the passes of each mode, ``forward_rows`` and ``reverse_rows`` on a freshly
parsed program (first call: builds the tangent plan, or one reverse plan per output,
which is what a command-line user pays) and warm (best of the repeats, plans built),
the ratio, time per pass, the mode ``auto`` picks against the mode that was faster,
``jacobian()`` end to end on a fresh program (both modes, as ``gradcli jacobian`` calls
it, and the chosen mode only), and the largest relative difference between the two
modes and against the closed form.

Then the Hessian of the many-inputs function at n = 10, 50, 100, 1000 (``--quick``:
10, 50): ``hessian`` (n forward-over-reverse passes) against one ``hvp``, first call
(builds the gradient graph) and warm, checked against the closed form, for symmetry,
and ``hvp`` against the full Hessian times the same direction.

Last, if JAX or PyTorch is importable (neither is a dependency; the script installs
nothing), ``jacfwd`` and ``jacrev`` on the same functions, written with arrays.

Timed code runs with the garbage collector paused, as ``jacobian()`` and ``hessian()``
pause it. Nothing is asserted about timings.

Run: ``.venv/bin/python benchmarks/jacobian.py [--quick] [--repeats N]``
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from scaling import table, time_calls  # the same timing loop and table as the scaling benchmark (this folder)

from gradcli.ad.jacobian import choose_mode, forward_rows, jacobian, passes, reverse_rows
from gradcli.ad.second_order import hessian, hvp
from gradcli.check.numeric import relative_error
from gradcli.core.values import forward_values
from gradcli.syntax.parser import parse

SEED = 20240601
REPEATS = 3  # --repeats; warm figures are the best over the repeats, first-call figures too
MIN_REPEAT_S = 0.05  # a warm repeat makes enough calls to last about this long

# ---------------------------------------------------------------- generated programs


class Case(NamedTuple):
    """A generated program, its point, and the same function in closed form and with arrays."""

    kind: str
    text: str
    point: dict[str, float]  # input name -> value
    input_names: list[str]  # the order of the closed form's columns
    exact: Callable[[], list[list[float]]]  # the Jacobian in closed form, one row per output
    peer: Callable[[Any, Callable[[Sequence[float]], Any]], tuple[Callable[[Any], Any], Any]]
    # peer(xp, asarray) -> (function of one array, the point as an array), for JAX and PyTorch


def _point(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.uniform(-1.0, 1.0), 6) for _ in range(n)]


def many_inputs(n: int) -> Case:
    """f = sum_i sin(x_i)*x_{i+1} + x_i**2, one binding per term and one per partial sum."""
    xs = _point(n, SEED + n)
    lines = []
    for i in range(n):
        lines.append(f"t{i} = sin(x{i})*x{(i + 1) % n} + x{i}**2")
        lines.append(f"s{i} = t{i}" if i == 0 else f"s{i} = s{i - 1} + t{i}")
    lines.append(f"s{n - 1}")

    def exact() -> list[list[float]]:
        # d f / d x_i = cos(x_i)*x_{i+1} + 2*x_i + sin(x_{i-1})
        return [[math.cos(xs[i]) * xs[(i + 1) % n] + 2 * xs[i] + math.sin(xs[i - 1]) for i in range(n)]]

    def peer(xp: Any, asarray: Callable) -> tuple[Callable, Any]:
        return (lambda x: xp.sum(xp.sin(x) * xp.roll(x, -1) + x**2)), asarray(xs)

    names = [f"x{i}" for i in range(n)]
    return Case(f"{n} in, 1 out", "\n".join(lines) + "\n", dict(zip(names, xs)), names, exact, peer)


def hessian_exact(xs: list[float]) -> list[list[float]]:
    """The Hessian of ``many_inputs``: 2 - sin(x_i)*x_{i+1} on the diagonal, cos(x_i) at (i, i+1)."""
    n = len(xs)
    h = [[0.0] * n for _ in range(n)]
    for i in range(n):
        h[i][i] += 2.0 - math.sin(xs[i]) * xs[(i + 1) % n]
        h[i][(i + 1) % n] += math.cos(xs[i])
        h[(i + 1) % n][i] += math.cos(xs[i])
    return h


def many_outputs(m: int) -> Case:
    """y_k = sin(a_k*x)*c + g*w_k with c = cos(x), g = exp(-x*x) shared by every output."""
    (x,) = _point(1, SEED - m)
    a = [round(1.0 + k / m, 6) for k in range(1, m + 1)]
    w = [float(k % 7 + 1) for k in range(1, m + 1)]
    lines = ["c = cos(x)", "g = exp(-x*x)"]
    lines += [f"y{k} = sin({a[k - 1]!r}*x)*c + g*{w[k - 1]!r}" for k in range(1, m + 1)]
    lines.append("[" + ", ".join(f"y{k}" for k in range(1, m + 1)) + "]")

    def exact() -> list[list[float]]:
        c, s, g = math.cos(x), math.sin(x), math.exp(-x * x)
        return [[ak * math.cos(ak * x) * c - math.sin(ak * x) * s - 2 * x * g * wk] for ak, wk in zip(a, w)]

    def peer(xp: Any, asarray: Callable) -> tuple[Callable, Any]:
        av, wv = asarray(a), asarray(w)
        return (lambda v: xp.sin(av * v) * xp.cos(v) + xp.exp(-v * v) * wv), asarray([x])

    return Case(f"1 in, {m} out", "\n".join(lines) + "\n", {"x": x}, ["x"], exact, peer)


def square(n: int) -> Case:
    """y_k = sin(x_k)*x_{k+1} + x_k**2 + c_k*q, q = sin(x_0 + ... + x_{n-1}): every output uses every input."""
    xs = _point(n, SEED + 7 * n)
    c = [round(0.5 + k / n, 6) for k in range(n)]
    lines = ["s0 = x0"] + [f"s{i} = s{i - 1} + x{i}" for i in range(1, n)] + [f"q = sin(s{n - 1})"]
    lines += [f"y{k} = sin(x{k})*x{(k + 1) % n} + x{k}**2 + {c[k]!r}*q" for k in range(n)]
    lines.append("[" + ", ".join(f"y{k}" for k in range(n)) + "]")

    def exact() -> list[list[float]]:
        dq = math.cos(sum(xs))
        rows = []
        for k in range(n):
            row = [c[k] * dq] * n
            row[k] += math.cos(xs[k]) * xs[(k + 1) % n] + 2 * xs[k]
            row[(k + 1) % n] += math.sin(xs[k])
            rows.append(row)
        return rows

    def peer(xp: Any, asarray: Callable) -> tuple[Callable, Any]:
        cv = asarray(c)
        return (lambda x: xp.sin(x) * xp.roll(x, -1) + x**2 + cv * xp.sin(xp.sum(x))), asarray(xs)

    names = [f"x{i}" for i in range(n)]
    return Case(f"{n} in, {n} out", "\n".join(lines) + "\n", dict(zip(names, xs)), names, exact, peer)


# ---------------------------------------------------------------- timing


def first_call(text: str, point: dict[str, float], call: Callable[[Any, list[float]], Any]) -> float:
    """Seconds of ``call(program, values)`` on a freshly parsed program (plans not built yet).

    Parsing and the forward values are not timed (the forward values build the forward plan,
    which both modes share)."""
    program = parse(text)
    values = forward_values(program, point)
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        call(program, values)
        return time.perf_counter() - start
    finally:
        gc.enable()


def fresh_call(text: str, call: Callable[[Any], Any]) -> float:
    """Seconds of ``call(program)`` on a freshly parsed program, end to end but for parsing.

    The garbage collector stays on: jacobian(), hessian() and hvp() pause it themselves."""
    program = parse(text)
    gc.collect()
    start = time.perf_counter()
    call(program)
    return time.perf_counter() - start


def warm_time(fn: Callable[[], Any], loops: int) -> float:
    """Seconds per call of ``fn`` over ``loops`` calls, garbage collector paused."""
    return time_calls(fn, loops, gc_off=True, warm_up=False)


def loops_for(fn: Callable[[], Any]) -> int:
    """Calls per warm repeat: enough to last about MIN_REPEAT_S (after one untimed call)."""
    once = warm_time(fn, 1)
    return max(1, min(10_000, round(MIN_REPEAT_S / max(once, 1e-7))))


def largest_difference(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    if len(a) != len(b) or any(len(ra) != len(rb) for ra, rb in zip(a, b)):
        return math.inf  # a shape mismatch is as bad as it gets
    return max((relative_error(x, y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)), default=0.0)


def in_order(rows: list[list[float]], program_inputs: Sequence[str], names: Sequence[str]) -> list[list[float]]:
    """gradcli's rows (inputs in order of first use) with the columns in ``names`` order."""
    column = {name: k for k, name in enumerate(program_inputs)}
    return [[row[column[name]] for name in names] for row in rows]


def short(seconds: float) -> str:
    value = seconds * 1000
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.3f}"


def us(seconds: float) -> str:
    value = seconds * 1e6
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


# ---------------------------------------------------------------- Jacobians


class BestTimes:
    """Rows of timings that keep the best of the repeats."""

    def keep(self, **times: float) -> None:
        for name, seconds in times.items():
            setattr(self, name, min(getattr(self, name), seconds))


@dataclass
class JacRow(BestTimes):
    kind: str
    n: int
    m: int
    nodes: int
    auto: str
    first_fwd: float = math.inf
    first_rev: float = math.inf
    fwd: float = math.inf
    rev: float = math.inf
    call_both: float = math.inf  # jacobian() on a fresh program, both modes (as the command)
    call_auto: float = math.inf  # jacobian(..., both=False) on a fresh program
    fwd_vs_rev: float = math.nan
    vs_exact: float = math.nan
    reported: float = math.nan  # jacobian()'s own disagreement figure

    @property
    def passes_fwd(self) -> int:
        return passes("forward", self.n, self.m)

    @property
    def passes_rev(self) -> int:
        return passes("reverse", self.n, self.m)

    @property
    def faster(self) -> str:
        return "forward" if self.fwd <= self.rev else "reverse"


def measure_jacobian(case: Case) -> JacRow:
    program = parse(case.text)
    n, m = len(program.inputs), len(program.outputs)
    row = JacRow(case.kind, n, m, program.size, choose_mode(n, m)[0])
    values = forward_values(program, case.point)
    forward_rows(program, values)  # build the plans (untimed)
    reverse_rows(program, values)
    loops = {"fwd": loops_for(lambda: forward_rows(program, values))}
    loops["rev"] = loops_for(lambda: reverse_rows(program, values))
    for _ in range(REPEATS):
        # first calls, each on a fresh program; then warm, forward and reverse alternating
        row.keep(
            first_fwd=first_call(case.text, case.point, forward_rows),
            first_rev=first_call(case.text, case.point, reverse_rows),
            call_both=fresh_call(case.text, lambda p: jacobian(p, case.point)),
            call_auto=fresh_call(case.text, lambda p: jacobian(p, case.point, both=False)),
            fwd=warm_time(lambda: forward_rows(program, values), loops["fwd"]),
            rev=warm_time(lambda: reverse_rows(program, values), loops["rev"]),
        )
    fwd_rows, rev_rows = forward_rows(program, values), reverse_rows(program, values)
    row.fwd_vs_rev = largest_difference(fwd_rows, rev_rows)
    exact = case.exact()
    names = list(program.inputs)
    row.vs_exact = max(
        largest_difference(in_order(fwd_rows, names, case.input_names), exact),
        largest_difference(in_order(rev_rows, names, case.input_names), exact),
    )
    row.reported = jacobian(program, case.point).disagreement
    return row


def report_jacobians(title: str, rows: list[JacRow]) -> None:
    print(f"\n{title}")
    print(
        table(
            [
                "case",
                "nodes",
                "passes fwd",
                "rev",
                "1st fwd ms",
                "1st rev ms",
                "fwd/rev",
                "warm fwd ms",
                "warm rev ms",
                "fwd/rev",
                "auto picks",
                "faster warm",
            ],
            [
                [
                    r.kind,
                    f"{r.nodes}",
                    f"{r.passes_fwd}",
                    f"{r.passes_rev}",
                    short(r.first_fwd),
                    short(r.first_rev),
                    f"{r.first_fwd / r.first_rev:.2f}x",
                    short(r.fwd),
                    short(r.rev),
                    f"{r.fwd / r.rev:.2f}x",
                    r.auto,
                    r.faster + ("" if r.faster == r.auto else " (!)"),
                ]
                for r in rows
            ],
        )
    )
    print(
        table(
            [
                "case",
                "warm us/pass fwd",
                "rev",
                "ns/pass/node fwd",
                "rev",
                "jacobian() ms both",
                "auto only",
                "fwd vs rev",
                "vs closed form",
                "jacobian() says",
            ],
            [
                [
                    r.kind,
                    us(r.fwd / r.passes_fwd),
                    us(r.rev / r.passes_rev),
                    f"{r.fwd / r.passes_fwd / r.nodes * 1e9:.0f}",
                    f"{r.rev / r.passes_rev / r.nodes * 1e9:.0f}",
                    short(r.call_both),
                    short(r.call_auto),
                    f"{r.fwd_vs_rev:.1e}",
                    f"{r.vs_exact:.1e}",
                    f"{r.reported:.1e}",
                ]
                for r in rows
            ],
        )
    )


# ---------------------------------------------------------------- Hessians


@dataclass
class HessRow(BestTimes):
    n: int
    nodes: int
    gradient_nodes: int = 0
    passes_h: int = 0
    passes_v: int = 0
    first_h: float = math.inf
    first_v: float = math.inf
    h: float = math.inf
    v: float = math.inf
    vs_exact: float = math.nan
    symmetry: float = math.nan
    hvp_vs_h: float = math.nan


def measure_hessian(n: int) -> HessRow:
    case = many_inputs(n)
    point = case.point
    direction = {name: math.cos(k) for k, name in enumerate(case.input_names)}
    program = parse(case.text)
    row = HessRow(n, program.size)
    result = hessian(program, point)  # builds the gradient graph and its tangent plan (untimed)
    product = hvp(program, point, direction)
    row.passes_h, row.passes_v = result.passes, product.passes
    row.gradient_nodes = len(program.graph)
    loops_h = loops_for(lambda: hessian(program, point))
    loops_v = loops_for(lambda: hvp(program, point, direction))
    for _ in range(REPEATS):
        row.keep(
            first_h=fresh_call(case.text, lambda p: hessian(p, point)),
            first_v=fresh_call(case.text, lambda p: hvp(p, point, direction)),
            h=warm_time(lambda: hessian(program, point), loops_h),
            v=warm_time(lambda: hvp(program, point, direction), loops_v),
        )
    names = case.input_names
    matrix = [[result.matrix[a][b] for b in names] for a in names]
    row.vs_exact = largest_difference(matrix, hessian_exact([point[a] for a in names]))
    row.symmetry = largest_difference(matrix, [list(col) for col in zip(*matrix)])
    h_times_v = [[sum(result.matrix[a][b] * direction[b] for b in names) for a in names]]
    row.hvp_vs_h = largest_difference([[product.product[a] for a in names]], h_times_v)
    return row


def report_hessians(rows: list[HessRow]) -> None:
    print("\n4. Hessian of the many-inputs function: hessian() (n forward-over-reverse passes) against one hvp()")
    print("   '1st' = on a fresh program (builds the gradient graph and its tangent plan); warm = best of the repeats.")
    print("   graph nodes = the program's graph once the gradient graph is appended to it.")
    print(
        table(
            [
                "n",
                "nodes",
                "graph nodes",
                "passes H",
                "H v",
                "1st H ms",
                "1st H v ms",
                "warm H ms",
                "warm H v ms",
                "H / H v",
                "us/pass H",
                "H v",
                "vs closed form",
                "symmetry",
                "H v vs H*v",
            ],
            [
                [
                    f"{r.n}",
                    f"{r.nodes}",
                    f"{r.gradient_nodes}",
                    f"{r.passes_h}",
                    f"{r.passes_v}",
                    short(r.first_h),
                    short(r.first_v),
                    short(r.h),
                    short(r.v),
                    f"{r.h / r.v:.1f}x",
                    us(r.h / r.passes_h),
                    us(r.v / r.passes_v),
                    f"{r.vs_exact:.1e}",
                    f"{r.symmetry:.1e}",
                    f"{r.hvp_vs_h:.1e}",
                ]
                for r in rows
            ],
            left=0,
        )
    )


# ---------------------------------------------------------------- JAX and PyTorch


def peers() -> list[tuple[str, Any, Callable, dict[str, Callable], Callable]]:
    """(name, array namespace, asarray, mode -> Jacobian transform, wait for the result)."""
    found = []
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        found.append(
            (
                f"jax {jax.__version__} (jit)",
                jnp,
                lambda v: jnp.asarray(v, dtype=jnp.float64),
                {"jacfwd": lambda f: jax.jit(jax.jacfwd(f)), "jacrev": lambda f: jax.jit(jax.jacrev(f))},
                lambda r: r.block_until_ready(),
            )
        )
    except ImportError:
        pass
    try:
        import torch
        from torch.func import jacfwd, jacrev

        found.append(
            (
                f"torch {torch.__version__} (torch.func, eager)",
                torch,
                lambda v: torch.tensor(v, dtype=torch.float64),
                {"jacfwd": jacfwd, "jacrev": jacrev},
                lambda r: r,
            )
        )
    except ImportError:
        pass
    return found


def _flat(result: Any) -> list[float]:
    import numpy

    return [float(v) for v in numpy.asarray(result).ravel()]


def time_peer(jac: Callable[[Any], Any], x: Any, wait: Callable[[Any], Any]) -> tuple[float, float, Any]:
    """(first call, best warm seconds per call, the result) of a peer's Jacobian function."""
    start = time.perf_counter()
    wait(jac(x))
    first = time.perf_counter() - start

    def call() -> Any:
        return wait(jac(x))

    loops = loops_for(call)
    warm = min(warm_time(call, loops) for _ in range(REPEATS))
    return first, warm, call()


def measure_peers(cases: list[Case]) -> None:
    found = peers()
    if not found:
        print("\n5. Peers: neither JAX nor PyTorch is installed (this script installs nothing); skipped.")
        return
    print("\n5. Peers on the same functions written with arrays; '1st' = first call (JAX: traces and compiles).")
    print("   vs gradcli = largest relative difference from gradcli's reverse-mode Jacobian.")
    lines = []
    for case in cases:
        program = parse(case.text)
        rows = reverse_rows(program, forward_values(program, case.point))
        expected = [v for row in in_order(rows, list(program.inputs), case.input_names) for v in row]
        for name, xp, asarray, modes, wait in found:
            for mode, transform in modes.items():
                try:
                    fn, x = case.peer(xp, asarray)
                    first, warm, result = time_peer(transform(fn), x, wait)
                    diff = largest_difference([_flat(result)], [expected])
                    lines.append([name, case.kind, mode, short(first), short(warm), f"{diff:.1e}"])
                except Exception as error:  # a peer's failure is reported, not fatal
                    lines.append([name, case.kind, mode, "-", "-", f"failed: {type(error).__name__}: {error}"])
    print(table(["library", "case", "mode", "1st ms", "warm ms", "vs gradcli"], lines, left=3))


# ---------------------------------------------------------------- main


def main() -> None:
    global REPEATS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller programs (a smoke test)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timing repeats, best taken (default {REPEATS})")
    options = parser.parse_args()
    REPEATS = max(1, options.repeats)
    sizes = [10, 100] if options.quick else [10, 100, 1000]
    side = 20 if options.quick else 50
    hessian_sizes = [10, 50] if options.quick else [10, 50, 100, 1000]

    started = time.perf_counter()
    print(f"gradcli Jacobian benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {REPEATS}")
    print("'1st' = forward_rows / reverse_rows on a freshly parsed program (builds the tangent plan, or one")
    print("reverse plan per output: what a command-line user pays; parsing and forward values not timed);")
    print("warm = plans built. Garbage collector paused while timing. fwd/rev = forward time / reverse time;")
    print("(!) = auto's pick was not the faster mode here. jacobian() ms = jacobian() on a fresh program, with")
    print("both modes (as `gradcli jacobian` calls it) and with the chosen mode only (both=False).")
    parse("x*2")  # build gradcli's parser once, outside the timings

    wide = [many_inputs(n) for n in sizes]
    tall = [many_outputs(m) for m in sizes]
    sq = [square(side)]
    report_jacobians(
        "1. Many inputs, one output: f = sum_i sin(x_i)*x_{i+1} + x_i**2", [measure_jacobian(c) for c in wide]
    )
    report_jacobians(
        "2. One input, many outputs: y_k = sin(a_k*x)*cos(x) + exp(-x*x)*w_k", [measure_jacobian(c) for c in tall]
    )
    report_jacobians(
        "3. Square (n = m, a tie: auto picks reverse): y_k = sin(x_k)*x_{k+1} + x_k**2 + c_k*sin(sum x)",
        [measure_jacobian(c) for c in sq],
    )
    report_hessians([measure_hessian(n) for n in hessian_sizes])
    measure_peers(wide + tall + sq)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
