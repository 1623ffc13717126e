"""Grammar-based fuzzer for the whole gradcli command line, with the contract every run must keep.

It generates cases (random programs from the grammar, hostile and mutated text, valid and invalid
options for eval, diff, compare, jacobian, graph, plot, eval --over, help and usage errors), runs
each one in-process in a pool of forked worker processes (``gradcli.cli.app:main`` with a patched ``sys.argv``, standard
input and output redirected at the descriptor level, a fresh temporary directory as the working
directory, ``COLUMNS`` of 40, 80 or 120, a per-case time limit enforced by the parent and an
address-space limit set in each worker) and checks each run against the CLI contract: exit 0 with
output (1 for a failing compare), or exit 2 with one bounded ``error:`` message and nothing else;
no traceback; no run over the time or memory limit; no raw control characters; well-formed SVG,
DOT and HTML, strict JSON, CSV with a header and equal field counts, PNG/PDF/SVG files as their
suffix says, plot and eval --over lines no wider than COLUMNS, UTF-8 on standard output; no file
left by a failed run and no temporary file left by any. Every violated clause is a failure class;
the summary lists each class with its shortest reproducers. Run it from the repository root with
``.venv/bin/python tools/fuzz.py --cases 100000`` (``--help`` lists the options;
``--seed S --case N`` runs and prints one case again); the exit code is 1 when any class is non-empty.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import functools
import gc
import hashlib
import heapq
import io
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing import connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("eval", "diff", "compare", "jacobian", "graph", "plot")
WIDTHS = (40, 80, 120)
MAX_INPUT = 9_900  # characters of argv plus program file or stdin: every case is an input under 10 kB
MAX_MESSAGE = 2_000  # characters of an exit-2 message
CHECK_SECONDS = 120.0  # for the fuzzer's checks of one run's output
READ_LIMIT = 50_000_000  # bytes of stdout, stderr or a file read back (a million points of --json is more)
FILES_CHECKED = 12  # written files checked per folder (frames: the first, the last, some between)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TEMPORARY = re.compile(r"\.gradcli-tmp$")
OTHER_MESSAGE = re.compile(r"^(error:|note:|warning:|wrote |Traceback|Usage:)", re.M)

# ----------------------------------------------------------------------------- the language


# gradcli.core.ops.FUNCTIONS as names and arities, for when that module cannot be imported (so it cannot be read
# from there): keep the two in step when an op is added.
FALLBACK_FUNCTIONS = {
    **dict.fromkeys(
        "exp log ln log2 log10 sqrt sin cos tan asin acos atan sinh cosh tanh sigmoid relu softplus erf abs sign step "
        "stop_gradient detach round floor ceil sum mean amax amin prod count transpose reshape softmax others_product "
        "logsumexp".split(),
        1,
    ),
    **dict.fromkeys(
        "min max pow xlogy equal matmul dot outer broadcast_like broadcast_to sum_to reshape_like scatter".split(), 2
    ),
    **dict.fromkeys(  # the function library (issue 12)
        "asinh acosh atanh log1p expm1 exp2 rsqrt cbrt square sinc gelu gelu_tanh silu swish mish elu selu celu "
        "leaky_relu relu6 hardtanh hardsigmoid hardswish softsign log_sigmoid erfc erfinv lgamma gamma digamma "
        "polygamma j0 j1 jn y0 y1 spherical_jn gammainc gammaincc trunc".split(),
        1,
    ),
    **dict.fromkeys(  # the peers' functions (fnlib2)
        "logit reciprocal frac deg2rad rad2deg ndtr ndtri log_ndtr erfcx erfcx_derivative entr i0 i1 iv i0e i1e "
        "ive".split(),
        1,
    ),
    **dict.fromkeys("hypot atan2 logaddexp fmod remainder logaddexp2 xlog1py copysign".split(), 2),
    **dict.fromkeys("stack concat".split(), -1),  # any number of arguments
    "clamp": 3,
    "where": 3,
    "lerp": 3,
}
_FUNCTIONS: dict[str, int] = {}


def functions() -> dict[str, int]:
    """Every function a program may call (gradcli/core/ops.py's FUNCTIONS) and its arity."""
    if not _FUNCTIONS:
        try:
            from gradcli.core.ops import FUNCTIONS

            _FUNCTIONS.update({name: op.arity for name, op in FUNCTIONS.items()})
        except Exception:  # the module is being edited: the documented list
            _FUNCTIONS.update(FALLBACK_FUNCTIONS)
    return _FUNCTIONS


INPUT_NAMES = ["x", "y", "z", "w", "b", "x0", "x1", "x2", "t", "u", "theta", "x_1", "X", "_", "lr", "sin_", "Exp"]
BOUND_NAMES = ["a", "c", "h", "loss", "out", "y1", "f", "g", "q", "x", "e", "pi", "tmp"]
ODD_NAMES = ["e", "pi", "π", "sin", "exp", "max", "detach", "pow", "lambda", "None", "if", "_" * 3, "x" * 300]
NUMBERS = [
    "0", "1", "2", "3", "4", "10", "0.5", ".5", "1.", "1.5", "0.1", "1e-3", "1E3", "2.5e+2", "1e-16", "100",
    "1e999", "1e-999", "1e308", "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308", "1e-320",
    "123456789012345678901234567890", "0e0", "00", "007", "9" * 400, "0.000001", "3.14159", "1e22",
]  # fmt: skip
BINARY = ["+", "-", "*", "/", "**", "^"]
BINARY_ODD = ["−", "×", "·", "÷", "⋅"]
SEPARATORS = ["\n", "; ", ";", "\n\n", "\r\n", " ;\n", "\n# a comment\n", ";\n"]
SPICE = [
    "(", ")", "[", "]", ",", "=", "+", "-", "*", "/", "**", "^", ";", "\n", "#", ".", "e", "E", "1", "0", "x",
    "π", "×", "²", "−", "·", "÷", "√", "∂", "∞", "\ufeff", "\u200f", "\u202e", "\u200b", "\u00a0", "\x00", "\x1b[31m",
    "\x1b[0m", "\t", "\r", "\f", "\v", "\\", "\\\n", '"', "'", "`", "$", "{", "}", "@", "!", "?", ":", "<", ">", "==",
    "**-", "^^", "\u2028", "\u0085", "\x85", "é", "𝑥", "ｘ", "٣", "𝟑", "²", "½", "ℯ", "sin", "lambda", "import",
    "\udcff", "\udc80", "\x7f", "\x9b", "𝔁", "ǅ", "ß", "İ", "\u0301", "x" * 50, "(" * 20, ")" * 20,
]  # fmt: skip
PYTHONISMS = [
    "import math", "import math\nmath.sin(x)", "def f(x):\n    return x**2", "math.tanh(x)", "d/dx x**2",
    "lambda x: x**2", "x if x > 0 else -x", "x.grad", "f(x) = x**2", "np.sin(x)", "torch.sin(x)", "2x", "x(y+1)",
    "sin x", "x²", "√x", "x**", "(x", "x)", "[x, y", "x++", "x += 1", "print(x)", "sum(x)", "'x'", '"x"', "x := 2",
    "x == 2", "return x", "x^^2", "sin(x,)", "max(x)", "clamp(x, 0)", "x ;; y", "[]", "[,]", "[x][y]", "[x, [y]]",
    "# only a comment", "", " ", "\n\n", ";", "=", "x =", "= x", "1 = x", "e = 2\ne", "pi = 3; pi*x", "sin = 3",
    "x = y; y = x; x", "\\", "x\\\ny", "0x1F", "1_000", "1j", "inf", "nan", "x**-1", "2**-1", "-x**2", "x**y**z",
    "x---y", "x*-y", "x+-+-y", "𝑥**2", "ｘ**2", "٣*x", "𝟑*x", "x\u00b2", "x × y", "x − y", "π*x", "x÷y", "\ufeffx**2",
    "x\u200f+y", "\u202ex**2", "\x1b[31mx\x1b[0m", "x\u2028y", "x\x85y", "x\x0by", "x\x0cy", "x\ry", "x\x7f",
    "x = 1\n[x, x]\n", "[x, y]; x", "a = [x, y]", "[x]", "[1, 2]", "[x,]", "[x, y,]", "[[x]]", "(x, y)",
    "exp()", "sin()", "clamp(x)", "pow(x)", "xlogy(x)", "unknown(x)", "sinn(x)", "Sin(x)", "SIN(x)", "ln(x)",
    "log(x, 2)", "max(x, y, z)", "stop_gradient()", "detach(x, y)", "f1 = sin(x)*x\nf2 = sin(f1)*f1\nf2",
    "x = 0.5\nx", "x = 0.5", "w = 0.5; b = 1; w*x + b", "x = x + 1; x", "c = c + c + 1", "e", "pi", "2", "-3",
    "1/0", "0/0", "log(-1)", "sqrt(-1)", "x/0", "0**0", "0**-1", "(-8)**(1/3)", "x**0.5", "1e999*x", "x*1e-999",
]  # fmt: skip


def weighted(r: random.Random, table: dict[str, float]) -> str:
    """A key of ``table`` drawn with the values as weights."""
    return r.choices(list(table), weights=list(table.values()))[0]


def log_uniform(r: random.Random, high: int, low: int = 1) -> int:
    """An integer between ``low`` and ``high``, small ones as likely as large ones on a log scale."""
    return max(low, min(high, int(math.exp(r.uniform(math.log(low), math.log(high + 1))))))


def to_bytes(text: str) -> bytes:
    """``text`` as bytes: UTF-8, escaped surrogates (U+DC80..U+DCFF) back to their bytes, other lone
    surrogates as their (invalid) 3-byte UTF-8 form."""
    out = bytearray()
    for ch in text:
        code = ord(ch)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else ch.encode("utf-8", "surrogatepass")
    return bytes(out)


def argv_safe(text: str) -> str:
    """``text`` as Python would see it in ``sys.argv``: no NUL, and bytes that are not UTF-8 as surrogates."""
    return to_bytes(text).replace(b"\0", b"").decode("utf-8", "surrogateescape")


@dataclass
class Prog:
    """A generated program: its text, the input names it reads, the output names ``--of`` can pick,
    and, for a big generated structure, how it was built (the report shows that instead of 10 kB)."""

    text: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    note: str = ""
    big: bool = False


class ProgramGen:
    """Programs from the grammar: random ones, structures that stress size and depth, and hostile text."""

    KINDS = {
        "tiny": 12, "random": 34, "structure": 16, "example": 4, "pythonism": 6, "mutated": 14, "garbage": 6,
        "long_line": 3, "several": 5,
    }  # fmt: skip

    CLEAN_KINDS = {"tiny": 20, "random": 50, "structure": 12, "example": 8, "several": 10}

    def __init__(self, r: random.Random, light: bool = False, clean: bool = False) -> None:
        self.r = r
        self.light = light
        self.clean = clean  # only programs the grammar accepts, with the right argument counts
        self.found: list[str] = []  # names read before any binding, and declared ones: the inputs
        self.bound: set[str] = set()
        self.unread: set[str] = set()  # declared (``w = 0.5``) and not read yet

    def program(self, kind: str | None = None) -> Prog:
        """A program of the given kind, or of a random one."""
        self.found, self.bound, self.unread = [], set(), set()
        return getattr(self, kind or weighted(self.r, self.CLEAN_KINDS if self.clean else self.KINDS))()

    # ---- expressions

    def name(self) -> str:
        """A name read in an expression (an input unless bound before); rarely an odd one."""
        r = self.r
        if r.random() < 0.01 and not self.clean:
            return r.choice(ODD_NAMES)
        name = r.choice(INPUT_NAMES[:6]) if r.random() < 0.7 else r.choice(INPUT_NAMES)
        if name not in self.bound:
            self.found.append(name)
        self.unread.discard(name)
        return name

    def number(self) -> str:
        """A number literal: plain, huge, tiny, overflowing, or random."""
        r = self.r
        if r.random() < 0.6:
            return r.choice(NUMBERS[:16])
        if r.random() < 0.5:
            return r.choice(NUMBERS)
        return f"{abs(r.gauss(0, 10)):.{r.randint(1, 17)}g}"

    def atom(self) -> str:
        """A name or a number."""
        return self.name() if self.r.random() < 0.65 else self.number()

    def expr(self, depth: int) -> str:
        """A random expression at most ``depth`` operators deep."""
        r = self.r
        if depth <= 0 or r.random() < 0.25:
            return self.atom()
        kind = r.random()
        if kind < 0.45:
            op = r.choice(BINARY) if r.random() < 0.95 else r.choice(BINARY_ODD)
            space = r.choice(["", " "])
            return f"{self.expr(depth - 1)}{space}{op}{space}{self.expr(depth - 1)}"
        if kind < 0.75:
            return self.call(depth)
        if kind < 0.85:
            return r.choice(["-", "+", "- ", "−", "--"]) + self.expr(depth - 1)
        if kind < 0.95:
            return f"({self.expr(depth - 1)})"
        return f"{r.choice(['stop_gradient', 'detach'])}({self.expr(depth - 1)})"

    def call(self, depth: int) -> str:
        """A call of a function from the op table (rarely with the wrong number of arguments)."""
        r = self.r
        name, arity = r.choice(sorted(functions().items()))
        if r.random() < 0.02 and not self.clean:
            arity = r.choice([0, 1, 2, 3, 4])
        if arity < 0:
            arity = r.choice([1, 2, 3])
        args = ", ".join(self.expr(depth - 1) for _ in range(arity))
        return f"{name}({args})"

    def inputs(self) -> list[str]:
        """The input names read so far, in order."""
        return list(dict.fromkeys(self.found))

    def bind(self, name: str, value: str) -> None:
        """After ``name = value``: a plain number declares an input with a default; the name is bound."""
        if name in self.unread:  # rebound before any read: no longer an input
            self.unread.discard(name)
            self.found.remove(name)
        if name not in self.bound and re.fullmatch(r"[\d.eE+-]+", value) and name not in ("e", "pi", *self.found):
            self.found.append(name)
            self.unread.add(name)
        self.bound.add(name)

    # ---- whole programs

    def tiny(self) -> Prog:
        """One short expression."""
        text = self.expr(self.r.randint(0, 2))
        return Prog(text, self.inputs())

    def random(self) -> Prog:
        """Statements, bindings (with rebinding and declared defaults), comments, and a last output."""
        r = self.r
        depth = 2 if self.light else r.randint(1, 4)
        statements, bound = [], []
        for _ in range(r.randint(0, 5)):
            name = r.choice(BOUND_NAMES) if r.random() < 0.9 or self.clean else r.choice(ODD_NAMES)
            value = self.number() if r.random() < 0.15 else self.expr(depth)
            statements.append(f"{name}{r.choice(['=', ' = ', ' ='])}{value}")
            self.bind(name, value)
            bound.append(name)
        last, outputs = self._last(depth, list(dict.fromkeys(bound)))
        statements.append(last)
        text = self._join(statements)
        return Prog(text, self.inputs(), outputs)

    def _last(self, depth: int, bound: list[str]) -> tuple[str, list[str]]:
        r = self.r
        if r.random() < 0.12 and bound:
            names = r.sample(bound, min(len(bound), r.randint(1, 3)))
            items = names + [self.expr(depth) for _ in range(r.randint(0, 2))]
            return "[" + ", ".join(items) + ("," if r.random() < 0.2 else "") + "]", names
        if bound and r.random() < 0.6:
            return r.choice([f"{b}" for b in bound] + [f"{r.choice(bound)} {r.choice(BINARY)} {self.expr(1)}"]), []
        return self.expr(depth), []

    def _join(self, statements: list[str]) -> str:
        r = self.r
        text = statements[0]
        for statement in statements[1:]:
            text += r.choice(SEPARATORS) + statement
        if r.random() < 0.1:
            text += "  # " + r.choice(["comment", "π × ²", "x = 1", ""])
        if r.random() < 0.08:
            text = r.choice(["\n", ";", "# head\n", "\n\n"]) + text + r.choice(["\n", ";", "\n\n"])
        return text

    def several(self) -> Prog:
        """A list of outputs as the last statement (names or expressions)."""
        r = self.r
        n = r.randint(1, 4)
        bindings = []
        for k in range(n):
            bindings.append(f"y{k} = {self.expr(2)}")
            self.bind(f"y{k}", "")
        items = [f"y{k}" if r.random() < 0.6 else self.expr(2) for k in range(n)]
        items += [self.expr(1) for _ in range(r.randint(0, 2))]
        text = self._join([*bindings, "[" + ", ".join(items) + "]"])
        return Prog(text, self.inputs(), [i for i in items if re.fullmatch(r"y\d", i)])

    def example(self) -> Prog:
        """One of the repository's worked examples, with its input names."""
        files = sorted((REPO / "examples").glob("*.grad"))
        if not files:
            return self.tiny()
        text = self.r.choice(files).read_text(encoding="utf-8")
        code = re.sub(r"#[^\n]*", "", text)
        bound = set(re.findall(r"^\s*([A-Za-z_]\w*)\s*=(?!\s*[-\d.])", code, re.M))
        names = dict.fromkeys(re.findall(r"\b[A-Za-z_]\w*\b", code))
        inputs = [n for n in names if n not in functions() and n not in bound and n not in ("e", "pi")]
        return Prog(text, inputs)

    def pythonism(self) -> Prog:
        """Python (or maths) that is not gradcli: imports, def, lambda, d/dx, 2x, Unicode operators."""
        return Prog(self.r.choice(PYTHONISMS), ["x", "y"])

    def mutated(self) -> Prog:
        """A valid program with a few characters inserted, deleted, duplicated or cut off."""
        r = self.r
        base = self.program(r.choice(["tiny", "random", "several", "pythonism"]))
        text = base.text
        for _ in range(r.randint(1, 4)):
            text = self._mutate(text)
        return Prog(text, base.inputs, base.outputs)

    def _mutate(self, text: str) -> str:
        r = self.r
        at = r.randint(0, len(text))
        end = min(len(text), at + r.randint(1, 6))
        edit = r.choice(["insert", "insert", "delete", "duplicate", "truncate", "replace"])
        if edit == "insert":
            return text[:at] + r.choice(SPICE) + text[at:]
        if edit == "delete":
            return text[:at] + text[end:]
        if edit == "duplicate":
            return text[:end] + text[at:end] + text[end:]
        if edit == "truncate":
            return text[:at]
        return text[:at] + r.choice(SPICE) + text[end:]

    def garbage(self) -> Prog:
        """Random bytes (as argv would decode them, with surrogates) or random code points."""
        r = self.r
        n = log_uniform(r, 2000 if not self.light else 60)
        if r.random() < 0.5:
            data = r.getrandbits(8 * n).to_bytes(n, "little")
            return Prog(data.decode("utf-8", "surrogateescape"), ["x"])
        pool = [*SPICE, *"xyz0123456789+-*/()", *(chr(r.randint(0x20, 0x2FFFF)) for _ in range(20))]
        return Prog("".join(r.choice(pool) for _ in range(n)), ["x"])

    def long_line(self) -> Prog:
        """A line of up to ~10 kB: a long sum, name, number, comment or run of spaces."""
        r = self.r
        n = log_uniform(r, 600, 100) if self.light else log_uniform(r, MAX_INPUT - 200, 500)
        kind = r.choice(["sum", "name", "number", "comment", "spaces"])
        if kind == "sum":
            piece = self.expr(1)
            count = max(1, n // (len(piece) + 3))
            return Prog(
                " + ".join([piece] * count), self.inputs(), note=f'" + ".join([{lit(piece)}] * {count})', big=True
            )
        expression = {
            "name": f'"x" * {n}',
            "number": f'"1" * {n}',
            "comment": f'"# " + "a" * {n} + "\\nx"',
            "spaces": f'" " * {n} + "x"',
        }[kind]
        return built(expression, ["x"], True)

    # ---- structures that stress depth, size and fan-in

    def structure(self, medium: bool = False) -> Prog:
        """A program that stresses depth, size or fan-in (``medium``: a few dozen to a few thousand units)."""
        r = self.r
        kind = r.choice(list(STRUCTURES))
        limit = 40 if self.light else (2500 if medium else 3000)
        n = log_uniform(r, limit, 30 if medium else 1)
        return STRUCTURES[kind](r, n)


def _capped(n: int, unit: int) -> int:
    """At most as many repetitions of ``unit`` characters as fit in a program under MAX_INPUT."""
    return max(1, min(n, (MAX_INPUT - 400) // max(unit, 1)))


def built(expression: str, inputs: list[str], big: bool) -> Prog:
    """A program made by a Python expression, which the report prints instead of the (long) text."""
    return Prog(eval(expression, {"reduce": functools.reduce}), inputs, note=expression, big=big)


def lit(text: str) -> str:
    """A Python string literal in double quotes (so the report can put it in single-quoted shell words)."""
    return json.dumps(text)


def _nest_parens(r: random.Random, n: int) -> Prog:
    n = _capped(n, 2)
    return built(f'"(" * {n} + "x" + ")" * {n}', ["x"], n > 300)


def _nest_calls(r: random.Random, n: int) -> Prog:
    fn = r.choice(["sin", "exp", "tanh", "sigmoid", "relu", "abs", "sqrt", "log", "detach", "softplus"])
    n = _capped(n, len(fn) + 2)
    return built(f'"{fn}(" * {n} + "x" + ")" * {n}', ["x"], n > 300)


def _neg_chain(r: random.Random, n: int) -> Prog:
    sign = r.choice(["-", "- ", "+-", "−"])
    n = _capped(n, len(sign))
    return built(f'{lit(sign)} * {n} + "x"', ["x"], n > 300)


def _pow_chain(r: random.Random, n: int) -> Prog:
    base = r.choice(["x", "2", "1.0001", "x**2"])
    n = _capped(n, len(base) + 2)
    return built(f'"**".join([{lit(base)}] * {n} + ["x"])', ["x"], n > 300)


def _long_sum(r: random.Random, n: int) -> Prog:
    term, op = r.choice([("x", " + "), ("x", "+"), ("x", "*"), ("x*x", " + "), ("sin(x)", " + "), ("1", "+")])
    n = _capped(n, len(term) + len(op))
    return built(f'{lit(op)}.join([{lit(term)}] * {n} + ["x"])', ["x"], n > 300)


def _horner(r: random.Random, n: int) -> Prog:
    degree = min(n, 60) if r.random() < 0.7 else r.randint(30, 60)
    a = r.randint(1, 10)
    coefficients = f"[str((k * {a} % 11 - 5) / 4) for k in range({degree + 1})]"
    return built(f'reduce(lambda t, c: f"({{t}})*x + {{c}}", {coefficients})', ["x"], degree >= 30)


def _lines(first: str, line: str, n: int, last: str) -> str:
    """An expression for ``first``, then ``line`` for k = 1..n (an f-string in k), then ``last``."""
    return f'"\\n".join([{lit(first)}] + [f{lit(line)} for k in range(1, {n + 1})] + [{lit(last)}])'


def _chain(r: random.Random, n: int) -> Prog:
    n = _capped(n, 30)
    return built(_lines("a0 = x", "a{k} = a{k - 1}*1.01 + sin(a{k - 1})", n, f"a{n}"), ["x"], n > 100)


def _swell(r: random.Random, n: int) -> Prog:
    n = min(n, 40)
    return built(_lines("f0 = x", "f{k} = sin(f{k - 1})*f{k - 1}", n, f"f{n}"), ["x"], n > 15)


def _many_inputs(r: random.Random, n: int) -> Prog:
    n = _capped(n, 14)
    return built(f'" + ".join(f"x{{k}}*x{{(k + 1) % {n}}}" for k in range({n}))', [f"x{k}" for k in range(n)], n > 100)


def _many_outputs(r: random.Random, n: int) -> Prog:
    n = _capped(n, 12)
    names = [f"x{k}" for k in range(min(n, 7))] + ["y"]
    return built(f'"[" + ", ".join(f"x{{k % 7}}**2*y" for k in range({n})) + "]"', names, n > 100)


def _doubling(r: random.Random, n: int) -> Prog:
    n = _capped(n, 16)
    return built(f'"c = x\\n" + "c = c + c + 1\\n" * {n} + "c"', ["x"], n > 100)


def _product(r: random.Random, n: int) -> Prog:
    n = _capped(n, 10)
    return built(f'"*".join(f"(x + {{k}})" for k in range(1, {n + 1}))', ["x"], n > 100)


def _sigmoids(r: random.Random, n: int) -> Prog:
    n = _capped(n, 14)
    return built(_lines("h0 = x", "h{k} = sigmoid(w*h{k - 1} + b)", n, f"h{n}"), ["x", "w", "b"], n > 100)


STRUCTURES: dict[str, Callable[[random.Random, int], Prog]] = {
    "nest_parens": _nest_parens,
    "nest_calls": _nest_calls,
    "neg_chain": _neg_chain,
    "pow_chain": _pow_chain,
    "long_sum": _long_sum,
    "horner": _horner,
    "chain": _chain,
    "swell": _swell,
    "many_inputs": _many_inputs,
    "many_outputs": _many_outputs,
    "doubling": _doubling,
    "product": _product,
    "sigmoids": _sigmoids,
}

# ----------------------------------------------------------------------------- options

VALUES = [
    "1", "2", "-1", "0", "0.5", "-2.5", "3", "1.5", "-0.3", "1e-8", "1e8", "1e300", "-1e300", "1e-300", "5e-324",
    "1e999", "-1e999", "inf", "-inf", "nan", "NaN", "Infinity", "pi/4", "-pi", "e", "2*pi", "pi**2", "sqrt(2)",
    "1/3", "1/0", "log(-1)", "exp(1000)", "2**1024", "10**400", "1e-400", "[1,2,3]", "[1]", "", " ", "x", "y",
    "(", ")", "1+", "0x10", "1_000", "٣", "𝟑", "1j", "pi/", "--1", "+1", "++1", "1e", ".", "-0", "-0.0", "1" * 400,
    "\x1b[31m1", "1\udcff", "π", "sin(", "max(1,2)", "clamp(5,0,1)", "relu(-1)", "x+1", "1\n2", "[1, 2]",
    "stop_gradient(1)", "1;2", "[", "∞", "−1", "1e-5", "100", "-100", "0.1", "e**2", "(1)", "1 ", " -2",
]  # fmt: skip
GOOD_VALUES = ["1", "2", "-1", "0.5", "-2.5", "3", "1.5", "-0.3", "0.1", "pi/4", "2", "0", "1e-3", "-2", "10"]
POSITIONS = [
    "0", "1", "-1", "2", "-3", "[0]", "[1]", "99", "1.5", "[", "]", "--", "", " ", "0x1", "1e3", "9999999999", "٣",
    "-0", "+1", "nope", "x", "\x1b", "[-1]", "1000000000", "y0", "y1", "[0",
]  # fmt: skip
ORDERS = ["0", "1", "2", "3", "-1", "2", "2", "1", "99999999999999999999", "two", "1.5", "", "02", "+2", " 2"]
MAX_ROWS = ["0", "1", "2", "3", "5", "60", "-1", "-100", "1000000", "9" * 30, "x", "1.5", "4"]
STEPS = [
    "0", "-1", "-0", "nan", "inf", "-inf", "1e-300", "5e-324", "1e-20", "1e-12", "1e-8", "1e-5", "0.001", "0.1",
    "1", "10", "1e10", "1e308", "abc", "", "1e999", "1e-7", "0.5",
]  # fmt: skip
FORMULAS = ["2*x", "0", "1", "nan", "1/0", "sin(", "", "cos(x)", "2*(3*x + 2)*3", "y*", "q", "x**2", "-x", "1e999"]
# plot and eval --over (issue: ranges)
PLOT_PROGRAMS = [
    ("sigmoid(x)", ["x"]), ("log(x)", ["x"]), ("sqrt(x)", ["x"]), ("1/x", ["x"]), ("relu(x - 1)*y", ["x", "y"]),
    ("abs(x)", ["x"]), ("floor(x)*x", ["x"]), ("(x > 0)*x**2", ["x"]), ("where(x < 0, -x, x**2)", ["x"]),
    ("x**2 + 3*y**2", ["x", "y"]), ("(1 - x)**2 + 100*(y - x**2)**2", ["x", "y"]), ("log(x*y)", ["x", "y"]),
    ("sqrt(x) + sqrt(-y)", ["x", "y"]), ("tan(x)", ["x"]), ("x**x", ["x"]), ("log(-x) + log(x)", ["x"]),
    ("sum(w*x)", ["x", "w"]), ("sum(w*x) + y", ["x", "w", "y"]), ("[sin(x), cos(x)]", ["x"]),
    ("a = x*y; b = sin(x)\n[a, b]", ["x", "y"]), ("exp(x)", ["x"]), ("exp(1000*x)", ["x"]), ("1/(x - y)", ["x", "y"]),
    ("sign(x)*y", ["x", "y"]), ("max(x, y)", ["x", "y"]), ("clamp(x, -1, 1)", ["x"]), ("x % 1", ["x"]),
    ("x // 1 + y", ["x", "y"]), ("w = 0.5; w*x", ["x", "w"]), ("acos(x)", ["x"]), ("lgamma(x)", ["x"]),
    ("x*0", ["x"]), ("2", []), ("nan*x", ["x"]), ("1e308*x*x", ["x"]), ("stop_gradient(x)*x", ["x"]),
]  # fmt: skip
RANGES_GOOD = ["-4:4", "-2:2", "0:1:0.1", "-pi:pi", "0.1:3", "-1:1:0.25", "1:2", "-3:3", "0:1", "-1:3", "0:2*pi"]
RANGES_BAD = [
    "4:-4", "1:1", "0:1:0", "0:1:-0.1", "0:1:-0", "1:0:0.1", "0:1e6:1e-3", "0:1:1e-300", "0:1:5e-324", "nan:1",
    "0:nan", "0:1:nan", "0:inf", "-inf:inf", "-inf:0", "0:1:inf", "-1e308:1e308", "1e308:1.7976931348623157e308",
    "0:1e999", "a:b", "0:1:2:3", ":", "0:", ":1", "", "1", "0..1", "0 : 1", "0:1:", "[1,2]:3", "0:[1,2]", "-pi:pi/",
    "\x1b[31m0:1", "0:1\n", "0\x00:1", "٣:4", "𝟑:4", "1" * 5000 + ":2", "0:" + "9" * 400, "5e-324:1e-323",
    "0:1:0.3333333333333333", "-0:0", "0:1e-300", "1e15:1e15+1", "sin(:1", "x:1", "log(-1):1", "0:1e-320:1e-330",
]  # fmt: skip
POINTS = ["0", "1", "2", "3", "5", "11", "401", "-1", "-100", "1000000", "99999999999999999999", "1e3", "x", "",
          "2.5", "100000", "10000000", "+3", " 4", "٣"]  # fmt: skip
POINTS_GOOD = ["2", "3", "5", "11", "50", "101", "401"]
PLOT_OUTPUTS = ["p.svg", "p.png", "p.pdf", "P.SVG", "p.Png", "p.PDF"]
PLOT_OUTPUTS_ODD = [
    "-", "/dev/stdout", "nodir/p.svg", "adir", "old.svg", "p.txt", "p", "p.svg.bak", ".svg", "p\x1b.svg", "p.jpg",
    "p.eps", "p.svgz", "p\udcff.png", "p\n.pdf", "-p.svg", " p.png", "p.", "adir/", "\u202ep.svg",
]  # fmt: skip
LEARNING_RATES = ["0.001", "0.01", "0.1", "1", "0", "-0.1", "inf", "-inf", "nan", "1e308", "1e10", "abc", "", "1e-320",
                  "5e-324", "-0", "1e999", "0x10"]  # fmt: skip
LEARNING_RATES_GOOD = ["0.001", "0.01", "0.1", "0.05"]
DESCENT_STEPS = ["0", "1", "10", "100", "1000", "2000", "-1", "-100", "100000000", "99999999999999999999", "x",
                 "1.5", "1000000", "", "1e3"]  # fmt: skip
DESCENT_STEPS_GOOD = ["1", "10", "100", "1000", "2000"]
OPTIMIZERS = ["sgd", "momentum", "adam", "SGD", "Adam", "rmsprop", "", "nesterov", "adam ", "\x1b", "sgd,adam"]
OPTIMIZERS_GOOD = ["sgd", "momentum", "adam"]
JUNK = [
    ["--foo"], ["--at"], ["--json=1"], ["-x"], ["--order"], ["--"], ["-"], ["--of"], ["-f"], ["--help"], ["-h"],
    ["--version"], ["--no-json"], ["--JSON"], ["--at=x=1"], ["--mode=forward"], ["extra", "args"], ["-o"],
    ["--format"], ["--sweep"], ["--h"], ["--at", "--json"], ["--\udcff"], ["-\x1b[31m"], ["--at", "x=1", "--at"],
]  # fmt: skip
OUT_NAMES_ODD = [
    "g\x1b[31m.svg", "g\udcff.svg", "g\n.svg", "nodir/g.svg", "adir", ".", "old.svg", "G.SVG", "g.svg/", "-g.svg",
    " g.svg", "g .svg", "....svg", ".svg", "g.", "g", "g.txt", "g.jpg", "\t.svg", "g\x7f.dot", "\u202eg.svg",
]  # fmt: skip


class CaseBuilder:
    """Builds one case: argv in groups (an option with its value, or the program), files, stdin, flags.

    Half the cases are clean (a program the grammar accepts, values for its inputs, valid options), so
    that the deep paths run; the other half mix in hostile text and invalid options."""

    def __init__(self, r: random.Random, index: int, light: bool) -> None:
        self.r = r
        self.index = index
        self.light = light
        self.clean = r.random() < 0.5
        self.gen = ProgramGen(r, light, self.clean)
        self.command = "misc"
        self.groups: list[list[str]] = []
        self.files: dict[str, bytes | None] = {}
        self.stdin: bytes | None = None
        self.note = ""
        self.binary_ok = False
        self.prog = Prog("x")

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.r.random() < p

    def add(self, *args: str) -> None:
        """Add one argument group (an option and its value, or a flag)."""
        self.groups.append(list(args))

    # ---- the program

    def place_program(self, prog: Prog) -> None:
        """The program as an argument (most often), a file, standard input, or a wrong source."""
        r = self.r
        self.prog = prog
        self.note = prog.note
        k = r.random()
        if k < 0.80:
            self.groups.insert(0, ["@PROGRAM", prog.text])
        elif k < 0.90:
            path = r.choice(["prog.grad", "p", "prog.grad", "dir with space/p.grad", "-p.grad"])
            if "/" in path:
                self.files["dir with space"] = None
            self.files[path] = self.encode_file(prog.text)
            self.add("-f" if self.chance(0.8) else "--file", path)
        elif k < 0.96 or self.clean:
            self.stdin = self.encode_file(prog.text)
            self.add("-f", "-")
        else:
            self.wrong_source(prog)

    def wrong_source(self, prog: Prog) -> None:
        """A program source that cannot work: a folder, a missing or empty name, both sources, empty stdin."""
        r = self.r
        choice = r.choice(["dir", "missing", "empty", "both", "none", "devnull", "empty-stdin"])
        if choice == "dir":
            self.files["adir"] = None
            self.add("-f", "adir")
        elif choice == "missing":
            self.add("-f", "missing.grad")
        elif choice == "empty":
            self.add("-f", "")
        elif choice == "both":
            self.files["prog.grad"] = to_bytes(prog.text)
            self.groups.insert(0, ["@PROGRAM", prog.text])
            self.add("-f", "prog.grad")
        elif choice == "devnull":
            self.add("-f", "/dev/null")
        elif choice == "empty-stdin":
            self.stdin = b""
            self.add("-f", "-")

    def encode_file(self, text: str) -> bytes:
        """The program's bytes in a file: UTF-8 mostly; also BOM, CRLF, Latin-1, UTF-16, NUL, cut UTF-8."""
        r = self.r
        data = to_bytes(text)
        k = r.random() * (0.85 if self.clean else 1.0)
        if k < 0.70:
            return data
        if k < 0.78:
            return b"\xef\xbb\xbf" + data
        if k < 0.85:
            return data.replace(b"\n", b"\r\n")
        if k < 0.90:
            return ("π*" + text).encode("latin-1", "replace")
        if k < 0.93:
            return text.encode("utf-16", "surrogatepass")
        if k < 0.97:
            at = r.randint(0, len(data))
            return data[:at] + b"\x00" + data[at:]
        return data + "π".encode()[:1]

    # ---- option values

    def point(self, names: list[str], good: bool = False) -> str:
        """A ``--at`` (or ``--hvp``) value: every input, some, extra or repeated names, or malformed."""
        r = self.r
        good = good or self.clean
        names = names or ["x"]
        pool = GOOD_VALUES if good or r.random() < 0.6 else VALUES
        if good or r.random() < 0.75:
            chosen = names if good or r.random() < 0.8 else r.sample(names, r.randint(0, len(names)))
            if not good and r.random() < 0.08:
                chosen = [*chosen, r.choice(["q", "zz", "pi", "e", "sin", chosen[0] if chosen else "x"])]
            return ",".join(f"{n}={r.choice(pool)}" for n in chosen)
        return r.choice(
            [
                "x", "=1", "x==1", "x=1,,y=2", "x=1,", ",x=1", "1=x", " x = 1 ", "x:1", "x=1;y=2", "x=1 y=2", "X=1",
                "x=[1,2,3]", "x=" + "1" * 5000, "", "x=", "x=1,x=2", "π=1", "x=1=2", "x =pi/4", "x=\x1b[31m",
                "\udcff=1", "x=1\n", "x\t=1",
            ]
        )  # fmt: skip

    def at_options(self, p: float = 0.75, good: bool = False) -> None:
        """``--at`` for the program's inputs (always in a clean case with inputs, else with probability ``p``)."""
        names = self.prog.inputs
        if self.clean and not names:
            return
        if not (self.clean or self.chance(p)):
            return
        if len(names) > 1 and self.chance(0.15):
            half = len(names) // 2
            self.add("--at", self.point(names[:half], good))
            self.add("--at", self.point(names[half:], good))
        else:
            self.add("--at", self.point(names, good))

    def of_option(self, p: float) -> None:
        """``--of`` with an output name or position (any string in a hostile case)."""
        if not self.chance(p):
            return
        outputs = self.prog.outputs
        if self.clean:
            self.add("--of", self.r.choice([*outputs, "0", "-1", "[0]"]))
        else:
            self.add("--of", self.r.choice(outputs + POSITIONS if outputs else POSITIONS))

    def junk(self, p: float = 0.04) -> None:
        """An unknown or incomplete option, in hostile cases."""
        if not self.clean and self.chance(p):
            self.add(*self.r.choice(JUNK))

    def several(self) -> bool:
        """Whether the program ends with a list of outputs."""
        return self.prog.text.rstrip().endswith("]")

    # ---- commands

    def eval(self) -> None:
        """An ``eval`` case: --at, --json, --backward-order, --constants, --max-rows, --mode, --order, --hvp, --of."""
        self.command = "eval"
        self.place_program(self.gen.program())
        self.at_options()
        self.flags(["--json", 0.25], ["--backward-order", 0.1], ["--constants", 0.1])
        self.maybe("--max-rows", MAX_ROWS, 0.15, ["0", "1", "3", "60", "1000"])
        modes = ["forward", "reverse", "auto"] if self.several() else ["forward", "reverse"]
        self.maybe("--mode", ["forward", "reverse", "auto", "FORWARD", "", "both", "forward", "reverse"], 0.15, modes)
        self.maybe("--order", ORDERS, 0.15, ["1", "2"])
        if self.chance(0.08) and (self.prog.inputs or not self.clean):
            self.add("--hvp", self.point(self.prog.inputs))
        self.of_option(0.4 if self.prog.outputs else 0.05)
        self.junk()

    def diff(self) -> None:
        """A ``diff`` case: --wrt, --expand, --latex, --json, --order, --of."""
        self.command = "diff"
        self.place_program(self.gen.program())
        if self.chance(0.2) and (self.prog.inputs or not self.clean):
            odd = [] if self.clean else ["", "q", "x,y", "x y", "pi", "e", "sin", "\x1b"]
            for _ in range(self.r.randint(1, 2)):
                self.add("--wrt", self.r.choice([*self.prog.inputs, *odd]))
        self.flags(["--expand", 0.15], ["--latex", 0.15], ["--json", 0.2])
        self.maybe("--order", ORDERS, 0.15, ["1", "2"])
        self.of_option(0.4 if self.prog.outputs else 0.05)
        if self.chance(0.03) and not self.clean:
            self.add("--at", "x=1")
        self.junk()

    def compare(self) -> None:
        """A ``compare`` case: --at, --h, --expect, --json, --sweep with -o (svg, png, pdf), --order, --of."""
        self.command = "compare"
        self.place_program(self.gen.program())
        self.at_options(0.85)
        self.maybe("--h", STEPS, 0.2, ["1e-8", "1e-5", "0.001", "0.1", "1e-12", "1"])
        self.flags(["--json", 0.2])
        if self.chance(0.12):
            self.add("--sweep")
            if self.chance(0.5):
                odd = ["-", "nodir/s.svg", "adir", "old.svg", "s\x1b.svg", "s.txt"] if not self.clean else []
                self.output("-o", ["sweep.svg", "s.png", "s.pdf", *odd])
        else:
            if self.chance(0.2):
                self.expect()
            elif self.chance(0.02) and not self.clean:
                self.output("-o", ["s.svg"])
            self.maybe("--order", ORDERS, 0.12, ["1", "2"])
        self.of_option(0.4 if self.prog.outputs else 0.05)
        self.junk()

    def expect(self) -> None:
        """One or two ``--expect NAME=FORMULA`` (malformed ones in hostile cases)."""
        r = self.r
        names = self.prog.inputs or ["x"]
        for _ in range(r.randint(1, 2)):
            name = r.choice(names)
            if self.clean:
                self.add("--expect", f"{name}={r.choice(['0', '1', f'2*{name}', f'cos({name})', f'-{name}'])}")
            elif r.random() < 0.8:
                formula = r.choice(FORMULAS) if r.random() < 0.5 else self.gen.expr(2)
                self.add("--expect", f"{name}={formula}")
            else:
                self.add("--expect", r.choice(["x", "=2", "x=", "q=1", "x=2*undefined", "x==2", " = ", "x=\x1b"]))

    def jacobian(self) -> None:
        """A ``jacobian`` case, mostly with several outputs: --at, --mode, --json, --skip-other."""
        self.command = "jacobian"
        kind = "several" if self.chance(0.5) else None
        prog = self.gen.program(kind) if kind or not self.chance(0.1) else self.gen.structure()
        self.place_program(prog)
        self.at_options(0.8)
        self.maybe("--mode", ["auto", "forward", "reverse", "", "both", "REVERSE"], 0.4, ["auto", "forward", "reverse"])
        self.flags(["--json", 0.25], ["--skip-other", 0.2])
        self.junk()

    def graph(self) -> None:
        """Graph cases: most write DOT (no Graphviz); a fraction draws with Graphviz, mostly small programs."""
        self.command = "graph"
        heavy = self.chance(0.12 if self.light else 0.25)
        if heavy:
            medium = self.chance(0.12) and not self.light
            prog = self.gen.structure(medium=True) if medium else self.gen.program(self.r.choice(["tiny", "random"]))
            self.place_program(prog)
            self.heavy_outputs()
        else:
            self.place_program(self.gen.program())
            self.at_options(0.5)
            self.dot_outputs()
        self.maybe("--rankdir", ["LR", "TB", "RL", "BT", "lr", "xx", "", "tb"], 0.2, ["LR", "TB", "RL", "BT", "tb"])
        self.flags(["--edge-labels", 0.2], ["--structure", 0.1])
        if self.chance(0.15) and (self.prog.inputs or not self.clean):
            odd = [] if self.clean else ["q", "", "pi", "x,y", "\x1b[1m"]
            self.add("--highlight", self.r.choice([*self.prog.inputs, *odd]))
        self.maybe(
            "--max-nodes", ["0", "1", "10", "1000", "-1", "99999999999999999999", "x"], 0.15, ["1", "10", "1000"]
        )
        self.of_option(0.4 if self.prog.outputs else 0.05)
        self.junk()

    def dot_outputs(self) -> None:
        """Where DOT goes: stdout, -o FILE.dot, --format dot, -o - (or a bad format or path)."""
        r = self.r
        k = r.random() * (0.85 if self.clean else 1.0)
        if k < 0.5:
            return
        if k < 0.7:
            self.output("-o", ["g.dot", "g.gv", "out.dot", "G.DOT"])
        elif k < 0.8:
            self.add("--format", r.choice(["dot", "DOT"]))
        elif k < 0.85:
            self.output("-o", ["-", "/dev/stdout"])
        elif k < 0.9:
            self.add("--format", r.choice(["jpg", "", "canon", "json", "-Tpng", "svgz", "plain"]))
        else:
            self.output("-o", OUT_NAMES_ODD)

    def heavy_outputs(self) -> None:
        """Drawings with Graphviz: -o svg/png/pdf, PNG/PDF/SVG to stdout, --html, --frames, combinations."""
        r = self.r
        self.at_options(0.9, good=self.chance(0.8))
        odd = not self.clean and r.random() < 0.25
        k = r.random()
        if k < 0.35:
            self.output("-o", ["g.svg", "g.png", "g.pdf", "g.svg", "old.svg", *(OUT_NAMES_ODD if odd else [])])
        elif k < 0.55:
            fmt = r.choice(["svg", "png", "pdf", "SVG", "Png"])
            self.add("--format", fmt)
            self.binary_ok = fmt.lower() in ("png", "pdf")
            if self.chance(0.2):
                self.output("-o", ["-", "/dev/stdout", "g.svg", "g.dot"])
        elif k < 0.75:
            paths = ["nodir/p.html", "adir", "-", "page\x1b.html", "old.svg"] if odd else []
            self.output("--html", ["page.html", "p.html", *paths])
        elif k < 0.9:
            paths = ["adir", "nodir/frames", "old.svg", ".", "fr\udcff"] if odd else []
            self.output("--frames", ["frames", "frames/", *paths])
        else:
            self.output("-o", ["g.svg", *(["same.html"] if odd else [])])
            self.output("--html", ["page.html", *(["same.html"] if odd else [])])
            if self.chance(0.5):
                self.output("--frames", ["frames"])

    # ---- ranges: plot and eval --over

    def range_program(self) -> None:
        """A program for a range: one from the grammar, or one with nan regions, kinks, arrays, several
        outputs (a clean case gets one with inputs, and --of when it has several outputs)."""
        r = self.r
        if self.chance(0.55):
            text, names = r.choice(PLOT_PROGRAMS)
            outputs = (["a", "b"] if "a =" in text else ["0", "1"]) if text.endswith("]") else []
            prog = Prog(text, list(names), outputs)
        else:
            kinds = ["tiny", "random", "random", "several"]
            for _ in range(5 if self.clean else 1):  # a clean case wants a program with inputs to range over
                prog = self.gen.program(r.choice(kinds) if self.clean else None)
                if prog.inputs:
                    break
        self.place_program(prog)

    def range_text(self, name: str) -> str:
        """``NAME=START:STOP[:STEP]``, valid or hostile."""
        r = self.r
        if self.clean or self.chance(0.6):
            return f"{name}={r.choice(RANGES_GOOD)}"
        if self.chance(0.1):
            name = r.choice(["q", "pi", "e", "sin", "", "x y", "\x1b[1m", "π", "x" * 300, name.upper()])
        return f"{name}={r.choice(RANGES_BAD)}"

    def over_option(self, most: int) -> list[str]:
        """``--over`` for one (or up to ``most``) inputs, valid or hostile; the names ranged over."""
        r = self.r
        names = [n for n in self.prog.inputs if n != "w" or "sum(" not in self.prog.text] or ["x"]
        count = 1 if most == 1 or len(names) == 1 else r.choice([1, 2, 2] if most == 2 else [1, 2])
        chosen = r.sample(names, min(count, len(names)))
        if not self.clean:
            k = r.random()
            if k < 0.05:
                chosen = [*chosen, r.choice(["q", "zz", chosen[0]])]  # a name not in the program, or repeated
            elif k < 0.08:
                chosen = [*names, "x", "y", "z"][:3]
            elif k < 0.12:
                self.add("--over", r.choice(["", "x", "x=", "=0:1", "x=0:1,", ",x=0:1", "x=0:1;y=0:1", "x=[0,1]"]))
                return ["x"]
        ranges = [self.range_text(n) for n in chosen]
        if len(ranges) > 1 and self.chance(0.15):
            for text in ranges:
                self.add("--over", text)
        else:
            self.add("--over", ",".join(ranges))
        if self.chance(0.03) and not self.clean:
            self.add("--over", self.range_text(chosen[0]))
        return chosen

    def held_options(self, over: list[str]) -> None:
        """``--at`` for the inputs not ranged over (arrays for ``w`` in ``sum(w*x)``), sometimes for all."""
        r = self.r
        held = [n for n in self.prog.inputs if n not in over]
        if "sum(" in self.prog.text and "w" in self.prog.inputs and "w" not in over:
            array = r.choice(["[1,2]", "[1,2,3]", "[0.5]", "[]", "[1,[2]]", "[nan,1]"] if not self.clean else ["[1,2]"])
            self.add("--at", f"w={array}")
            held = [n for n in held if n != "w"]
        if held and (self.clean or self.chance(0.8)):
            self.add("--at", self.point(held))
        elif not self.clean and self.chance(0.1):
            self.add("--at", self.point(over))  # a value for a ranged input too

    def points_option(self, p: float) -> None:
        """``--points N``: 0, 1, 2, huge, negative, not a number."""
        self.maybe("--points", POINTS, p, POINTS_GOOD)

    def plot(self) -> None:
        """A ``plot`` case: curves over one input or a field over two, -o, --order, --points, descent, --of."""
        self.command = "plot"
        self.range_program()
        over = self.over_option(2)
        self.held_options(over)
        self.points_option(0.35)
        field = len(over) == 2
        if not field or not self.clean:
            self.maybe("--order", ["1", "2", "3", *ORDERS], 0.3, ["1", "2", "3"] if not self.clean else ["1", "2"])
        if self.chance(0.35):
            self.output("-o", PLOT_OUTPUTS + (PLOT_OUTPUTS_ODD if not self.clean and self.chance(0.4) else []))
        if (field and self.chance(0.5)) or (not self.clean and self.chance(0.08)):
            self.descent(over)
        self.of_option((0.95 if self.clean else 0.6) if self.prog.outputs else 0.03)
        self.junk(0.06)

    def descent(self, over: list[str]) -> None:
        """--descend-from (missing names, extra names, arrays), --lr, --steps, --optimizer."""
        r = self.r
        names = over if len(over) == 2 else ["x", "y"]
        if self.clean or self.chance(0.6):
            start = ",".join(f"{n}={r.choice(['-1.5', '0.5', '1', '-1', '2', '0'])}" for n in names)
        else:
            start = r.choice(
                [
                    f"{names[0]}=1", f"{names[0]}=1,{names[1]}=2,q=3", f"{names[0]}=[1,2],{names[1]}=0",
                    f"{names[0]}=nan,{names[1]}=0", f"{names[0]}=1e308,{names[1]}=-1e308",
                    f"{names[0]}=inf,{names[1]}=0", "", "x", "=1", f"{names[0]}=1,{names[0]}=2",
                    f"{names[0]}=100,{names[1]}=100",
                    self.point(names), f"{names[0]}=\x1b[31m1,{names[1]}=2", "q=1,z=2",
                ]
            )  # fmt: skip
        self.add("--descend-from", start)
        self.maybe("--lr", LEARNING_RATES, 0.6, LEARNING_RATES_GOOD)
        self.maybe("--steps", DESCENT_STEPS, 0.6, DESCENT_STEPS_GOOD)
        self.maybe("--optimizer", OPTIMIZERS, 0.5, OPTIMIZERS_GOOD)

    def eval_over(self) -> None:
        """An ``eval --over`` case: one range or a grid of two, --points, --csv and --json, --of, stray eval options."""
        self.command = "eval"
        self.range_program()
        over = self.over_option(3 if not self.clean else 2)
        self.held_options(over)
        self.points_option(0.4)
        k = self.r.random()
        if k < 0.3:
            self.add("--csv")
        elif k < 0.55:
            self.add("--json")
        elif k < 0.6 and not self.clean:
            self.add("--csv")
            self.add("--json")
        self.of_option((0.95 if self.clean else 0.6) if self.prog.outputs else 0.03)
        if not self.clean and self.chance(0.15):
            stray = [["--order", "2"], ["--hvp", "x=1"], ["--mode", "forward"], ["--max-rows", "3"], ["--constants"]]
            self.add(*self.r.choice(stray))
        self.junk(0.06)

    def output(self, option: str, choices: list[str]) -> None:
        """An output option; pre-existing files and folders the path may name are created first."""
        path = self.r.choice(choices)
        if path.startswith("adir"):
            self.files["adir"] = None
        if path == "old.svg":
            self.files["old.svg"] = b"<svg xmlns='http://www.w3.org/2000/svg'/>\n"
        self.add(option, path)

    def flags(self, *pairs: list) -> None:
        """Each flag of (flag, probability) pairs, with its probability."""
        for flag, p in pairs:
            if self.chance(p):
                self.add(flag)

    def maybe(self, option: str, values: list[str], p: float, good: list[str] | None = None) -> None:
        """``option`` with a value from ``values`` (from ``good`` in a clean case), with probability ``p``."""
        if self.chance(p):
            self.add(option, self.r.choice(good if self.clean and good else values))

    def misc(self) -> None:
        """No command, help pages, the version, unknown commands and options, hostile argv."""
        r = self.r
        kind = r.choice(["bare", "help", "help", "version", "unknown", "no-program", "hostile", "dashdash"])
        command = r.choice(COMMANDS)
        if kind == "help":
            pages = [[command, "--help"], [command, "-h"], ["--help"], ["-h"], ["help"], [command, "x", "--help"]]
            self.add(*r.choice(pages))
        elif kind == "version":
            self.add(*r.choice([["--version"], ["--version", "eval"], [command, "--version"]]))
        elif kind == "unknown":
            self.add(r.choice(["evaluate", "grad", "", "EVAL", "e", "--", "-", "eval2", "x**2", "\x1b[31m", "\udcff"]))
            if self.chance(0.5):
                self.add("x**2")
        elif kind == "no-program":
            self.add(command)
            if self.chance(0.5):
                self.add(*r.choice(JUNK))
        elif kind == "hostile":
            words = [*COMMANDS, *SPICE, "--at", "-f", "-o", "--json", "x"]
            self.add(*[r.choice(words) for _ in range(r.randint(1, 6))])
        elif kind == "dashdash":
            self.add(command, "--", r.choice(["-x**2", "--x", "-", "--", "x", "-f"]))

    # ---- the case

    def finish(self) -> Case:
        """Flatten the groups (program first, or shuffled among the options), keep it under MAX_INPUT."""
        r = self.r
        groups = self.groups
        if self.command != "misc":
            if r.random() < 0.2:
                r.shuffle(groups)
            groups = [[self.command], *groups]
        argv = [argv_safe(a) for group in groups for a in (group[1:] if group[0] == "@PROGRAM" else group)]
        case = Case(
            index=self.index,
            command=self.command,
            argv=argv,
            stdin=self.stdin,
            files=list(self.files.items()),
            columns=r.choice(WIDTHS),
            binary_ok=self.binary_ok,
            note=self.note,
            clean=self.clean,
        )
        case.enforce_size(MAX_INPUT)
        return case


# ----------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One run of the command line: argv (after ``gradcli``), stdin, files made first, terminal width."""

    index: int
    command: str
    argv: list[str]
    stdin: bytes | None = None
    files: list[tuple[str, bytes | None]] = field(default_factory=list)  # None: a folder
    columns: int = 80
    binary_ok: bool = False  # PNG or PDF on stdout was asked for
    note: str = ""
    clean: bool = False  # generated as a valid program with valid options
    origin: int | None = None  # the case this one was shrunk from

    def input_size(self) -> int:
        """Characters of input: argv, files and stdin."""
        return sum(len(a) for a in self.argv) + sum(len(d or b"") for _, d in self.files) + len(self.stdin or b"")

    def enforce_size(self, limit: int) -> None:
        """Cut the longest argument, file or stdin until the whole input is under ``limit`` characters."""
        while self.input_size() > limit:
            excess = self.input_size() - limit
            k = max(range(len(self.argv)), key=lambda i: len(self.argv[i]), default=None)
            file_sizes = [len(d or b"") for _, d in self.files] + [len(self.stdin or b"")]
            if k is not None and len(self.argv[k]) >= max(file_sizes):
                self.argv[k] = self.argv[k][: len(self.argv[k]) - excess]
            elif self.stdin is not None and len(self.stdin) == max(file_sizes):
                self.stdin = self.stdin[: len(self.stdin) - excess]
            else:
                j = file_sizes.index(max(file_sizes))
                path, data = self.files[j]
                self.files[j] = (path, (data or b"")[: len(data or b"") - excess])

    def size(self) -> int:
        """How big the reproducer is (its real input, not the compact form): what the report sorts by."""
        return self.input_size() + 3 * len(self.argv)

    def generated(self) -> tuple[str, str] | None:
        """(program text, shell word that prints it) when the note builds a long program used as is."""
        if not self.note:
            return None
        try:
            text = eval(self.note, {"reduce": functools.reduce})
        except Exception:  # noqa: BLE001 - a note that is not an expression
            return None
        if len(text) < 300 or text.endswith("\n"):
            return None
        code = f"from functools import reduce; import sys; sys.stdout.write({self.note})"
        return text, f"python3 -c {shlex.quote(code)}"

    def shell(self, compact: bool = True) -> str:
        """A shell line that reproduces the case exactly (files made first, stdin piped in); ``compact``
        prints a long generated program with the Python expression that builds it."""
        made = self.generated() if compact else None
        text, maker = made or ("", "")
        setup = []
        for path, data in self.files:
            target = quote_bytes(os.fsencode(path))
            if data is None:
                setup.append(f"mkdir -p {target}")
            else:
                setup.append(f"{maker if made and data == to_bytes(text) else printf(data)} > {target}")
        words = [f'"$({maker})"' if made and a == text else quote_bytes(os.fsencode(a)) for a in self.argv]
        command = f"COLUMNS={self.columns} " + " ".join(["gradcli", *words])
        if self.stdin is not None:
            command = f"{maker if made and self.stdin == to_bytes(text) else printf(self.stdin)} | {command}"
        elif "-" in self.argv:
            command += " < /dev/null"
        return "; ".join([*setup, command])


def quote_bytes(data: bytes) -> str:
    """A shell word for ``data``: plain quoting for printable UTF-8, else bash's $'...' with escapes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not CONTROL.search(text) and "\u2028" not in text:
        return shlex.quote(text)
    out = []
    for byte in data:
        ch = chr(byte)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def printf(data: bytes) -> str:
    """``printf '...'`` writing exactly ``data`` (octal escapes, so NUL bytes survive)."""
    out = []
    for byte in data:
        ch = chr(byte)
        if ch == "%":
            out.append("%%")
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "'" or not 0x20 <= byte < 0x7F or (ch == "-" and not out):  # a leading '-' is an option
            out.append(f"\\{byte:03o}")
        else:
            out.append(ch)
    return "printf '" + "".join(out) + "'"


# what generate_case draws from, and its weights (``--command`` picks among these names)
GENERATORS = {"eval": 24, "diff": 13, "compare": 13, "jacobian": 9, "graph": 19, "plot": 14, "eval-over": 9, "misc": 9}


def generate_case(r: random.Random, index: int = 0, light: bool = False, commands: Iterable[str] | None = None) -> Case:
    """One random case; ``light`` keeps programs small and Graphviz rare (for the unit test)."""
    table = dict(GENERATORS)
    if commands:
        table = {k: v for k, v in table.items() if k in set(commands)}
    builder = CaseBuilder(r, index, light)
    getattr(builder, weighted(r, table).replace("-", "_"))()
    return builder.finish()


def case_for(seed: int, index: int, commands: Iterable[str] | None = None) -> Case:
    """Case ``index`` of the run with ``seed``: the same every time."""
    return generate_case(random.Random(f"{seed}:{index}"), index, commands=commands)


# ----------------------------------------------------------------------------- running one case


@dataclass
class Limits:
    """The per-case time limit (seconds) and address-space limit (bytes); 0: none."""

    seconds: float = 10.0
    memory: int = 2**30
    dot_sample: float = 1.0  # fraction of plain DOT outputs parsed by Graphviz (always for unusual characters)


@dataclass
class Outcome:
    """What one run did."""

    code: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    elapsed: float = 0.0
    peak_mb: float = 0.0
    child_peak_mb: float = 0.0
    exception: str = ""
    where: str = ""
    message: str = ""
    tb: str = ""
    flush_error: str = ""
    killed: str = ""  # "time" (the parent stopped it) or "died (SIGSEGV)"


@dataclass
class Result:
    """A checked run: the failures (class, detail) and what the report shows of the run."""

    index: int
    command: str
    failures: list[tuple[str, str]]
    code: int | None
    elapsed: float
    peak_mb: float
    child_peak_mb: float
    stdout_head: str
    stderr_head: str
    tb: str
    worker_rss_mb: float = 0.0


def _relative(path: str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).resolve().relative_to(REPO))
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    return os.path.basename(path)


def innermost(tb) -> str:
    """The innermost gradcli frame of a traceback as ``gradcli/file.py:function`` (else the innermost frame)."""
    frames = traceback.extract_tb(tb)
    for frame in reversed(frames):
        where = _relative(frame.filename)
        if where.startswith("gradcli/"):
            return f"{where}:{frame.name}"
    return f"{_relative(frames[-1].filename)}:{frames[-1].name}" if frames else "?"


def traceback_summary(error: BaseException) -> str:
    """The gradcli frames of the traceback (innermost last, at most 6), then the innermost frame and the exception."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if _relative(f.filename).startswith("gradcli/")][-6:]
    lines = [f"{_relative(f.filename)}:{f.lineno} in {f.name}: {f.line}" for f in ours]
    if frames and (not ours or frames[-1] is not ours[-1]):
        last = frames[-1]
        lines.append(f"... {_relative(last.filename)}:{last.lineno} in {last.name}: {last.line}")
    lines.append(f"{type(error).__name__}: {str(error)[:300]}")
    return "\n".join(lines)


@contextlib.contextmanager
def redirected(capture: str, stdin: bytes | None) -> Iterator[None]:
    """Descriptors 0, 1, 2 and ``sys.std*`` on files in ``capture`` (UTF-8; stdout strict, stderr backslashreplace)."""
    with open(os.path.join(capture, "stdin"), "wb") as file:
        file.write(stdin or b"")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    streams = (sys.stdin, sys.stdout, sys.stderr)
    try:
        for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
            flags = os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            new = os.open(os.path.join(capture, name), flags, 0o600)
            os.dup2(new, fd)
            os.close(new)
        sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8", errors="strict")
        sys.stderr = io.TextIOWrapper(
            open(2, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
        )
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
        for fd, old in zip((0, 1, 2), saved):
            os.dup2(old, fd)
            os.close(old)


@contextlib.contextmanager
def case_environment(case: Case, directory: str) -> Iterator[None]:
    """The case's working directory, ``COLUMNS``, ``sys.argv``; process state restored afterwards."""
    saved = (os.getcwd(), os.environ.get("COLUMNS"), sys.argv, sys.getrecursionlimit(), os.umask(0o022))
    os.umask(saved[4])
    memory = resource.getrlimit(resource.RLIMIT_AS)
    os.chdir(directory)
    os.environ["COLUMNS"] = str(case.columns)
    for variable in ("GRADCLI_TIME_LIMIT", "GRADCLI_MEMORY_LIMIT", "LINES"):
        os.environ.pop(variable, None)
    sys.argv = ["gradcli", *case.argv]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, memory)
        gc.enable()
        os.chdir(saved[0])
        if saved[1] is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved[1]
        sys.argv = saved[2]
        sys.setrecursionlimit(saved[3])
        os.umask(saved[4])


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")


def _status_mb(key: str) -> float:
    with contextlib.suppress(OSError):
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    return 0.0


def call_main(case: Case, outcome: Outcome) -> None:
    """``gradcli.cli.app.main()`` with the exit code or the uncaught exception recorded in ``outcome``."""
    from gradcli.cli.app import main

    try:
        main()
        outcome.code = 0
    except SystemExit as stop:
        code = stop.code
        if code is None or isinstance(code, int):
            outcome.code = code or 0
        else:  # sys.exit("text"): Python prints the text and exits with 1
            sys.stderr.write(f"{code}\n")
            outcome.code = 1
    except BaseException as error:  # noqa: BLE001 - every uncaught exception is a finding
        outcome.exception = type(error).__name__
        outcome.where = innermost(error.__traceback__)
        outcome.message = str(error)[:500]
        outcome.tb = traceback_summary(error)


def execute(case: Case, directory: str, capture: str) -> Outcome:
    """Run the case in this process: argv, stdin, cwd and COLUMNS set, output captured at the descriptors."""
    outcome = Outcome()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    _reset_peak()
    with case_environment(case, directory), redirected(capture, case.stdin):
        started = time.monotonic()
        call_main(case, outcome)
        outcome.elapsed = time.monotonic() - started
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception as error:  # noqa: BLE001 - Python would report it at exit
                outcome.flush_error = f"{type(error).__name__}: {error}"[:300]
    outcome.peak_mb = _status_mb("VmHWM")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    outcome.child_peak_mb = after / 1024 if after > children else 0.0
    outcome.stdout = _read(os.path.join(capture, "stdout"))
    outcome.stderr = _read(os.path.join(capture, "stderr"))
    return outcome


def _read(path: str, limit: int = READ_LIMIT) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(limit)
    except OSError:
        return b""


# ----------------------------------------------------------------------------- files


def make_files(case: Case, directory: str) -> None:
    """The folders and files the case expects to exist before it runs."""
    for path, data in case.files:
        full = os.path.join(directory, path)
        if data is None:
            os.makedirs(full, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as file:
                file.write(data)


def snapshot(directory: str) -> dict[str, tuple]:
    """Every path under ``directory``: (is a folder, size, modification time, content hash)."""
    seen: dict[str, tuple] = {}
    for root, folders, names in os.walk(directory):
        for name in folders + names:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, directory)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                seen[rel] = (True, 0, 0, "")
            else:
                seen[rel] = (False, info.st_size, info.st_mtime_ns, _digest(full))
    return seen


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.sha1(file.read()).hexdigest()
    except OSError:
        return "?"


# ----------------------------------------------------------------------------- the contract


def strict_json(text: str) -> None:
    """``json.loads`` that refuses NaN and Infinity."""

    def refuse(constant: str) -> None:
        """Reject NaN and Infinity."""
        raise ValueError(f"non-standard constant {constant}")

    json.loads(text, parse_constant=refuse)


def sniff(data: bytes) -> str:
    """What kind of output ``data`` is: png, pdf, svg, html, dot, or unknown."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"%PDF"):
        return "pdf"
    head = data[:2000].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or (head.startswith(b"<!doctype svg")):
        return "svg"
    if re.match(rb"(/\*.*?\*/\s*|//[^\n]*\n\s*)*(strict\s+)?(di)?graph\b", head, re.S):
        return "dot"
    if head.startswith((b"{", b"[")):
        return "json"
    return "unknown"


def control_class(where: str, text: str) -> tuple[str, str] | None:
    """A failure for raw control characters in ``text`` (CR alone is its own class), with the characters found."""
    found = sorted(set(CONTROL.findall(text)))
    if not found:
        return None
    kinds = ", ".join(f"U+{ord(c):04X}" for c in found)
    first = CONTROL.search(text)
    context = text[max(0, first.start() - 40) : first.end() + 40]
    label = "CR only" if found == ["\r"] else "not just CR"
    return f"raw control characters in {where} ({label})", f"{kinds} in {context!r}"


class Checker:
    """Checks one outcome against the contract; ``failures`` gets (class, detail) per violated clause."""

    def __init__(self, case: Case, outcome: Outcome, before: dict, after: dict, directory: str, limits: Limits):
        self.case = case
        self.out = outcome
        self.before = before
        self.after = after
        self.directory = directory
        self.limits = limits
        self.failures: list[tuple[str, str]] = []
        self.stderr = outcome.stderr.decode("utf-8", "replace")

    def fail(self, cls: str, detail: str = "") -> None:
        """Record a violated clause."""
        self.failures.append((cls, detail[:1500]))

    def run(self) -> list[tuple[str, str]]:
        """Check every clause; the violated ones as (class, detail)."""
        out = self.out
        if out.killed:
            self.killed()
            return self.failures
        self.exception_or_exit()
        self.time()
        self.streams()
        self.files()
        return self.failures

    def killed(self) -> None:
        """The worker was stopped (time) or died (memory), or the fuzzer's own checks ran too long."""
        head = self.stderr[:300]
        if self.out.killed == "checks":
            self.fail(
                f"fuzzer: checking the output took over {CHECK_SECONDS:g} s", f"the run took {self.out.elapsed:.1f} s"
            )
            self.time()
        elif self.out.killed == "time":
            self.fail(f"time: still running after {self.limits.seconds:g} s (killed)", f"stderr so far: {head!r}")
        else:
            self.fail(f"memory: worker {self.out.killed}", f"stderr so far: {head!r}")

    def exception_or_exit(self) -> None:
        """An uncaught exception is its own class; otherwise the exit code decides what to check."""
        out = self.out
        if out.exception:
            if out.exception == "MemoryError":
                self.fail(f"memory: uncaught MemoryError at {out.where}", out.tb)
            else:
                self.fail(f"uncaught {out.exception} at {out.where}", f"{out.exception}: {out.message}")
            return
        if out.flush_error:
            self.fail("writing stdout/stderr failed at exit", out.flush_error)
        ok_codes = (0, 1) if self.case.command == "compare" else (0,)
        if out.code in ok_codes:
            self.success()
        elif out.code == 2:
            self.usage_error()
        else:
            self.fail(f"unexpected exit code {out.code} ({self.case.command})", self.stderr[:300])

    def success(self) -> None:
        """Exit 0 (or 1 for compare): output on stdout or in the files asked for; strict JSON with --json."""
        written = self.changed()
        paths = output_paths(self.case.argv)
        if not self.out.stdout and not (paths and written):
            self.fail(f"exit {self.out.code} with no output", self.stderr[:300])
        if self.out.code == 0 and not self.help_asked():
            for path in paths:
                if not os.path.lexists(os.path.join(self.directory, path)):
                    self.fail("exit 0 but an output file is missing", f"{path!r}; wrote {sorted(written)!r}")
        json_asked = ("--json", None) in parsed_options(self.case.argv)
        cut = len(self.out.stdout) >= READ_LIMIT  # read only in part: a document cut short proves nothing
        if json_asked and not self.help_asked() and self.case.command in COMMANDS and not cut:
            self.json_output()
        options = parsed_options(self.case.argv)
        ranged = self.case.command == "plot" or any(name == "--over" for name, _ in options)
        if ranged and self.out.code == 0 and not self.help_asked():
            self.range_outputs(options, json_asked)

    def range_outputs(self, options: list[tuple[str, str | None]], json_asked: bool) -> None:
        """plot and eval --over: CSV with a header and as many fields in every row, terminal lines no wider
        than COLUMNS (in characters), and every -o file of the kind its suffix names."""
        stdout = self.out.stdout.decode("utf-8", "replace")
        csv_asked = ("--csv", None) in options
        if csv_asked:
            if len(self.out.stdout) < READ_LIMIT:
                self.csv_output(stdout)
        elif not json_asked and sniff(self.out.stdout) not in ("svg", "png", "pdf"):
            for number, line in enumerate(stdout.splitlines(), 1):
                if len(line) > self.case.columns:
                    self.fail(
                        f"{self.case.command} --over: a line is wider than COLUMNS",
                        f"line {number}: {len(line)} characters > {self.case.columns}: {line[:200]!r}",
                    )
                    break
        for path in output_paths(self.case.argv):
            kind = os.path.splitext(path)[1].lower().lstrip(".")
            full = os.path.join(self.directory, path)
            if kind in ("svg", "png", "pdf") and os.path.isfile(full):
                found = sniff(_read(full, 4096))
                if found != kind:
                    self.fail(f"-o FILE.{kind} holds {found}", f"{path!r}: starts {_read(full, 40)!r}")

    def csv_output(self, text: str) -> None:
        """--csv: a header, then rows with as many fields as the header, every field non-empty."""
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as error:
            self.fail("--csv: stdout is not CSV", f"{error}: {text[:200]!r}")
            return
        if not rows or not rows[0] or any(not name.strip() for name in rows[0]):
            self.fail("--csv: no header (or an empty column name)", repr(text[:200]))
            return
        if len(rows) < 2:
            self.fail("--csv: a header and no rows", repr(text[:200]))
        for number, row in enumerate(rows[1:], 2):
            if len(row) != len(rows[0]):
                detail = f"row {number} has {len(row)} fields, the header {len(rows[0])}: {row[:8]!r}"
                self.fail("--csv: rows with a different number of fields than the header", detail)
                return
            if any(not value for value in row):
                self.fail("--csv: an empty field", f"row {number}: {row[:8]!r}")
                return

    def help_asked(self) -> bool:
        """Whether --help or --version was given as an option (not as another option's value)."""
        return any(name in ("--help", "--version") for name, _ in parsed_options(self.case.argv))

    def json_output(self) -> None:
        """--json output must be strict JSON (no NaN or Infinity)."""
        try:
            text = self.out.stdout.decode("utf-8")
            strict_json(text)
        except ValueError as error:
            kind = "NaN/Infinity" if "non-standard" in str(error) else "invalid JSON"
            self.fail(f"--json: stdout is not strict JSON ({kind})", f"{error}: {self.out.stdout[:200]!r}")

    def usage_error(self) -> None:
        """Exit 2: one bounded ``error:`` message, nothing on stdout, no file left or changed."""
        err = self.stderr
        if self.limit_message(err):
            return
        if not err.strip():
            self.fail("exit 2 with nothing on stderr")
        elif not err.startswith("error:"):
            self.fail("exit 2: stderr does not start with 'error:'", err[:400])
        if len(OTHER_MESSAGE.findall(err)) > 1:
            self.fail("exit 2: more than one message on stderr", err[:600])
        if len(err) > MAX_MESSAGE:
            self.fail(f"exit 2: message longer than {MAX_MESSAGE} characters", f"{len(err)} characters: {err[:300]!r}")
        if self.out.stdout:
            self.fail("exit 2 with output on stdout", repr(self.out.stdout[:300]))
        changed = self.changed(removed=True)
        if changed:
            self.fail("exit 2 left files behind (or changed/removed files)", repr(sorted(changed)[:10]))

    def limit_message(self, err: str) -> bool:
        """gradcli's own limits and Graphviz running out of memory: time and memory classes, not usage errors."""
        if err.startswith("error: stopped after"):
            self.fail("time: stopped by gradcli's own time limit (exit 2)", err[:300])
            return True
        if err.startswith("error: stopped: the run needed"):
            self.fail("memory: stopped by gradcli's own memory limit (exit 2, MemoryError)", err[:300])
            return True
        if re.search(r"out of memory|bad_alloc|cannot allocate|MemoryError", err, re.I):
            self.fail("memory: Graphviz or a child ran out of memory (exit 2)", err[:300])
            return True
        return False

    def time(self) -> None:
        """A run that finished but took longer than the time limit."""
        seconds = self.limits.seconds
        if seconds and self.out.elapsed > seconds and not any(c.startswith("time:") for c, _ in self.failures):
            self.fail(f"time: finished but took over {seconds:g} s", f"{self.out.elapsed:.1f} s")

    def streams(self) -> None:
        """Raw control characters, tracebacks, UTF-8 and well-formed documents on stdout and stderr."""
        out = self.out
        found = control_class("stderr", self.stderr)
        if found:
            self.fail(*found)
        if "Traceback (most recent call last)" in self.stderr:
            self.fail("traceback text on stderr", self.stderr[-600:])
        binary = self.case.binary_ok and sniff(out.stdout) in ("png", "pdf")
        if binary:
            self.binary(out.stdout, "stdout")
            return
        try:
            text = out.stdout.decode("utf-8")
        except UnicodeDecodeError as error:
            self.fail("stdout is not UTF-8", f"{error}: {out.stdout[max(0, error.start - 40) : error.end + 40]!r}")
            return
        found = control_class("stdout", text)
        if found:
            self.fail(*found)
        if out.stdout and out.code in (0, 1) and not out.exception:
            self.document(out.stdout, "stdout")

    def files(self) -> None:
        """No temporary files left; every file written is a well-formed document of its kind."""
        for rel in sorted(self.after):
            if TEMPORARY.search(rel):
                self.fail("temporary file left behind", rel)
        if self.out.code not in (0, 1) or self.out.exception:
            return
        for rel in sampled(sorted(p for p in self.changed() if not self.after[p][0])):
            self.document(_read(os.path.join(self.directory, rel)), f"written file {rel!r}")

    def changed(self, removed: bool = False) -> set[str]:
        """Paths new or changed since the case started (and, with ``removed``, paths that disappeared)."""
        new = {p for p, info in self.after.items() if self.before.get(p) != info}
        if removed:
            new |= set(self.before) - set(self.after)
        return new

    def document(self, data: bytes, where: str) -> None:
        """SVG, HTML, DOT, PNG, PDF and JSON outputs checked by kind."""
        kind = sniff(data)
        label = "file" if where.startswith("written") else "stdout"
        if kind == "svg":
            self.svg(data, f"SVG on {label}" if label == "stdout" else "SVG file", where)
        elif kind == "html":
            self.html(data, where)
        elif kind == "dot":
            self.dot(data, label, where)
        elif kind in ("png", "pdf"):
            if label == "stdout":
                self.fail("binary output on stdout that was not asked for", f"{kind}: {data[:40]!r}")
            self.binary(data, where)
        elif label == "file" and kind == "unknown":
            self.fail("written file of unknown kind", f"{where}: {data[:120]!r}")
        elif label == "file" and not data:
            self.fail("empty file written", where)

    def svg(self, data: bytes, cls: str, where: str) -> None:
        """SVG must parse as XML with an <svg> root and hold no raw control characters."""
        try:
            root = ET.fromstring(data)
        except ET.ParseError as error:
            self.fail(f"{cls} is not well-formed XML", f"{where}: {error}")
            return
        if not root.tag.endswith("svg"):
            self.fail(f"{cls} has no <svg> root", f"{where}: root {root.tag}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        found = control_class(f"{cls}", text)
        if found:
            self.fail(*found)

    def html(self, data: bytes, where: str) -> None:
        """The page must be UTF-8 without raw control characters, with its scripts, JSON and SVG intact."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            self.fail("HTML is not UTF-8", f"{where}: {error}")
            return
        found = control_class("HTML", text)
        if found:
            self.fail(*found)
        for cls, detail in html_problems(text):
            self.fail(cls, f"{where}: {detail}")

    def dot(self, data: bytes, label: str, where: str) -> None:
        """DOT must be UTF-8 (without raw control characters in files) and parse with Graphviz."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            self.fail(f"DOT on {label} is not UTF-8", f"{where}: {error}")
            return
        if label == "file":
            found = control_class("DOT file", text)
            if found:
                self.fail(*found)
        if not self.sample_dot():
            return
        problem = dot_problem(data)
        if problem:
            self.fail(f"DOT rejected by Graphviz's parser ({label})", f"{where}: {' '.join(dot_parser())}: {problem}")

    def sample_dot(self) -> bool:
        """Whether to parse the DOT with Graphviz: always for unusual characters in the input, else a sample."""
        text = " ".join(self.case.argv) + (self.case.stdin or b"").decode("latin-1")
        text += "".join((d or b"").decode("latin-1") for _, d in self.case.files)
        if re.search(r"[^A-Za-z0-9 +\-*/().,=;\n_\[\]^:]", text):
            return True
        return random.Random(self.case.index).random() < self.limits.dot_sample

    def binary(self, data: bytes, where: str) -> None:
        """PNG and PDF must end as their format ends (not truncated)."""
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            if not data.rstrip(b"\n").endswith(b"IEND\xaeB`\x82"):
                self.fail("PNG output is truncated", f"{where}: ends {data[-20:]!r}")
        elif data.startswith(b"%PDF"):
            if b"%%EOF" not in data[-1024:]:
                self.fail("PDF output is truncated", f"{where}: ends {data[-20:]!r}")


VALUE_OPTIONS = {
    "--at", "-f", "--file", "--of", "--order", "--hvp", "--mode", "--max-rows", "--wrt", "--h", "--expect", "-o",
    "--output", "--format", "--rankdir", "--highlight", "--html", "--frames", "--max-nodes", "--over", "--points",
    "--descend-from", "--lr", "--steps", "--optimizer", "--at-file",
}  # fmt: skip


def parsed_options(argv: list[str]) -> list[tuple[str, str | None]]:
    """The options of a command line as the option parser sees them: (name, value or None for a flag);
    a value is never an option (``--at --json`` gives --at the value --json); nothing after ``--``."""
    found: list[tuple[str, str | None]] = []
    k = 0
    while k < len(argv) and argv[k] != "--":
        arg = argv[k]
        name, equals, value = arg.partition("=")
        if arg.startswith("--") and equals and name in VALUE_OPTIONS:
            found.append((name, value))
        elif arg in VALUE_OPTIONS:
            found.append((arg, argv[k + 1] if k + 1 < len(argv) else None))
            k += 1
        elif arg.startswith("-") and len(arg) > 1:
            found.append((arg, None))
        k += 1
    return found


def sampled(paths: list[str]) -> list[str]:
    """At most FILES_CHECKED paths of each folder: the first, the last and some spread between."""
    folders: dict[str, list[str]] = {}
    for path in paths:
        folders.setdefault(os.path.dirname(path), []).append(path)
    chosen = []
    for group in folders.values():
        step = max(1, (len(group) - 1) / (FILES_CHECKED - 1))
        chosen += sorted({group[min(len(group) - 1, round(k * step))] for k in range(FILES_CHECKED)})
    return chosen


def output_paths(argv: list[str]) -> list[str]:
    """The files a command line asks to write: the values of -o, --output, --html, --frames (not stdout)."""
    outputs = ("-o", "--output", "--html", "--frames")
    return [v for n, v in parsed_options(argv) if n in outputs and v is not None and v not in ("-", "/dev/stdout")]


def html_problems(text: str) -> list[tuple[str, str]]:
    """Cheap structural checks of the step-through page: script blocks closed, JSON strict,
    the script matching its CSP hash, the inline SVG well-formed, no placeholder left."""
    problems = []
    opens = len(re.findall(r"<script\b", text, re.I))
    closes = len(re.findall(r"</script", text, re.I))
    blocks = re.findall(r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I)
    if not blocks or opens != closes or opens != len(blocks):
        problems.append(("HTML: script blocks broken", f"{opens} <script, {closes} </script, {len(blocks)} blocks"))
    hashes = re.findall(r"'sha256-([A-Za-z0-9+/=]+)'", text)
    for attributes, body in blocks:
        if "json" in attributes.lower():
            try:
                strict_json(body)
            except ValueError as error:
                problems.append(("HTML: embedded JSON is not strict JSON", f"{error}: {body[:120]!r}"))
        elif hashes:
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
            if digest not in hashes:
                problems.append(("HTML: inline script does not match its CSP hash", f"{len(body)} characters"))
    start, end = text.find("<svg"), text.rfind("</svg>")
    if start >= 0 and end > start:
        try:
            ET.fromstring(text[start : end + 6])
        except ET.ParseError as error:
            problems.append(("HTML: inline SVG is not well-formed XML", str(error)))
    left = re.findall(r"@@[A-Z]+@@", text)
    if left:
        problems.append(("HTML: placeholder left in the page", ", ".join(sorted(set(left)))))
    return problems


def dot_parser() -> list[str]:
    """Graphviz's parser without a layout: ``nop`` (parse and pretty-print); else ``dot -Tcanon``, which also
    lays the graph out (seconds for a few hundred nodes)."""
    return ["nop"] if shutil.which("nop") else ["dot", "-Tcanon"]


def dot_problem(data: bytes) -> str:
    """Why Graphviz's parser rejects the DOT text (empty: it reads it without a complaint)."""
    try:
        run = subprocess.run(dot_parser(), input=data, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return "" if isinstance(error, subprocess.TimeoutExpired) else f"could not run dot: {error}"
    message = run.stderr.decode("utf-8", "replace").strip()
    if run.returncode != 0:
        return f"exit {run.returncode}: {message[:300]}"
    if message:
        return f"warnings: {message[:300]}"
    return ""


def check(case: Case, outcome: Outcome, before: dict, after: dict, directory: str, limits: Limits) -> list:
    """The violated clauses of the contract, as (class, detail) pairs."""
    return Checker(case, outcome, before, after, directory, limits).run()


def summarise(case: Case, outcome: Outcome, failures: list[tuple[str, str]]) -> Result:
    """The checked run as the parent keeps it (heads of the streams only)."""
    return Result(
        index=case.index,
        command=case.command,
        failures=failures,
        code=outcome.code,
        elapsed=round(outcome.elapsed, 3),
        peak_mb=round(outcome.peak_mb, 1),
        child_peak_mb=round(outcome.child_peak_mb, 1),
        stdout_head=outcome.stdout[:400].decode("utf-8", "backslashreplace"),
        stderr_head=outcome.stderr[:1500].decode("utf-8", "backslashreplace"),
        tb=outcome.tb,
        worker_rss_mb=round(_status_mb("VmRSS"), 1),
    )


def run_case(
    case: Case,
    workdir: str,
    limits: Limits | None = None,
    started: Callable[[], None] | None = None,
    ran: Callable[[float], None] | None = None,
) -> Result:
    """Make the case's files in a fresh folder under ``workdir``, run it in this process, check it, clean up.

    This is the runner the pool's workers use (``started`` and ``ran`` tell the parent's clock when the
    run starts and ends; the checks after it are not timed as the run) and the unit test calls directly."""
    limits = limits or Limits()
    capture = tempfile.mkdtemp(prefix="capture-", dir=workdir)
    directory = tempfile.mkdtemp(prefix=f"case{case.index}-", dir=workdir)
    try:
        make_files(case, directory)
        before = snapshot(directory)
        if started:
            started()
        outcome = execute(case, directory, capture)
        if ran:
            ran(outcome.elapsed)
        failures = check(case, outcome, before, snapshot(directory), directory, limits)
        return summarise(case, outcome, failures)
    finally:
        _remove(directory)
        _remove(capture)


def _remove(path: str) -> None:
    """Remove a folder we made, also when a run left it unreadable."""
    for root, folders, _ in os.walk(path):
        for name in folders:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o700)
    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------- the pool


def fresh_import() -> None:
    """Import gradcli afresh (the code changes while a long run goes on) and every submodule, so that
    no command imports half-edited code lazily in the middle of a case."""
    import importlib
    import pkgutil

    for name in [m for m in sys.modules if m == "gradcli" or m.startswith("gradcli.")]:
        del sys.modules[name]
    _FUNCTIONS.clear()
    package = importlib.import_module("gradcli")
    for info in pkgutil.walk_packages(package.__path__, "gradcli."):
        if info.name != "gradcli.__main__":
            importlib.import_module(info.name)
    from gradcli.syntax.parser import parse

    parse("x*y")


def worker_main(conn, workdir: str, limits: Limits) -> None:
    """A worker: its own process group (so the parent can stop it with its children), the memory
    limit, a fresh gradcli; then cases from the pipe until None."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if limits.memory:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory, hard))
        fresh_import()
    except BaseException:  # noqa: BLE001 - reported to the parent, which retries
        conn.send(("init-error", traceback.format_exc()[-2000:]))
        return
    conn.send(("ready", None))
    while (case := conn.recv()) is not None:
        conn.send(("result", worker_case(conn, case, workdir, limits)))


def worker_case(conn, case: Case, workdir: str, limits: Limits) -> Result:
    """Run and check one case in the worker, telling the parent when the run starts and ends."""
    try:
        started = lambda: conn.send(("start", None))  # noqa: E731
        ran = lambda elapsed: conn.send(("ran", elapsed))  # noqa: E731
        return run_case(case, workdir, limits, started=started, ran=ran)
    except BaseException as error:  # noqa: BLE001 - the harness itself failed (MemoryError while checking, ...)
        name = type(error).__name__
        cls = f"memory: {name} in the fuzzer's checks" if name == "MemoryError" else f"fuzzer error: {name}"
        failure = [(cls, traceback.format_exc()[-1500:])]
        return Result(case.index, case.command, failure, None, 0, 0, 0, "", "", "")


class Slot:
    """One worker process, the case it runs, and when it must be done."""

    def __init__(self, pool: Pool, number: int) -> None:
        self.pool = pool
        self.number = number
        self.workdir = os.path.join(pool.base, f"w{number}")
        self.case: Case | None = None
        self.deadline = math.inf
        self.started = 0.0
        self.ran: float | None = None  # the run's time once it has ended (the checks are running)
        self.served = 0
        self.spawn()

    def spawn(self) -> None:
        """Start a fresh worker process."""
        os.makedirs(self.workdir, exist_ok=True)
        self.conn, child = self.pool.ctx.Pipe()
        self.proc = self.pool.ctx.Process(target=worker_main, args=(child, self.workdir, self.pool.limits), daemon=True)
        self.proc.start()
        child.close()
        self.served = 0

    def assign(self, case: Case) -> None:
        """Send a case to the worker."""
        self.case = case
        self.deadline = time.monotonic() + 300  # importing; the case's own clock starts with "start"
        self.conn.send(case)

    def stop(self) -> None:
        """Stop the worker and every process it started (its process group)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.join(5)
        self.conn.close()
        for name in os.listdir(self.workdir):
            _remove(os.path.join(self.workdir, name))

    def partial_stderr(self) -> bytes:
        """What the stopped run had written to stderr."""
        captures = sorted(Path(self.workdir).glob("capture-*/stderr"))
        return _read(str(captures[-1]), 4000) if captures else b""

    def receive(self) -> Result | None:
        """Read what the worker sent; the result when the case is done (also when the worker died)."""
        while True:
            try:
                if not self.conn.poll():
                    break
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                return self.died()
            if kind == "start":
                self.started, self.ran = time.monotonic(), None
                self.deadline = self.started + (self.pool.limits.seconds or math.inf) + self.pool.grace
            elif kind == "ran":
                self.ran = payload
                self.deadline = time.monotonic() + CHECK_SECONDS
            elif kind == "result":
                return payload
            elif kind == "init-error":
                self.pool.init_errors.append(payload)
                return self.restart_with_same_case()
        if not self.proc.is_alive():
            return self.died()
        return None

    def died(self) -> Result | None:
        """The worker died during a case (a memory class): a result for the case, and a fresh worker."""
        if self.case is None:
            return None
        self.proc.join(5)
        code = self.proc.exitcode
        how = f"died ({signal.Signals(-code).name})" if code is not None and code < 0 else f"exited ({code})"
        stderr = self.partial_stderr()
        self.stop()
        self.spawn()
        return self.synthetic(Outcome(stderr=stderr, killed=how, elapsed=time.monotonic() - self.started))

    def restart_with_same_case(self) -> None:
        """The worker could not import gradcli (code being edited): start another, same case."""
        case = self.case
        self.stop()
        time.sleep(1)
        self.spawn()
        if case is not None:
            self.assign(case)
        return None

    def timed_out(self) -> Result:
        """The run (or, after it, the fuzzer's checks of its output) went past its deadline: stop the worker."""
        stderr = self.partial_stderr()
        if self.ran is not None:
            killed, elapsed = "checks", self.ran
        else:
            killed, elapsed = "time", time.monotonic() - self.started
        self.stop()
        self.spawn()
        return self.synthetic(Outcome(stderr=stderr, killed=killed, elapsed=elapsed))

    def synthetic(self, outcome: Outcome) -> Result:
        """The result for a run that did not finish in the worker."""
        case = self.case
        failures = check(case, outcome, {}, {}, "", self.pool.limits)
        return summarise(case, outcome, failures)


class Pool:
    """Worker processes forked from this one; each case runs in a worker, the parent keeps the clock."""

    def __init__(self, workers: int, limits: Limits, recycle: int = 1000, grace: float = 3.0) -> None:
        self.ctx = multiprocessing.get_context("fork")
        self.limits = limits
        self.recycle = recycle
        self.grace = grace
        self.base = tempfile.mkdtemp(prefix="gradcli-fuzz-")
        self.init_errors: list[str] = []
        self.slots = [Slot(self, k) for k in range(max(1, workers))]

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker and remove the temporary folders."""
        for slot in self.slots:
            slot.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def run(self, cases: Iterable[Case]) -> Iterator[tuple[Case, Result]]:
        """Run every case; yield (case, result) as they finish."""
        pending = iter(cases)
        exhausted = False
        while True:
            for slot in self.slots:
                if slot.case is None and not exhausted:
                    case = next(pending, None)
                    if case is None:
                        exhausted = True
                    else:
                        slot.assign(case)
            busy = [s for s in self.slots if s.case is not None]
            if not busy:
                return
            timeout = max(0.0, min(s.deadline for s in busy) - time.monotonic())
            connection.wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], min(timeout, 1.0))
            for slot in busy:
                yield from self._collect(slot)

    def _collect(self, slot: Slot) -> Iterator[tuple[Case, Result]]:
        case = slot.case
        result = slot.receive()
        if result is None and slot.case is not None and time.monotonic() > slot.deadline:
            result = slot.timed_out()
        if result is None:
            return
        slot.case = None
        slot.served += 1
        if slot.served >= self.recycle or result.worker_rss_mb > 600:
            slot.stop()
            slot.spawn()
        yield case, result


# ----------------------------------------------------------------------------- shrinking

SLOW_CLASSES = ("time:", "memory:")  # each try takes the whole limit: not shrunk


def _variant(case: Case, serial: Iterator[int], **changes) -> Case:
    """A copy of ``case`` with some fields changed and a fresh (negative) index."""
    origin = case.index if case.origin is None else case.origin
    fields = {**asdict(case), **changes, "index": -next(serial), "origin": origin}
    fields["files"] = [tuple(f) for f in fields["files"]]
    return Case(**fields)


def _smaller_texts(text: str) -> Iterator[str]:
    """Shorter versions of ``text``: without a line, then without chunks from half its length down to one."""
    lines = text.split("\n")
    if len(lines) > 1:
        for k in range(len(lines)):
            yield "\n".join(lines[:k] + lines[k + 1 :])
    size = len(text) // 2
    while size >= 1:
        for start in range(0, len(text), size):
            yield text[:start] + text[start + size :]
        size //= 2


def _program_slot(case: Case) -> tuple[str, int]:
    """Where the longest text of the case is: ("argv", i), ("file", j) or ("stdin", 0)."""
    slots = [(len(a), ("argv", i)) for i, a in enumerate(case.argv) if i > 0 or case.command == "misc"]
    slots += [(len(d), ("file", j)) for j, (_, d) in enumerate(case.files) if d]
    slots += [(len(case.stdin), ("stdin", 0))] if case.stdin else []
    return max(slots)[1] if slots else ("argv", 0)


def candidates(case: Case, serial: Iterator[int]) -> Iterator[Case]:
    """Smaller cases, biggest cuts first: without an argument (or an option and its value), a shorter program."""
    argv = case.argv
    first = 0 if case.command == "misc" else 1
    for width in (2, 1):
        for k in range(first, len(argv) - width + 1):
            yield _variant(case, serial, argv=argv[:k] + argv[k + width :])
    kind, k = _program_slot(case)
    if kind == "argv" and argv:
        for text in _smaller_texts(argv[k]):
            yield _variant(case, serial, argv=[*argv[:k], text, *argv[k + 1 :]], note="")
    elif kind == "file":
        path, data = case.files[k]
        for text in _smaller_texts(data.decode("latin-1")):
            files = [*case.files[:k], (path, text.encode("latin-1")), *case.files[k + 1 :]]
            yield _variant(case, serial, files=files, note="")
    elif kind == "stdin":
        for text in _smaller_texts(case.stdin.decode("latin-1")):
            yield _variant(case, serial, stdin=text.encode("latin-1"), note="")
    if case.columns != 80:
        yield _variant(case, serial, columns=80)


def shrink(pool: Pool, case: Case, cls: str, budget: int) -> tuple[Case, Result] | None:
    """A smaller case that still fails with ``cls`` (greedy, in batches over the pool), or None."""
    serial = itertools.count(1)
    best: tuple[Case, Result] | None = None
    current, tries = case, 0
    while tries < budget:
        progressed = False
        pending = candidates(current, serial)
        while tries < budget and not progressed:
            batch = list(itertools.islice(pending, 2 * len(pool.slots)))
            if not batch:
                break
            tries += len(batch)
            found = {c.index: (c, r) for c, r in pool.run(batch) if any(f[0] == cls for f in r.failures)}
            for candidate in batch:
                if candidate.index in found:
                    best = found[candidate.index]
                    current, progressed = candidate, True
                    break
        if not progressed:
            break
    return best


def shrink_all(summary: Summary, args: argparse.Namespace, limits: Limits) -> None:
    """Shrink the shortest reproducer of every selected class that is not a time or memory class."""
    names = [n for n in summary.selected(args.only) if not n.startswith(SLOW_CLASSES)]
    if not names or args.shrink <= 0:
        return
    checks = Limits(limits.seconds, limits.memory, dot_sample=1.0)
    with Pool(args.workers, checks, recycle=args.recycle) as pool:
        for name in names:
            case = summary.reproducers(name)[0][0]
            found = shrink(pool, case, name, args.shrink)
            if found and found[0].size() < case.size():
                detail = next(d for c, d in found[1].failures if c == name)
                summary.classes[name].shrunk = (found[0], found[1], detail)


# ----------------------------------------------------------------------------- the summary


@dataclass
class ClassStats:
    """One failure class: how many cases, and the shortest reproducers seen."""

    count: int = 0
    shortest: list = field(default_factory=list)  # heap of (-size, index, case, result, detail)
    shrunk: tuple | None = None  # (case, result, detail): the shortest reproducer made smaller


def _exit_label(result: Result) -> str:
    if result.code is not None:
        return f"exit {result.code}"
    return "uncaught" if result.tb else "killed"


class Summary:
    """Counts per command and per failure class, with the K shortest reproducers of each class."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.cases = 0
        self.commands: Counter[str] = Counter()
        self.exits: dict[str, Counter[str]] = defaultdict(Counter)
        self.classes: dict[str, ClassStats] = {}
        self.failing = 0
        self.elapsed: list[float] = []

    def add(self, case: Case, result: Result) -> None:
        """Count one checked case and keep it if it is among the shortest reproducers of its classes."""
        self.cases += 1
        self.commands[case.command] += 1
        self.exits[case.command][_exit_label(result)] += 1
        self.elapsed.append(result.elapsed)
        if result.failures:
            self.failing += 1
        for cls in dict.fromkeys(c for c, _ in result.failures):
            detail = next(d for c, d in result.failures if c == cls)
            stats = self.classes.setdefault(cls, ClassStats())
            stats.count += 1
            entry = (-case.size(), -case.index, case, result, detail)
            if len(stats.shortest) < self.keep:
                heapq.heappush(stats.shortest, entry)
            elif entry[:2] > stats.shortest[0][:2]:
                heapq.heapreplace(stats.shortest, entry)

    def reproducers(self, cls: str, shrunk: bool = False) -> list[tuple[Case, Result, str]]:
        """The shortest reproducers seen, shortest first; with ``shrunk``, the shrunk one first."""
        stats = self.classes[cls]
        seen = [(c, r, d) for _, _, c, r, d in sorted(stats.shortest, key=lambda e: (-e[0], -e[1]))]
        return [stats.shrunk, *seen] if shrunk and stats.shrunk else seen

    def selected(self, only: list[str]) -> list[str]:
        """The class names, most frequent first, filtered by ``--only``."""
        names = sorted(self.classes, key=lambda c: (-self.classes[c].count, c))
        if only:
            names = [n for n in names if any(o.lower() in n.lower() for o in only)]
        return names


def observed(case: Case, result: Result, detail: str) -> list[str]:
    """What the report says a reproducer did: exit code, time, memory, stderr or traceback, detail."""
    memory = f"{result.peak_mb:.0f} MB peak RSS" + (
        f", child {result.child_peak_mb:.0f} MB" if result.child_peak_mb else ""
    )
    ended = f"exit {result.code}" if result.code is not None else "uncaught exception (a real run: traceback, exit 1)"
    if result.code is None and not result.tb:
        ended = "no exit: the run was stopped"
    lines = [f"{ended}, {result.elapsed:.2f} s, {memory}"]
    if result.tb:
        lines += ["traceback (gradcli frames, innermost last):", *[f"  {x}" for x in result.tb.splitlines()]]
    elif result.stderr_head:
        stderr = result.stderr_head.rstrip().splitlines()
        lines += ["stderr:", *[f"  {x[:200]}" for x in stderr[:6]]]
    if result.stdout_head and not result.tb:
        lines.append(f"stdout starts: {result.stdout_head[:160]!r}")
    if detail:
        lines.append(f"detail: {detail[:600]}")
    return lines


def print_summary(summary: Summary, wall: float, args: argparse.Namespace, out=sys.stdout) -> None:
    """The table: cases, cases per command, each failure class with its count and shortest reproducers."""
    rate = summary.cases / wall if wall else 0.0
    print(f"gradcli fuzz: {summary.cases} cases, seed {args.seed}, {args.workers} workers", file=out)
    print(f"wall time {wall:.1f} s, {rate:.1f} cases/s; {summary.failing} cases failed a clause", file=out)
    times = sorted(summary.elapsed)
    if times:
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
        print(f"time per case: median {p(0.5) * 1000:.0f} ms, p99 {p(0.99):.2f} s, max {times[-1]:.2f} s", file=out)
    print("\ncases per command (and how they ended)", file=out)
    for command, count in sorted(summary.commands.items(), key=lambda kv: -kv[1]):
        ends = ", ".join(f"{label} {n}" for label, n in sorted(summary.exits[command].items()))
        print(f"  {command:<10} {count:>8}   {ends}", file=out)
    names = summary.selected(args.only)
    print(f"\nfailure classes: {len(names)}", file=out)
    for name in names:
        print(f"  {summary.classes[name].count:>7}  {name}", file=out)
    for name in names:
        print(f"\n== [{summary.classes[name].count}] {name}", file=out)
        for case, result, detail in summary.reproducers(name, shrunk=True)[: args.show]:
            shell = case.shell()
            shown = shell if len(shell) <= 1500 else shell[:700] + f" ...[{len(shell) - 1400} more]... " + shell[-700:]
            label = f"shrunk from case {case.origin}" if case.origin is not None else f"case {case.index}"
            print(f"  {label} ({case.command}):  {shown}", file=out)
            if case.note:
                print(f"    program: {case.note}", file=out)
            for line in observed(case, result, detail):
                print(f"    {line}", file=out)


def summary_json(summary: Summary, wall: float, args: argparse.Namespace) -> dict:
    """The summary as strict-JSON-ready data."""
    classes = []
    for name in summary.selected(args.only):
        reproducers = [
            {
                "case": case.index,
                "command": case.command,
                "shell": case.shell(),
                "argv": case.argv,
                "stdin": None if case.stdin is None else case.stdin.decode("utf-8", "backslashreplace"),
                "note": case.note,
                **{k: v for k, v in asdict(result).items() if k not in ("failures", "index", "command")},
                "detail": detail,
            }
            for case, result, detail in summary.reproducers(name, shrunk=True)[: args.show]
        ]
        classes.append({"class": name, "count": summary.classes[name].count, "reproducers": reproducers})
    return {
        "cases": summary.cases,
        "seed": args.seed,
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "cases_per_second": round(summary.cases / wall, 2) if wall else None,
        "failing_cases": summary.failing,
        "per_command": dict(summary.commands),
        "exits_per_command": {k: dict(v) for k, v in summary.exits.items()},
        "classes": classes,
    }


# ----------------------------------------------------------------------------- the command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The fuzzer's options."""
    parser = argparse.ArgumentParser(description="Grammar-based fuzzer for the gradcli command line.")
    parser.add_argument("--cases", type=int, default=2000, help="how many cases to generate and run")
    parser.add_argument("--seed", type=int, default=1, help="the run's seed; case N of a seed is always the same")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per case (0: none)")
    parser.add_argument("--memory-limit", type=float, default=1024.0, help="MiB of address space per case (0: none)")
    parser.add_argument("--only", action="append", default=[], help="report only classes containing this text")
    parser.add_argument(
        "--command", action="append", default=[], help="generate only this command (or eval-over, misc)"
    )
    parser.add_argument("--show", type=int, default=3, help="reproducers shown per class")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--case", type=int, action="append", default=[], help="run only case N of the seed")
    parser.add_argument("--dot-sample", type=float, default=1.0, help="fraction of DOT outputs Graphviz parses")
    parser.add_argument("--log", help="append every failing case to this JSON-lines file")
    parser.add_argument("--recycle", type=int, default=1000, help="cases per worker before a fresh one")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--shrink", type=int, default=200, help="runs spent shrinking each class's reproducer")
    return parser.parse_args(argv)


def log_failure(path: str, case: Case, result: Result) -> None:
    """Append a failing case and its result to the JSON-lines log."""
    with open(path, "a", encoding="utf-8") as file:
        record = {"case": case.index, "shell": case.shell(), "argv": case.argv, "note": case.note, **asdict(result)}
        file.write(json.dumps(record, ensure_ascii=True) + "\n")


def progress(summary: Summary, total: int, started: float) -> None:
    """One progress line on stderr: cases done, rate, failures so far."""
    wall = time.monotonic() - started
    rate = summary.cases / wall if wall else 0
    print(
        f"[fuzz] {summary.cases}/{total} cases, {wall:.0f} s, {rate:.1f}/s, {summary.failing} failing, "
        f"{len(summary.classes)} classes",
        file=sys.stderr,
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Generate and run the cases, print the summary; 1 when any (selected) failure class is non-empty."""
    args = parse_args(argv)
    limits = Limits(args.time_limit, int(args.memory_limit * 2**20), args.dot_sample)
    indices: Iterable[int] = args.case or range(args.cases)
    total = len(args.case) or args.cases
    cases = (case_for(args.seed, k, args.command) for k in indices)
    summary = Summary(keep=max(args.show, 1))
    started = last = time.monotonic()
    with Pool(args.workers, limits, recycle=args.recycle) as pool:
        for case, result in pool.run(cases):
            summary.add(case, result)
            if args.log and result.failures:
                log_failure(args.log, case, result)
            if args.case and not args.json:
                print_case(case, result)
            if not args.quiet and time.monotonic() - last > 15:
                last = time.monotonic()
                progress(summary, total, started)
        if pool.init_errors and not args.quiet:
            failed = len(pool.init_errors)
            print(f"[fuzz] {failed} worker start-ups failed (code being edited?); last:", file=sys.stderr)
            print(pool.init_errors[-1], file=sys.stderr)
    wall = time.monotonic() - started
    if not args.case:
        shrink_all(summary, args, limits)
    if args.json:
        print(json.dumps(summary_json(summary, wall, args), ensure_ascii=True, indent=1))
    else:
        print_summary(summary, wall, args)
    return 1 if summary.selected(args.only) else 0


def describe(case: Case, result: Result) -> str:
    """One case and its run in full: the reproducer, argv, what happened, every violated clause."""
    lines = [f"case {case.index} ({case.command}): {case.shell()}", f"  argv: {case.argv!r}"]
    lines += [f"  {line}" for line in observed(case, result, "")]
    lines += [f"  FAIL {cls}: {detail[:800]}" for cls, detail in result.failures]
    return "\n".join(lines)


def print_case(case: Case, result: Result) -> None:
    """One case in full, for ``--case N``."""
    print(describe(case, result))


if __name__ == "__main__":
    sys.exit(main())
