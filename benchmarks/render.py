"""How long ``gradcli graph`` takes to draw large programs, end to end and by stage.

The target (issue 3): a 2,000-node program renders to SVG in under 10 s,
``gradcli graph -f FILE -o out.svg`` end to end.

Two families of generated programs (fixed seed), at about 500, 1,000 and 2,000 nodes:

* ``wide``: the program of ``scaling.py``: 100 inputs ``x0..x99`` declared with defaults,
  then terms ``t7 = sin(a*x3 + b)*tanh(x17) + exp(c*x42)`` with random constants and input
  indices, summed one binding at a time (``s7 = s6 + t7``). The sum is a chain as long as
  the program, and every term reads inputs declared at the top, so most edges span many
  ranks of the layout: the hard case for Graphviz's ``dot``.
* ``layered``: chained layers of 8 units, ``h3_5 = sin(a*h2_1 + b)*tanh(h2_6)``, each
  layer reading only the one before it, and the last layer summed: edges are short.

For each program it times, as the best of ``--repeats`` runs (runs over 10 s are done once):

* ``DOT``: ``parse`` + ``evaluate`` + ``to_dot`` in this process (no start-up, no Graphviz);
* ``CLI dot``: ``gradcli graph -f FILE -o out.dot`` as a subprocess (start-up included);
* ``dot -Tsvg``: Graphviz alone on that DOT;
* ``CLI svg``: ``gradcli graph -f FILE -o out.svg``, the figure the target is about.

A run slower than ``--timeout`` seconds (default 120) is stopped and shown as ``> 120``;
use ``--timeout 900`` for the full figure of a slow one. Then, for a program of about 200
nodes of each family, it times ``--frames DIR`` (one SVG per step) and ``--html FILE``.

Run from the root of the checkout: ``.venv/bin/python benchmarks/render.py [--quick]``
(``--quick``: only the 500-node programs and the 200-node step files).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from scaling import wide_program  # the same generator as the scaling benchmark (this folder)

from gradcli.ad.evaluation import evaluate
from gradcli.render.dot import to_dot
from gradcli.syntax.parser import parse

SEED = 20240601
WIDTH = 8
TARGET_NODES = 2000
TARGET_SECONDS = 10.0
SIZES = (500, 1000, 2000)
STEP_SIZE = 200
SLOW = 10.0  # runs slower than this are not repeated


def layered_program(layers: int, width: int = WIDTH, seed: int = SEED) -> str:
    """``width`` inputs with defaults, ``layers`` chained layers, the last one summed."""
    rng = random.Random(seed)
    lines = [f"h0_{k} = {rng.uniform(-1.0, 1.0):.6f}" for k in range(width)]
    for layer in range(1, layers + 1):
        for k in range(width):
            a, b = rng.uniform(-2.0, 2.0), rng.uniform(-1.0, 1.0)
            i, j = rng.randrange(width), rng.randrange(width)
            sign = "+" if b >= 0 else "-"
            lines.append(f"h{layer}_{k} = sin({a:.6f}*h{layer - 1}_{i} {sign} {abs(b):.6f})*tanh(h{layer - 1}_{j})")
    lines.append(" + ".join(f"h{layers}_{k}" for k in range(width)))
    return "\n".join(lines) + "\n"


FAMILIES: dict[str, Callable[[int], str]] = {"wide": wide_program, "layered": layered_program}


def sized(family: str, nodes: int) -> tuple[str, int]:
    """The program of ``family`` whose size is closest to ``nodes``, and that size."""
    make = FAMILIES[family]
    lo, hi = 1, 4 * nodes
    while lo < hi:  # smallest count of terms/layers with at least `nodes` nodes
        mid = (lo + hi) // 2
        if parse(make(mid)).size < nodes:
            lo = mid + 1
        else:
            hi = mid
    options = [(make(n), parse(make(n)).size) for n in {max(1, lo - 1), lo}]
    return min(options, key=lambda item: abs(item[1] - nodes))


class Timing(NamedTuple):
    seconds: float | None  # None: stopped at the timeout
    detail: str = ""

    def show(self, timeout: float) -> str:
        return f"> {timeout:.0f}" if self.seconds is None else f"{self.seconds:.2f}"


def gradcli_command() -> list[str]:
    script = Path(sys.executable).with_name("gradcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradcli"]


def best_of(run: Callable[[], None], repeats: int, timeout: float) -> Timing:
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            run()
        except subprocess.TimeoutExpired:
            return Timing(None)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        if elapsed > SLOW:
            break
    return Timing(best)


def subprocess_run(command: list[str], timeout: float, cwd: Path) -> Callable[[], None]:
    def run() -> None:
        done = subprocess.run(command, capture_output=True, timeout=timeout, cwd=cwd, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr.decode()}")

    return run


def time_drawing(source: str, folder: Path, repeats: int, timeout: float) -> dict[str, Timing]:
    grad = folder / "program.grad"
    grad.write_text(source, encoding="utf-8")
    cli = [*gradcli_command(), "graph", "-f", str(grad)]
    times = {"DOT": best_of(lambda: to_dot(evaluate(parse(source), {})), repeats, timeout)}
    times["CLI dot"] = best_of(subprocess_run([*cli, "-o", "out.dot"], timeout, folder), repeats, timeout)
    dot = ["dot", "-Tsvg", str(folder / "out.dot"), "-o", str(folder / "dot.svg")]
    times["dot -Tsvg"] = best_of(subprocess_run(dot, timeout, folder), repeats, timeout)
    if times["dot -Tsvg"].seconds is None:  # the CLI runs the same dot: it would time out too
        times["CLI svg"] = Timing(None)
    else:
        times["CLI svg"] = best_of(subprocess_run([*cli, "-o", "out.svg"], timeout, folder), repeats, timeout)
    return times


def time_steps(source: str, folder: Path, repeats: int, timeout: float) -> dict[str, Timing]:
    grad = folder / "program.grad"
    grad.write_text(source, encoding="utf-8")
    cli = [*gradcli_command(), "graph", "-f", str(grad)]
    svg = best_of(subprocess_run([*cli, "-o", "out.svg"], timeout, folder), repeats, timeout)

    def frames() -> None:
        shutil.rmtree(folder / "frames", ignore_errors=True)
        subprocess_run([*cli, "--frames", "frames"], timeout, folder)()

    times = {"CLI svg": svg, "--frames": best_of(frames, repeats, timeout)}
    count = len(list((folder / "frames").glob("*.svg"))) if (folder / "frames").exists() else 0
    times["--frames"] = times["--frames"]._replace(detail=f"{count} frames")
    times["--html"] = best_of(subprocess_run([*cli, "--html", "steps.html"], timeout, folder), repeats, timeout)
    if (folder / "steps.html").exists():
        size = (folder / "steps.html").stat().st_size
        times["--html"] = times["--html"]._replace(detail=f"{size / 1e6:.1f} MB page")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="Time gradcli graph on large programs.")
    parser.add_argument("--quick", action="store_true", help="only the 500-node programs and the step files")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="stop a run after this many seconds")
    args = parser.parse_args()
    if shutil.which("dot") is None:
        print("Graphviz's dot is not installed: nothing to time", file=sys.stderr)
        return 2

    version = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False).stderr.strip()
    print(f"{version}; best of {args.repeats}; runs stopped after {args.timeout:.0f} s\n")
    sizes = SIZES[:1] if args.quick else SIZES
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in FAMILIES:
            for nodes in sizes:
                source, size = sized(family, nodes)
                folder = Path(tmp) / f"{family}{nodes}"
                folder.mkdir()
                print(f"  {family} {size:,} nodes ...", file=sys.stderr, flush=True)
                rows.append((family, size, time_drawing(source, folder, args.repeats, args.timeout)))
        step_rows = []
        for family in FAMILIES:
            source, size = sized(family, STEP_SIZE)
            folder = Path(tmp) / f"{family}-steps"
            folder.mkdir()
            print(f"  {family} {size:,} nodes, steps ...", file=sys.stderr, flush=True)
            step_rows.append((family, size, time_steps(source, folder, args.repeats, args.timeout)))

    t = args.timeout
    print("Drawing (seconds)\n")
    print("| program | nodes | DOT (in-process) | CLI -o .dot | dot -Tsvg alone | CLI -o .svg | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for family, size, times in rows:
        verdict = ""
        if abs(size - TARGET_NODES) <= TARGET_NODES * 0.2:
            svg = times["CLI svg"].seconds
            passed = svg is not None and svg < TARGET_SECONDS
            verdict = f"< {TARGET_SECONDS:.0f} s: {'PASS' if passed else 'MISS'}"
        cells = " | ".join(times[k].show(t) for k in ("DOT", "CLI dot", "dot -Tsvg", "CLI svg"))
        print(f"| {family} | {size:,} | {cells} | {verdict} |")

    print("\nStep files (seconds)\n")
    print("| program | nodes | CLI -o .svg | --frames DIR | --html FILE |")
    print("|---|---:|---:|---:|---:|")
    for family, size, times in step_rows:
        cells = [times["CLI svg"].show(t)]
        for key in ("--frames", "--html"):
            detail = f" ({times[key].detail})" if times[key].detail else ""
            cells.append(times[key].show(t) + detail)
        print(f"| {family} | {size:,} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
