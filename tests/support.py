"""Shared by the tests: where things are, running the command line, what a clean refusal and strict JSON
look like, one numeric closeness, mpmath precision, and the random expression trees with their bookkeeping."""

from __future__ import annotations

import builtins
import importlib.util
import inspect
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st
from mpmath import mp

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_3 = EXAMPLES / "03_backward_trace.grad"

# The installed console script next to this Python, or the module when it is not there.
_SCRIPT = Path(sys.executable).with_name("gradcli")
GRADCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "gradcli"]

DIGITS = 40  # significant digits for every mpmath oracle

# ---------------------------------------------------------------- the command line


def cli(
    *args: str,
    stdin: str | bytes | None = None,
    env: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    columns: int | None = 120,
    binary: bool = False,
    timeout: float = 60,
    **options: Any,
) -> subprocess.CompletedProcess:
    """``gradcli ARGS`` as a subprocess of the installed console script, in this process's environment
    without the ``unset`` variables, with ``COLUMNS`` set to ``columns`` (left alone when None) and ``env``
    added last. stderr is text (undecodable bytes replaced); stdout is text too, or bytes when ``binary``
    (or None when ``stdout=`` sends it elsewhere). Other keywords (``cwd``, ``stdout``, ``preexec_fn``) go
    to :func:`subprocess.run`."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    dropped = set(unset)
    environment = {name: value for name, value in os.environ.items() if name not in dropped}
    if columns is not None:
        environment["COLUMNS"] = str(columns)
    environment.update(env or {})
    options.setdefault("stdout", subprocess.PIPE)
    done = subprocess.run(
        [*GRADCLI, *args], input=data, stderr=subprocess.PIPE, env=environment, timeout=timeout, check=False, **options
    )
    done.stderr = done.stderr.decode("utf-8", "replace")
    if isinstance(done.stdout, bytes) and not binary:
        done.stdout = done.stdout.decode("utf-8", "replace")
    return done


def assert_clean_error(
    done: subprocess.CompletedProcess, *fragments: str, one_line: bool = False, never: Iterable[str] = ()
) -> str:
    """A refusal as every command gives one: exit 2, nothing on stdout, stderr starting with the only
    ``error:`` line, no traceback and no usage text, every fragment in stderr; with ``one_line`` stderr
    is that line alone, and no ``never`` text appears in it. Returns stderr."""
    where = f"exit {done.returncode}\nstdout={done.stdout!r:.300}\nstderr={done.stderr!r}"
    assert done.returncode == 2, where
    assert not done.stdout, where
    assert done.stderr.startswith("error:"), where
    assert sum(line.startswith("error:") for line in done.stderr.splitlines()) == 1, where
    assert "Traceback" not in done.stderr and "Usage:" not in done.stderr, where
    if one_line:
        assert done.stderr.count("\n") == 1, where
    for text in never:
        assert text not in done.stderr, f"{text!r} shown\n{where}"
    for fragment in fragments:
        assert fragment in done.stderr, f"{fragment!r} missing\n{where}"
    return done.stderr


def strict_json(text: str | bytes) -> Any:
    """JSON as RFC 8259 has it: the bare constants ``NaN``, ``Infinity`` and ``-Infinity`` that Python's
    reader accepts raise ValueError (gradcli writes non-finite numbers as the strings "nan", "inf")."""

    def refuse(constant: str) -> None:
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def json_report(*args: str, stdin: str | None = None, **options: Any) -> Any:
    """``gradcli ARGS --json``, which must succeed quietly (exit 0, empty stderr), read as strict JSON."""
    done = cli(*args, "--json", stdin=stdin, **options)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return strict_json(done.stdout)


# ---------------------------------------------------------------- numbers


def close(
    got, want, *, rel: float, abs: float = 0.0, symmetric: bool = True, equal_nan: bool = False, finite: bool = False
) -> bool:
    """Whether ``got`` is within tolerance of ``want``: equal (so one infinity matches only itself), or
    finite with ``|got - want| <= max(abs, rel * |want|, rel * |got|)``, where ``|got|`` counts only when
    ``symmetric`` (else the oracle ``want`` alone sets the scale). NaN is close to nothing, or with
    ``equal_nan`` to NaN alone; with ``finite`` an infinity is close to nothing, not even itself. Floats and
    mpmath numbers alike; the symmetric form with ``abs`` is :func:`math.isclose`."""
    if mp.isnan(got) or mp.isnan(want):
        return equal_nan and mp.isnan(got) and mp.isnan(want)
    if mp.isinf(got) or mp.isinf(want):
        return got == want and not finite
    if got == want:
        return True
    scale = max(builtins.abs(want), builtins.abs(got)) if symmetric else builtins.abs(want)
    return builtins.abs(got - want) <= max(abs, rel * scale)  # the parameter abs hides the builtin


def mpmath_digits(digits: int):
    """A fixture that sets mpmath to ``digits`` significant digits for every test of the module that holds it
    (by import or assignment: it is autouse and module-scoped) and restores the previous precision after."""

    @pytest.fixture(autouse=True, scope="module")
    def precision() -> Iterator[None]:
        saved = mp.dps
        mp.dps = digits
        yield
        mp.dps = saved

    return precision


high_precision = mpmath_digits(DIGITS)  # import it: mpmath at DIGITS digits for the importing module


@contextmanager
def shallow_stack(frames: int = 200) -> Iterator[None]:
    """Allow only ``frames`` more Python frames than the caller has: any traversal that recursed
    once per node of a graph deeper than that raises RecursionError, whatever the machine's speed."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


# ---------------------------------------------------------------- random expression trees


class Tracker:
    """Records the closest kink and the largest magnitude while a tree is evaluated."""

    def __init__(self) -> None:
        self.margin = math.inf
        self.magnitude = 0.0

    def kink(self, distance) -> None:
        self.margin = min(self.margin, float(abs(distance)))

    def value(self, v) -> None:
        self.magnitude = max(self.magnitude, float(abs(v)))


def tree_strategy(arity: dict[str, int], numbers, number_odds: int):
    """Random expression trees: ``("num", text)``, ``("var", name)`` or ``(op, *children)``;
    a leaf is a number one time in ``number_odds``."""

    @st.composite
    def trees(draw, ops, leaves, depth):
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            if draw(st.integers(0, number_odds - 1)) == 0:
                return ("num", draw(st.sampled_from(sorted(numbers))))
            return ("var", draw(st.sampled_from(leaves)))
        op = draw(st.sampled_from(ops))
        return (op, *[draw(trees(ops, leaves, depth - 1)) for _ in range(arity[op])])

    return trees


def tree_text(tree: tuple, text_of: Callable[..., str]) -> str:
    """A :func:`tree_strategy` tree as program text: leaves as written, each op by ``text_of[op](*args)``
    (``text_of`` maps an op to a function of its operands' texts)."""
    if tree[0] in ("var", "num"):
        return tree[1]
    return text_of[tree[0]](*[tree_text(child, text_of) for child in tree[1:]])


def has_variable(tree: tuple) -> bool:
    """Whether a :func:`tree_strategy` tree names any variable (a binding to numbers alone would declare
    an input with a default, not compute a value)."""
    return tree[0] == "var" or (tree[0] != "num" and any(has_variable(child) for child in tree[1:]))


def inputs_in_order(trees: Iterable[tuple], inputs: Iterable[str]) -> list[str]:
    """The ``inputs`` that the trees name, in order of first use (depth first, left to right), as gradcli
    orders a program's inputs; other variable names (bound ones) are skipped."""
    wanted, found = set(inputs), []
    stack = list(reversed(list(trees)))
    while stack:
        tree = stack.pop()
        if tree[0] == "var":
            if tree[1] in wanted and tree[1] not in found:
                found.append(tree[1])
        elif tree[0] != "num":
            stack.extend(reversed(tree[1:]))
    return found


def load_script(path: Path) -> ModuleType:
    """A Python file outside any package (``tools/fuzz.py``, the gallery's maker) imported as a module named
    after the file, registered in :data:`sys.modules` so that its dataclasses can find their module."""
    spec = importlib.util.spec_from_file_location(f"gradcli_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
