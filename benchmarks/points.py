"""f and f′ at a million points: gradcli's batch evaluation against NumPy by hand.

Each function is run, alternating, best of ``--repeats``:

* ``numpy``: the function and its derivative written out by hand in NumPy, in this process
  (NumPy loaded as gradcli loads it: its SIMD variants of exp, tanh and the like off, so that
  the C library computes them, as at one point);
* ``gradcli``: :func:`gradcli.evaluate_over` on the parsed program, which runs every node once
  over all points and the reverse sweep once, and returns f and every partial;
* ``numpy, SIMD on``: the same hand-written NumPy in a fresh process with NumPy's defaults
  (AVX2/AVX-512 exp and tanh where the machine has them), to show what the last-bit agreement
  with single points costs.

gradcli's numbers are checked against the hand-written ones (relative 1e-12). Target: gradcli
within 2x of NumPy by hand (same process).

Run: ``.venv/bin/python benchmarks/points.py [--repeats N] [--points N]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from gradcli.core import lazy_numpy

np = lazy_numpy.load()

import gradcli  # noqa: E402  (NumPy first, loaded as gradcli loads it)

TARGET = 2.0


def sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return s, {"x": s * (1 - s)}


def sigmoid_stable(x):
    """As gradcli computes it: no overflow in exp, and f′ = s(x)·s(-x), accurate in the tails."""
    z = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return s, {"x": s * np.where(x >= 0, z / (1 + z), 1 / (1 + z))}


def neuron(x):
    h = np.tanh(1.5 * x - 0.5)
    return h * h, {"x": 2 * h * (1 - h * h) * 1.5}


def rosenbrock(x, y):
    u = y - x * x
    return (1 - x) ** 2 + 100 * u * u, {"x": -2 * (1 - x) - 400 * x * u, "y": 200 * u}


def bump(x):
    e = np.exp(-x * x)
    return np.sin(3 * x) * e, {"x": (3 * np.cos(3 * x) - 2 * x * np.sin(3 * x)) * e}


CASES = [
    ("sigmoid(x)", sigmoid, ("x",)),
    ("sigmoid(x)", sigmoid_stable, ("x",)),
    ("tanh(1.5*x - 0.5)**2", neuron, ("x",)),
    ("sin(3*x)*exp(-x**2)", bump, ("x",)),
    ("(1 - x)**2 + 100*(y - x**2)**2", rosenbrock, ("x", "y")),
]


def points(names: tuple[str, ...], n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {name: rng.uniform(-3, 3, n) for name in names}


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


SIMD_SCRIPT = """
import json, sys, time
sys.path.insert(0, "benchmarks")
import numpy as np
import points as bench
n, repeats = int(sys.argv[1]), int(sys.argv[2])
out = {}
for text, by_hand, names in bench.CASES:
    p = bench.points(names, n)
    out[by_hand.__name__] = bench.best(lambda: by_hand(*p.values()), repeats)
print(json.dumps(out))
"""


def simd_times(n: int, repeats: int) -> dict[str, float]:
    """The hand-written NumPy in a fresh process with NumPy's own CPU features."""
    env = {k: v for k, v in __import__("os").environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    done = subprocess.run([sys.executable, "-c", SIMD_SCRIPT, str(n), str(repeats)], capture_output=True,
                          text=True, env=env, check=True)  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.points
    simd = simd_times(n, args.repeats)
    print(f"f and every partial at {n:,} points, best of {args.repeats} (ms)\n")
    print(f"{'program (numpy by hand)':46} {'numpy':>8} {'gradcli':>8} {'ratio':>6}   {'numpy, SIMD on':>14}")
    worst = 0.0
    for text, by_hand, names in CASES:
        program = gradcli.parse(text)
        p = points(names, n)
        value, grads = by_hand(*p.values())
        batch = gradcli.evaluate_over(program, p)
        np.testing.assert_allclose(batch.value, value, rtol=1e-12, atol=1e-12)
        for name in names:
            np.testing.assert_allclose(batch.gradient(name), grads[name], rtol=1e-12, atol=1e-12)
        hand, ours = 1e9, 1e9
        for _ in range(args.repeats):  # alternating, so that drift of the machine hits both
            hand = min(hand, best(lambda f=by_hand, p=p: f(*p.values()), 1))
            ours = min(ours, best(lambda q=program, p=p: gradcli.evaluate_over(q, p), 1))
        worst = max(worst, ours / hand)
        label = f"{text} ({by_hand.__name__})"
        simd_ms = simd[by_hand.__name__] * 1e3
        print(f"{label:46} {hand * 1e3:8.1f} {ours * 1e3:8.1f} {ours / hand:5.2f}x   {simd_ms:14.1f}")
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"\nworst ratio gradcli / numpy by hand: {worst:.2f}x (target <= {TARGET}x: {verdict})")


if __name__ == "__main__":
    main()
