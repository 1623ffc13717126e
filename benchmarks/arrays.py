"""An MLP of 512×512 matrices, forward and backward: gradcli's library against NumPy by hand.

The program (batch X of 512 rows, three 512×512 weight matrices, relu, a mean squared loss):

    h1 = relu(X @ W1 + b1)
    h2 = relu(h1 @ W2 + b2)
    out = h2 @ W3
    loss = mean((out - Y)**2)

is run three ways, alternating, best of ``--repeats``:

* ``numpy``: the forward pass and the backward pass written out by hand (the baseline);
* ``gradcli sweeps``: ``forward_values`` + ``array_adjoints`` on the parsed program, the
  two sweeps a caller of the library needs for the loss and every gradient;
* ``gradcli evaluate``: ``gradcli.evaluate``, which also looks for nan/inf and kinks.

Both gradcli paths are checked against the NumPy gradients (relative 1e-12). Target: the
sweeps within 1.5× of NumPy by hand.

Run: ``.venv/bin/python benchmarks/arrays.py [--repeats N] [--size N]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gradcli
from gradcli.ad.reverse import array_adjoints
from gradcli.core.values import forward_values

PROGRAM = """
h1 = relu(X @ W1 + b1)
h2 = relu(h1 @ W2 + b2)
out = h2 @ W3
loss = mean((out - Y)**2)
"""
TARGET = 1.5


def point(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    scale = 1 / np.sqrt(n)
    return {
        "X": rng.standard_normal((n, n)),
        "W1": rng.standard_normal((n, n)) * scale,
        "b1": rng.standard_normal(n) * 0.1,
        "W2": rng.standard_normal((n, n)) * scale,
        "b2": rng.standard_normal(n) * 0.1,
        "W3": rng.standard_normal((n, n)) * scale,
        "Y": rng.standard_normal((n, n)),
    }


def by_hand(p: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """Forward and backward of the MLP, written out in NumPy."""
    z1 = p["X"] @ p["W1"] + p["b1"]
    h1 = np.maximum(z1, 0)
    z2 = h1 @ p["W2"] + p["b2"]
    h2 = np.maximum(z2, 0)
    out = h2 @ p["W3"]
    diff = out - p["Y"]
    loss = float(np.mean(diff**2))
    d_out = 2 * diff / diff.size
    d_h2 = d_out @ p["W3"].T
    d_z2 = d_h2 * (z2 > 0)
    d_h1 = d_z2 @ p["W2"].T
    d_z1 = d_h1 * (z1 > 0)
    grads = {
        "W3": h2.T @ d_out,
        "W2": h1.T @ d_z2,
        "b2": d_z2.sum(0),
        "W1": p["X"].T @ d_z1,
        "b1": d_z1.sum(0),
        "X": d_z1 @ p["W1"].T,
        "Y": -d_out,
    }
    return loss, grads


def sweeps(program, p):
    values = forward_values(program, p)
    grads = array_adjoints(program, values)
    return values[program.output], {name: grads[node] for name, node in program.inputs.items()}


def evaluated(program, p):
    ev = gradcli.evaluate(program, p)
    return ev.value, ev.gradient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    p = point(args.size)
    program = gradcli.parse(PROGRAM)
    p = {name: p[name] for name in program.inputs}
    want_loss, want = by_hand(p)
    runs = {"numpy by hand": lambda: by_hand(p), "gradcli sweeps": lambda: sweeps(program, p)}
    runs["gradcli evaluate"] = lambda: evaluated(program, p)
    for name, run in runs.items():
        loss, grads = run()
        assert abs(loss - want_loss) <= 1e-12 * abs(want_loss), name
        for key, g in want.items():
            np.testing.assert_allclose(grads[key], g, rtol=1e-12, atol=1e-15, err_msg=f"{name}: {key}")
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["numpy by hand"]
    n = args.size
    print(f"MLP {n}x{n}: 3 matmuls forward, 6 backward (and the rest), best of {args.repeats}")
    print(f"{'':20} {'ms':>9} {'x numpy':>8}")
    for name, seconds in best.items():
        print(f"{name:20} {seconds * 1e3:9.1f} {seconds / base:8.2f}")
    ratio = best["gradcli sweeps"] / base
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"target: gradcli sweeps within {TARGET}x of numpy by hand: {ratio:.2f}x {verdict}")
    print("every gradient agrees with numpy by hand to 1e-12 (checked before timing)")


if __name__ == "__main__":
    main()
