"""How big the symbolic derivative gets: gradcli's shared graph against the expanded tree.

For the nested programs ``f_k = sin(f_{k-1}) * f_{k-1}`` (``f_0 = x``), k = 1..20, written
as bindings (``f1 = sin(x)*x``, ``f2 = sin(f1)*f1``, ...), it prints:

* ``program``: the program's nodes (``Program.size``, constants included);
* ``derivative``: the distinct nodes of gradcli's derivative graph,
  ``gradcli.ad.symbolic.sizes(derivative(program)).derivative_nodes``, and the ratio
  derivative / program, which must stay within a small constant (linear growth);
* ``expanded``: the operations of the same derivative printed as one flat tree
  (``expanded_operations``: every shared node written out each time it is used);
* ``build``: the time gradcli takes to build the derivative (best of ``--repeats``,
  each on a freshly parsed program, since building grows the program's graph; parsing
  is not timed);
* when SymPy is installed, ``sympy.count_ops(sympy.diff(f_k, x))`` and the time of the
  diff and of count_ops. SymPy's expression is a tree, so it grows exponentially: the
  script stops asking SymPy once the next k is predicted (from the growth of the last
  two) to pass the per-k budget (``--per-k``, default 8 s) or the total (``--budget``,
  default 20 s).

Then a one-line verdict: linear or exponential, for gradcli's graph and for the trees.

Run: ``.venv/bin/python benchmarks/derivative_size.py [--max-k 20] [--budget 20] [--per-k 8] [--no-sympy]``
"""

from __future__ import annotations

import argparse
import math
import time

from gradcli.ad.symbolic import derivative, sizes
from gradcli.syntax.parser import parse

LINEAR_RATIO = 5.0  # derivative nodes / program nodes: "a small constant factor"


def nested_source(k: int) -> str:
    lines = [f"f{i} = sin(f{i - 1})*f{i - 1}" for i in range(1, k + 1)]
    return "\n".join(lines).replace("f0", "x")


def gradcli_sizes(k: int, repeats: int) -> tuple[int, int, int, float]:
    """(program nodes, derivative nodes, expanded operations, best build time in seconds)."""
    source = nested_source(k)
    best = math.inf
    for _ in range(repeats):
        program = parse(source)
        start = time.perf_counter()
        d = derivative(program)
        best = min(best, time.perf_counter() - start)
    s = sizes(d)
    return s.program_nodes, s.derivative_nodes, s.expanded_operations["x"], best


def sympy_rows(max_k: int, budget: float, per_k: float) -> dict[int, tuple[int, float, float]]:
    """k -> (count_ops of the derivative, diff seconds, count_ops seconds), until the budget."""
    try:
        import sympy
        from sympy.core.cache import clear_cache
    except ImportError:
        return {}
    x = sympy.Symbol("x")
    f = x
    rows: dict[int, tuple[int, float, float]] = {}
    spent, times = 0.0, []
    for k in range(1, max_k + 1):
        f = sympy.sin(f) * f
        if len(times) >= 2:
            growth = max(times[-1] / max(times[-2], 1e-6), 1.0)
            predicted = times[-1] * growth
            if predicted > per_k or spent + predicted > budget:
                break
        clear_cache()  # no help from the previous k's cached derivatives
        start = time.perf_counter()
        d = sympy.diff(f, x)
        middle = time.perf_counter()
        ops = int(sympy.count_ops(d))
        end = time.perf_counter()
        rows[k] = (ops, middle - start, end - middle)
        times.append(end - start)
        spent += end - start
    return rows


def _growth(values: list[float]) -> float:
    """The factor per level over the last few levels (geometric mean)."""
    tail = values[-5:]
    if len(tail) < 2 or tail[0] <= 0:
        return math.nan
    return (tail[-1] / tail[0]) ** (1 / (len(tail) - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-k", type=int, default=20)
    parser.add_argument("--budget", type=float, default=20.0, help="total seconds for SymPy")
    parser.add_argument("--per-k", type=float, default=8.0, help="seconds SymPy may take for one k")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-sympy", action="store_true")
    args = parser.parse_args()

    ks = range(1, args.max_k + 1)
    ours = {k: gradcli_sizes(k, args.repeats) for k in ks}
    theirs = {} if args.no_sympy else sympy_rows(args.max_k, args.budget, args.per_k)

    print("f_k = sin(f_{k-1}) * f_{k-1}, f_0 = x: d f_k / dx")
    head = (
        f"{'k':>3} {'program':>8} {'derivative':>11} {'ratio':>6} {'expanded ops':>16} {'build ms':>9}"
        f" {'sympy count_ops':>16} {'diff s':>8} {'count_ops s':>11}"
    )
    print(head)
    print("-" * len(head))
    for k in ks:
        program, deriv, expanded, build = ours[k]
        line = f"{k:>3} {program:>8} {deriv:>11} {deriv / program:>6.2f} {expanded:>16,} {build * 1e3:>9.3f}"
        if k in theirs:
            ops, diff_s, count_s = theirs[k]
            line += f" {ops:>16,} {diff_s:>8.3f} {count_s:>11.3f}"
        elif theirs:
            line += f" {'(over budget)':>16}"
        print(line)

    derivs = [ours[k][1] for k in ks]
    ratios = [ours[k][1] / ours[k][0] for k in ks]
    steps = {b - a for a, b in zip(derivs, derivs[1:])}
    linear = max(ratios) <= LINEAR_RATIO and len(steps) <= 2
    per_level = "/".join(str(s) for s in sorted(steps))
    expanded_growth = _growth([ours[k][2] for k in ks])
    sympy_growth = _growth([theirs[k][0] for k in sorted(theirs)]) if theirs else math.nan
    verdict = (
        f"verdict: gradcli's derivative graph grows {'LINEARLY' if linear else 'NOT linearly'} "
        f"(+{per_level} nodes per level, at most {max(ratios):.2f}x the program); "
        f"the expanded tree grows exponentially (x{expanded_growth:.2f} per level)"
    )
    if theirs:
        verdict += f", and so does SymPy's count_ops (x{sympy_growth:.2f} per level, up to k = {max(theirs)})"
    elif not args.no_sympy:
        verdict += " (SymPy not installed)"
    print(verdict)


if __name__ == "__main__":
    main()
