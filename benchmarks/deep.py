"""Deep programs: the time budgets the tests used to assert, measured here instead.

The tests prove that a 100,000-deep program parses, evaluates and differentiates without
recursion (they run with the recursion limit lowered to a couple of hundred frames); how
long that takes is measured here, next to the same arithmetic as a plain Python loop
(the chain rule written by hand with ``math``), so a slow machine shows in both columns.

    .venv/bin/python benchmarks/deep.py            # about 1 minute
    .venv/bin/python benchmarks/deep.py --depth 20000

Targets (what the tests used to assert): each case under 15 s, the Hessian under 60 s.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from functools import partial

import gradcli
from gradcli.ad.second_order import hessian
from gradcli.syntax.parser import parse

C = 1e-5


def nested(depth: int) -> tuple[str, Callable[[], float]]:
    """sin(sin(...(x))) as one expression, and its derivative by hand."""

    def by_hand() -> float:
        value, slope = 0.5, 1.0
        for _ in range(depth):
            value, slope = math.sin(value), slope * math.cos(value)
        return slope

    return "sin(" * depth + "x" + ")" * depth, by_hand


def lines(depth: int) -> tuple[str, Callable[[], float]]:
    """v = sin(v) + u, one binding per line: x reaches the output along depth + 1 paths."""

    def by_hand() -> float:
        v, dv = 0.5, 1.0
        for _ in range(depth):
            v, dv = math.sin(v) + 0.25 * 0.5, math.cos(v) * dv + 0.25
        return dv

    return "u = 0.25*x\nv = x\n" + "v = sin(v) + u\n" * depth + "v\n", by_hand


def hessian_chain(depth: int) -> tuple[str, Callable[[], float]]:
    """x_k = x_{k-1} + C*y*sin(x_{k-1}); by hand, the second derivative in x0 only."""

    def by_hand() -> float:
        u, ux, uxx, y = 0.5, 1.0, 0.0, 1.1
        for _ in range(depth):
            s, c = math.sin(u), math.cos(u)
            fu, fuu = 1 + C * y * c, -C * y * s
            uxx, ux, u = fuu * ux * ux + fu * uxx, fu * ux, u + C * y * s
        return uxx

    text = "\n".join(f"x{k} = x{k - 1} + {C!r}*y*sin(x{k - 1})" for k in range(1, depth + 1))
    return text, by_hand


def best(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--depth", type=int, default=100_000)
    options.add_argument("--repeats", type=int, default=1)
    args = options.parse_args()
    depth = args.depth
    cases = [
        (f"{depth:,}-deep nesting, value and gradient", nested, lambda p: gradcli.evaluate(p, {"x": 0.5}), 15),
        (f"{depth:,} lines of bindings, value and gradient", lines, lambda p: gradcli.evaluate(p, {"x": 0.5}), 15),
        (f"{depth:,}-deep chain, Hessian in (x0, y)", hessian_chain, lambda p: hessian(p, {"x0": 0.5, "y": 1.1}), 60),
    ]
    print(f"{'case':52} {'parse':>8} {'derivatives':>12} {'total':>8} {'by hand':>9} {'target':>8}")
    for title, make, differentiate, target in cases:
        text, by_hand = make(depth)
        parse_s = best(partial(parse, text), args.repeats)
        work_s = best(partial(differentiate, parse(text)), args.repeats)
        hand_s = best(by_hand, args.repeats)
        total = parse_s + work_s
        verdict = "PASS" if total < target else "MISS"
        print(f"{title:52} {parse_s:7.2f}s {work_s:11.2f}s {total:7.2f}s {hand_s:8.3f}s {f'< {target} s':>8} {verdict}")


if __name__ == "__main__":
    main()
