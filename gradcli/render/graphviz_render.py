"""Running the real Graphviz ``dot`` program on DOT text, within a time and a memory limit.

A small program can hold a graph that ``dot`` needs minutes and gigabytes to lay out, so
``dot`` runs as a child process with a wall-clock limit (``GRADCLI_DOT_SECONDS``, default
:data:`DEFAULT_SECONDS`, and never past the command's own time limit, less a reserve for
what follows) and an address-space limit (``GRADCLI_DOT_MEGABYTES``, default
:data:`DEFAULT_MEGABYTES`); past either, the drawing is refused with a message that
names the limit and how to raise it. The last drawing is kept, so ``-o g.svg --html
page.html --frames slides`` runs ``dot`` once.
"""

from __future__ import annotations

import errno
import hashlib
import math
import re
import shutil
import signal
import subprocess
from typing import NamedTuple

from gradcli.core import limits as run_limits  # the whole command's time limit, which dot's sits inside
from gradcli.core.errors import GradcliError, argument
from gradcli.core.graph import NOTEBOOK_DRAWERS
from gradcli.core.settings import number_setting

FORMATS = ("svg", "png", "pdf", "dot")

SECONDS_VARIABLE = "GRADCLI_DOT_SECONDS"
MEGABYTES_VARIABLE = "GRADCLI_DOT_MEGABYTES"
# A whole `gradcli graph` run on a 10 kB program stays under 10 s and 1 GB: dot gets most of it.
DEFAULT_SECONDS = 8.0
DEFAULT_MEGABYTES = 768
RUN_RESERVE = 1.0  # seconds of the command's time limit kept for what follows dot (frames, the page, writing)

INSTALL_HINT = (
    "Graphviz's 'dot' program is not installed, so {fmt} cannot be drawn: install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda: conda install graphviz), "
    f"or write DOT instead ({argument('output')} FILE.dot or {argument('fmt')} dot; "
    f"{argument('html')} and {argument('frames')} need dot)"
)

# What dot (or the loader, or GLib) says when its address space runs out; how it dies when an
# allocation fails without a word (and how the kernel's out-of-memory killer ends it).
_OUT_OF_MEMORY = re.compile(
    r"out of memory|cannot allocate|bad_alloc|failed to map segment|resource temporarily unavailable", re.I
)
_CRASHES = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGTRAP, signal.SIGKILL}


class GraphvizMissing(GradcliError):
    """The ``dot`` executable is not on PATH."""


class GraphvizFailed(GradcliError):
    """``dot`` ran and failed."""


class GraphvizLimit(GraphvizFailed):
    """``dot`` ran past its time or memory limit."""


class DotLimits(NamedTuple):
    """What one run of ``dot`` may use."""

    seconds: float
    megabytes: int


def dot_limits() -> DotLimits:
    """The limits from ``GRADCLI_DOT_SECONDS`` and ``GRADCLI_DOT_MEGABYTES``, or the defaults;
    the time never past what is left of the command's own limit (less :data:`RUN_RESERVE`)."""
    seconds = number_setting(SECONDS_VARIABLE, DEFAULT_SECONDS, "a number of seconds, e.g. 60")
    megabytes = number_setting(MEGABYTES_VARIABLE, DEFAULT_MEGABYTES, "a number of megabytes, e.g. 4096")
    return DotLimits(min(seconds, max(run_limits.seconds_left() - RUN_RESERVE, 0.1)), int(megabytes))


_made: dict[tuple[bytes, str], bytes] = {}  # the last drawing, by (DOT digest, format)


def render(dot_text: str, fmt: str) -> bytes:
    """The drawing of ``dot_text`` in ``fmt`` (svg, png, pdf), or the DOT itself for ``dot``."""
    data = dot_text.encode("utf-8", "backslashreplace")
    if fmt == "dot":
        return data
    key = (hashlib.sha256(data).digest(), fmt)
    if key not in _made:
        drawing = _run_dot(data, fmt)
        _made.clear()
        _made[key] = drawing
    return _made[key]


class _Job(NamedTuple):
    """One run of dot: its input, the format it writes, its limits."""

    data: bytes
    fmt: str
    limits: DotLimits


def _run_dot(data: bytes, fmt: str) -> bytes:
    """``data`` laid out and written in ``fmt``, by dot within its limits."""
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizMissing(INSTALL_HINT.format(fmt=fmt.upper()))
    job = _Job(data, fmt, dot_limits())
    try:
        done = subprocess.run(
            [executable, f"-T{fmt}"],
            input=data,
            capture_output=True,
            timeout=job.limits.seconds,
            preexec_fn=lambda: _limit_child(job.limits),  # safe: gradcli starts no threads
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _too_slow(job) from None
    except OSError as error:
        if error.errno == errno.ENOMEM:
            raise _too_big(job, "could not even start within") from None
        raise GraphvizMissing(f"{INSTALL_HINT.format(fmt=fmt.upper())} ({error.strerror})") from None
    if done.returncode != 0:
        raise _failure(done, job)
    return done.stdout


def _limit_child(limits: DotLimits) -> None:
    """In the child, before ``dot`` starts: cap its CPU time (in case we die first), then its address space.

    The address space comes last: past it, even this function could not allocate.
    """
    import resource

    cpu_seconds = math.ceil(limits.seconds) + 1
    address_space = limits.megabytes * 2**20
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    except (ValueError, OSError):  # a hard limit lower than that: it stays
        pass
    try:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    except (ValueError, OSError):  # a platform without it (macOS), or a lower hard limit
        pass


def _failure(done: subprocess.CompletedProcess, job: _Job) -> GraphvizFailed:
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode == -signal.SIGXCPU:
        return _too_slow(job)
    if _OUT_OF_MEMORY.search(stderr):
        return _too_big(job, "needed more than")
    if -done.returncode in _CRASHES:
        return _too_big(job, f"stopped ({_signal_name(-done.returncode)}), perhaps for want of more than")
    if done.returncode < 0:
        return GraphvizFailed(f"Graphviz could not draw the graph: it stopped ({_signal_name(-done.returncode)})")
    detail = [line for line in stderr.strip().splitlines() if line.strip()]
    return GraphvizFailed(f"Graphviz could not draw the graph: {detail[-1] if detail else f'exit {done.returncode}'}")


def _too_slow(job: _Job) -> GraphvizLimit:
    more = max(60, math.ceil(job.limits.seconds * 4))
    return GraphvizLimit(
        f"Graphviz took longer than {job.limits.seconds:.3g} s to draw the graph ({_size(job.data)}); "
        f"{_workaround(job)}, or allow more time with {SECONDS_VARIABLE}={more} {run_limits.TIME_VARIABLE}={more + 30}"
    )


def _too_big(job: _Job, how: str) -> GraphvizLimit:
    bitmap = f" as {job.fmt.upper()}" if job.fmt != "svg" else ""
    return GraphvizLimit(
        f"Graphviz {how} {job.limits.megabytes:,} MB of memory to draw the graph{bitmap} ({_size(job.data)}); "
        f"{_workaround(job)}, or allow more memory with {MEGABYTES_VARIABLE}={max(4096, job.limits.megabytes * 4)}"
    )


def _workaround(job: _Job) -> str:
    if job.fmt != "svg":
        svg, dot = f"{argument('output')} FILE.svg", f"{argument('fmt')} dot"
        return f"draw a smaller program, write SVG ({svg}, far lighter) or DOT ({dot})"
    return f"draw a smaller program, or write DOT with {argument('fmt')} dot (or {argument('output')} FILE.dot)"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _size(data: bytes) -> str:
    """``1,234 nodes, 2,345 edges``, counted in gradcli's DOT (a node or an edge per line)."""
    nodes = len(re.findall(rb"^  (?:node|proxy)\w* \[", data, re.M))
    edges = len(re.findall(rb"^  \w+ -> node\d+ \[", data, re.M))
    return f"{nodes:,} nodes, {edges:,} edges"


def svg_text(dot_text: str) -> str:
    return render(dot_text, "svg").decode("utf-8")


def notebook_svg(subject) -> str | None:
    """SVG for Jupyter's ``_repr_svg_``; None (so the text repr shows) without Graphviz or past its limits."""
    from gradcli.render.dot import to_dot

    try:
        return svg_text(to_dot(subject))
    except (GraphvizMissing, GraphvizLimit):
        return None


NOTEBOOK_DRAWERS.append(notebook_svg)
