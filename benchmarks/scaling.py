"""How gradcli's parse, forward sweep and reverse sweep scale with program size.

For generated programs of about 1e3, 1e4 and 1e5 nodes (``--quick``: 1e3 and 1e4):

* ``wide``: 100 inputs ``x0..x99`` (declared with default values at the top of the
  file) and a sum of seeded pseudo-random terms ``t = sin(a*x3 + b)*tanh(x17) + exp(c*x42)``,
  written as bindings (``t1 = ...``, ``s2 = s1 + t2``) so no line is long;
* ``deep-lines``: a chain ``y1 = sin(y0)``, ``y2 = sin(y1)``, ... one node per line;
* ``deep-nested``: the same chain as one expression ``sin(sin(...(y0)...))``.

It measures, in one process:

* parse time of gradcli against Lark's own LALR parse of the same text with the same
  grammar file (``Lark(grammar, parser="lalr")``, building its default parse tree);
* the first ``forward_values`` + ``adjoints`` call (which builds and caches the per-program
  plans), then steady-state forward and reverse sweeps (best of 3 repeats);
* the same graph through a micrograd-style closure engine defined below (``Value`` objects
  with ``_backward`` closures, an iterative topological sort), built by walking gradcli's
  parsed graph, so both engines compute the same function; value and gradient are
  checked to agree to 1e-9 relative;
* end-to-end ``gradcli eval -f FILE`` (table and ``--json``) on the largest wide program.

It then prints the targets of the performance issue next to the measured figures with
PASS or MISS. ``--profile`` adds a cProfile of the sweeps on the largest wide program.

Run: ``.venv/bin/python benchmarks/scaling.py [--quick] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from lark import Lark

from gradcli.forward import forward_values
from gradcli.parse import grammar_path, parse
from gradcli.reverse import adjoints

SEED = 20240601
INPUTS = 100
REPEATS = 3
MIN_LOOP_SECONDS = 0.02  # small programs: loop each repeat until it lasts at least this long
TOLERANCE = 1e-9

# The targets.
TARGET_SWEEPS_S = 0.15  # forward + reverse sweep of the 1e5-node program, after parsing
TARGET_SPEEDUP = 2.5  # gradcli forward+reverse vs the closure engine's forward+backward
TARGET_REV_FWD = 2.0  # reverse sweep / forward sweep
TARGET_FLAT = 1.5  # max / min of us per node from 1e3 to 1e5 nodes
TARGET_PARSE = 1.3  # gradcli parse / Lark's own LALR parse
TARGET_CLI_S = 2.0  # gradcli eval -f FILE, end to end


# ---------------------------------------------------------------- generated programs


def wide_program(terms: int, seed: int = SEED) -> str:
    """100 inputs with defaults, then ``terms`` terms summed one binding at a time."""
    rng = random.Random(seed)
    lines = [f"x{i} = {rng.uniform(-1.0, 1.0):.6f}" for i in range(INPUTS)]
    for t in range(1, terms + 1):
        a = rng.uniform(-2.0, 2.0)
        b = rng.uniform(-1.0, 1.0)
        c = rng.uniform(-0.5, 0.5)
        i, j, k = (rng.randrange(INPUTS) for _ in range(3))
        sign = "+" if b >= 0 else "-"
        lines.append(f"t{t} = sin({a:.6f}*x{i} {sign} {abs(b):.6f})*tanh(x{j}) + exp({c:.6f}*x{k})")
        lines.append(f"s{t} = t{t}" if t == 1 else f"s{t} = s{t - 1} + t{t}")
    lines.append(f"s{terms}")
    return "\n".join(lines) + "\n"


def deep_lines_program(depth: int) -> str:
    lines = ["y0 = 0.5"] + [f"y{i} = sin(y{i - 1})" for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def deep_nested_program(depth: int) -> str:
    return "y0 = 0.5\n" + "sin(" * depth + "y0" + ")" * depth + "\n"


def wide_terms_for(nodes: int) -> int:
    """How many terms give about ``nodes`` nodes (calibrated on a mid-sized program)."""
    small, large = 100, 1100
    n_small, n_large = parse(wide_program(small)).size, parse(wide_program(large)).size
    per_term = (n_large - n_small) / (large - small)
    return max(1, round(small + (nodes - n_small) / per_term))


class Case(NamedTuple):
    kind: str
    target: int  # the size asked for
    text: str


def cases(sizes: list[int]) -> list[Case]:
    out = []
    for n in sizes:
        out.append(Case("wide", n, wide_program(wide_terms_for(n))))
    for n in sizes:
        out.append(Case("deep-lines", n, deep_lines_program(n - 1)))
    for n in sizes:
        out.append(Case("deep-nested", n, deep_nested_program(n - 1)))
    return out


# ---------------------------------------------------------------- a micrograd-style closure engine


def _noop() -> None:
    return None


class Value:
    """A scalar that remembers how it was made; ``backward`` runs the chain rule.

    As micrograd: every operation creates a new ``Value`` and a ``_backward`` closure
    that adds the operation's local gradient times ``out.grad`` into its operands.
    ``__slots__``, a shared no-op for leaves and direct ``-`` and ``/`` (rather than
    ``a + (-b)``, ``a * b**-1``) make it a little faster than micrograd itself.
    """

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data: float, _children: tuple[Value, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._backward = _noop
        self._prev = _children

    def __add__(self, other: Value) -> Value:
        out = Value(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Value) -> Value:
        out = Value(self.data - other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value) -> Value:
        out = Value(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: Value) -> Value:
        out = Value(self.data / other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad / other.data
            other.grad -= out.data / other.data * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        out = Value(-self.data, (self,))

        def _backward() -> None:
            self.grad -= out.grad

        out._backward = _backward
        return out

    def __pow__(self, c: float) -> Value:
        out = Value(self.data**c, (self,))

        def _backward() -> None:
            self.grad += c * self.data ** (c - 1.0) * out.grad

        out._backward = _backward
        return out

    def sin(self) -> Value:
        out = Value(math.sin(self.data), (self,))

        def _backward() -> None:
            self.grad += math.cos(self.data) * out.grad

        out._backward = _backward
        return out

    def cos(self) -> Value:
        out = Value(math.cos(self.data), (self,))

        def _backward() -> None:
            self.grad -= math.sin(self.data) * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,))

        def _backward() -> None:
            self.grad += (1.0 - out.data * out.data) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,))

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        out = Value(math.log(self.data), (self,))

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def sqrt(self) -> Value:
        out = Value(math.sqrt(self.data), (self,))

        def _backward() -> None:
            self.grad += 0.5 / out.data * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        out = Value(1.0 / (1.0 + math.exp(-self.data)), (self,))

        def _backward() -> None:
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """Topological sort (iterative: a 1e5-deep chain must not recurse), then closures."""
        topo: list[Value] = []
        visited: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            v, expanded = stack.pop()
            if expanded:
                topo.append(v)
                continue
            if v in visited:
                continue
            visited.add(v)
            stack.append((v, True))
            for child in v._prev:
                if child not in visited:
                    stack.append((child, False))
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


_BINARY = {"add": Value.__add__, "sub": Value.__sub__, "mul": Value.__mul__, "div": Value.__truediv__}
_UNARY = {name: getattr(Value, name) for name in ("sin", "cos", "tanh", "exp", "log", "sqrt", "sigmoid", "relu")}
_UNARY["neg"] = Value.__neg__


def closure_script(program) -> list[tuple[int, Any, Any, Any]]:
    """gradcli's graph as a list of (kind, operation, first, second) for the closure engine.

    Kinds: 0 constant leaf, 1 input leaf, 2 binary, 3 unary, 4 power by a number. This is
    the user's program as micrograd code would run it; the forward below executes it.
    """
    g = program.graph
    script = []
    for node in program.nodes:
        name, args, param = g.ops[node].name, g.args[node], g.params[node]
        if name == "const":
            script.append((0, param, None, None))
        elif name == "var":
            script.append((1, param, None, None))
        elif name in _BINARY:
            script.append((2, _BINARY[name], args[0], args[1]))
        elif name in _UNARY:
            script.append((3, _UNARY[name], args[0], None))
        elif name == "powc":
            script.append((4, param, args[0], None))
        else:
            raise NotImplementedError(f"the closure engine has no {name}")
    return script


def closure_forward(script, point: dict[str, float]) -> tuple[list[Value], dict[str, Value]]:
    """Evaluate by building Values, as micrograd does."""
    values: list[Value] = []
    leaves: dict[str, Value] = {}
    append = values.append
    for kind, op, a, b in script:
        if kind == 2:
            append(op(values[a], values[b]))
        elif kind == 3:
            append(op(values[a]))
        elif kind == 0:
            append(Value(op))
        elif kind == 1:
            leaf = leaves[op] = Value(float(point[op]))
            append(leaf)
        else:
            append(values[a] ** op)
    return values, leaves


# ---------------------------------------------------------------- timing


def best_of(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    """Best time per call over ``repeats``; each repeat loops until it lasts MIN_LOOP_SECONDS."""
    loops = 1
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    if once < MIN_LOOP_SECONDS:
        loops = max(1, int(MIN_LOOP_SECONDS / max(once, 1e-7)))
    best = once if loops == 1 else math.inf
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Row(NamedTuple):
    kind: str
    target: int
    nodes: int
    chars: int
    lines: int
    parse: float
    lark: float
    first_fwd: float
    first_rev: float
    fwd: float
    rev: float
    cl_fwd: float
    cl_bwd: float
    cl_fwd_nogc: float
    cl_bwd_nogc: float
    value_err: float
    grad_err: float

    @property
    def sweeps(self) -> float:
        return self.fwd + self.rev

    @property
    def us_per_node(self) -> float:
        return self.sweeps / self.nodes * 1e6

    @property
    def speedup(self) -> float:
        return (self.cl_fwd + self.cl_bwd) / self.sweeps

    @property
    def speedup_nogc(self) -> float:
        return (self.cl_fwd_nogc + self.cl_bwd_nogc) / self.sweeps

    @property
    def agrees(self) -> bool:
        return self.value_err <= TOLERANCE and self.grad_err <= TOLERANCE


def rel_err(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def measure(case: Case, lark: Lark) -> tuple[Row, Any]:
    text = case.text
    gc.collect()
    parse_time = best_of(lambda: parse(text))
    lark_time = best_of(lambda: lark.parse(text))
    program = parse(text)  # a fresh program: its plans are not built yet
    point = dict(program.defaults)

    gc.collect()
    first_fwd, values = timed(lambda: forward_values(program, point))
    first_rev, grads = timed(lambda: adjoints(program, values))
    fwd = best_of(lambda: forward_values(program, point))
    rev = best_of(lambda: adjoints(program, values))

    script = closure_script(program)
    built: list[Any] = []

    def cl_forward() -> None:
        built.clear()
        built.append(closure_forward(script, point))

    def cl_backward() -> None:
        built[0][0][program.output].backward()

    cl_fwd = best_of_fresh(cl_forward, built.clear)
    cl_bwd = best_of_fresh(cl_backward, cl_forward)
    cl_fwd_nogc = best_of_fresh(cl_forward, built.clear, gc_off=True)
    cl_bwd_nogc = best_of_fresh(cl_backward, cl_forward, gc_off=True)

    nodes, leaves = built[0]
    root = nodes[program.output]
    value_err = rel_err(values[program.output], root.data)
    grad_err = max(rel_err(grads[node], leaves[name].grad) for name, node in program.inputs.items())
    built.clear()
    del nodes, leaves, root
    gc.collect()

    row = Row(
        case.kind,
        case.target,
        program.size,
        len(text),
        text.count("\n"),
        parse_time,
        lark_time,
        first_fwd,
        first_rev,
        fwd,
        rev,
        cl_fwd,
        cl_bwd,
        cl_fwd_nogc,
        cl_bwd_nogc,
        value_err,
        grad_err,
    )
    return row, program


def best_of_fresh(
    fn: Callable[[], None], setup: Callable[[], None], repeats: int = REPEATS, gc_off: bool = False
) -> float:
    """Best time of ``fn`` over ``repeats``, each after an untimed ``setup`` (closure graphs are one-shot).

    ``gc_off`` times with the cyclic garbage collector disabled (as ``timeit`` does): the
    closure engine makes reference cycles (``out._backward`` refers to ``out``), so with
    the collector on, as in any real run, part of its cost is collections.
    """
    best = math.inf
    for _ in range(repeats):
        setup()
        gc.collect()
        if gc_off:
            gc.disable()
        try:
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


# ---------------------------------------------------------------- end to end


def cli_times(text: str) -> list[tuple[str, float, int]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    exe = shutil.which("gradcli", path=os.path.dirname(sys.executable))
    base = [exe] if exe else [sys.executable, "-m", "gradcli"]
    # Warm the bytecode and Lark grammar caches once, as for any installed tool (not timed).
    subprocess.run([*base, "eval", "x", "--at", "x=1"], env=env, capture_output=True, check=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.grad"
        path.write_text(text, encoding="utf-8")
        for label, extra in (("table", []), ("--json", ["--json"])):
            cmd = [*base, "eval", "-f", str(path), *extra]
            start = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, check=False)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode(errors='replace')}")
            results.append((f"gradcli eval -f wide.grad {' '.join(extra)}".rstrip(), elapsed, len(done.stdout)))
    return results


# ---------------------------------------------------------------- report


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(rows: list[Row], cli: list[tuple[str, float, int]], cli_nodes: int, sizes: list[int]) -> None:
    print("\nParsing (best of 3): gradcli's parse (graph built during the LALR parse) vs Lark's own LALR parse")
    print(
        table(
            ["program", "nodes", "lines", "chars", "gradcli ms", "Lark ms", "gradcli/Lark"],
            [
                [r.kind, f"{r.nodes}", f"{r.lines}", f"{r.chars}", ms(r.parse), ms(r.lark), f"{r.parse / r.lark:.2f}x"]
                for r in rows
            ],
        )
    )

    print("\nSweeps: first call (builds the cached plans) and steady state (best of 3)")
    print(
        table(
            ["program", "nodes", "1st fwd ms", "1st rev ms", "fwd ms", "rev ms", "rev/fwd", "fwd+rev ms", "us/node"],
            [
                [
                    r.kind,
                    f"{r.nodes}",
                    ms(r.first_fwd),
                    ms(r.first_rev),
                    ms(r.fwd),
                    ms(r.rev),
                    f"{r.rev / r.fwd:.2f}x",
                    ms(r.sweeps),
                    f"{r.us_per_node:.2f}",
                ]
                for r in rows
            ],
        )
    )

    print(
        "\nClosure engine (micrograd-style; forward builds the Values), best of 3, on the same graph;"
        "\nspeed-up = closure (fwd + bwd) / gradcli (fwd + rev); with the garbage collector on (as in any"
        "\nreal run: the closures make reference cycles) and, for comparison, off"
    )
    print(
        table(
            [
                "program",
                "nodes",
                "fwd ms",
                "bwd ms",
                "us/node",
                "speed-up",
                "gc off: fwd ms",
                "bwd ms",
                "speed-up",
                "check",
            ],
            [
                [
                    r.kind,
                    f"{r.nodes}",
                    ms(r.cl_fwd),
                    ms(r.cl_bwd),
                    f"{(r.cl_fwd + r.cl_bwd) / r.nodes * 1e6:.2f}",
                    f"{r.speedup:.2f}x",
                    ms(r.cl_fwd_nogc),
                    ms(r.cl_bwd_nogc),
                    f"{r.speedup_nogc:.2f}x",
                    f"{'same' if r.agrees else 'DIFFER'} (value {r.value_err:.0e}, grad {r.grad_err:.0e})",
                ]
                for r in rows
            ],
        )
    )

    if cli:
        print(f"\nEnd to end (one run each, after one untimed warm-up run; wide program of {cli_nodes} nodes)")
        print(table(["command", "seconds", "stdout bytes"], [[c, f"{t:.2f}", f"{n}"] for c, t, n in cli]))

    largest = max(sizes)
    big = [r for r in rows if r.target == largest]
    print(f"\nTargets (the wide program is the one the issue names; deep programs are shown for comparison)")
    if largest < 100_000:
        print(f"  NOTE: --quick run: the largest program has {largest} nodes, not 1e5; run without --quick.")
    lines: list[tuple[str, str, str, bool]] = []
    for r in big:
        lines.append(
            (
                f"fwd+rev sweeps, {r.kind} {r.nodes} nodes",
                f"< {TARGET_SWEEPS_S * 1000:.0f} ms",
                f"{ms(r.sweeps)} ms (first call, with plans: {ms(r.first_fwd + r.first_rev)} ms)",
                r.sweeps < TARGET_SWEEPS_S,
            )
        )
    for r in big:
        lines.append(
            (
                f"speed-up over closure engine, {r.kind}",
                f">= {TARGET_SPEEDUP}x",
                f"{r.speedup:.2f}x (gc off: {r.speedup_nogc:.2f}x)",
                r.speedup >= TARGET_SPEEDUP,
            )
        )
    for r in big:
        lines.append((f"reverse / forward, {r.kind}", f"<= {TARGET_REV_FWD}x", f"{r.rev / r.fwd:.2f}x", r.rev <= TARGET_REV_FWD * r.fwd))
    for kind in dict.fromkeys(r.kind for r in rows):
        per = [r.us_per_node for r in rows if r.kind == kind]
        spread = max(per) / min(per)
        shown = " / ".join(f"{u:.2f}" for u in per)
        lines.append((f"us/node flat {min(sizes):.0e}..{largest:.0e}, {kind}", f"<= {TARGET_FLAT}x", f"{spread:.2f}x ({shown})", spread <= TARGET_FLAT))
    for r in big:
        lines.append((f"parse / Lark LALR parse, {r.kind}", f"<= {TARGET_PARSE}x", f"{r.parse / r.lark:.2f}x", r.parse <= TARGET_PARSE * r.lark))
    for c, t, _ in cli:
        lines.append((f"end to end: {c}", f"< {TARGET_CLI_S:.0f} s", f"{t:.2f} s", t < TARGET_CLI_S))
    lines.append(("closure engine agrees (value, gradient)", f"<= {TOLERANCE:.0e} rel", "all" if all(r.agrees for r in rows) else "NO", all(r.agrees for r in rows)))
    print(table(["target", "goal", "measured", ""], [[a, b, c, verdict(ok)] for a, b, c, ok in lines]))


def profile_sweeps(program) -> None:
    point = dict(program.defaults)
    values = forward_values(program, point)
    adjoints(program, values)
    for label, call in (
        ("forward_values", lambda: forward_values(program, point)),
        ("adjoints", lambda: adjoints(program, values)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        call()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        print(f"\ncProfile of {label} on the wide program ({program.size} nodes), by own time:")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 1e3 and 1e4 nodes (a smoke test)")
    parser.add_argument("--profile", action="store_true", help="cProfile the sweeps on the largest wide program")
    options = parser.parse_args()
    sizes = [1_000, 10_000] if options.quick else [1_000, 10_000, 100_000]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))  # unchanged: nothing here may recurse
    started = time.perf_counter()
    print(f"gradcli scaling benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, sizes {sizes}")
    lark = Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr")
    parse("x*2")  # build gradcli's parser once, outside the timings

    rows: list[Row] = []
    wide_program_largest = None
    wide_text_largest = ""
    for case in cases(sizes):
        row, program = measure(case, lark)
        rows.append(row)
        print(
            f"  measured {row.kind:<11} {row.nodes:>7} nodes: parse {ms(row.parse)} ms, "
            f"fwd+rev {ms(row.sweeps)} ms, closure {ms(row.cl_fwd + row.cl_bwd)} ms",
            flush=True,
        )
        if case.kind == "wide" and case.target == max(sizes):
            wide_program_largest, wide_text_largest = program, case.text
        del program
        gc.collect()

    cli = cli_times(wide_text_largest)
    report(rows, cli, wide_program_largest.size, sizes)
    if options.profile:
        profile_sweeps(wide_program_largest)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
