"""How much time and memory one run of the command may take: a backstop against blow-ups.

A small input must never make a run that takes minutes or gigabytes (a 700-character
polynomial can keep Graphviz busy for a minute; a thousand inputs make a million-entry
Hessian). The specific checks refuse such work up front and say why; this module is the
net under them. An input under 10 kB gets 10 s and 1 GB; a larger one proportionally
more, so big programs are never cut short for being big. The environment variables
``GRADCLI_TIME_LIMIT`` (seconds) and ``GRADCLI_MEMORY_LIMIT`` (megabytes) set other
limits; 0 turns one off. Only the command line applies these limits, never the library.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

from gradcli.core.errors import GradcliError
from gradcli.core.settings import number_setting

SMALL_INPUT = 10_000  # characters: the input size the base budget is for
BASE_SECONDS = 10.0
BASE_MEGABYTES = 1024.0
MIN_MEGABYTES = 64
TIME_VARIABLE = "GRADCLI_TIME_LIMIT"
MEMORY_VARIABLE = "GRADCLI_MEMORY_LIMIT"


MAX_SECOND_DERIVATIVES = 50_000  # symbolic entries d2f/da db within the base time budget
MAX_ELEMENTS = 2**26  # numbers in one array value (512 MB of float64)
MAX_NODE_STEPS = 15_000_000  # node evaluations within the base time budget (a few million a second)
MAX_NODE_POINTS = 400_000_000  # nodes times points of a vectorised batch (NumPy: 50 to 200 million a second)


class LimitExceeded(GradcliError):
    """The run went past its time or memory budget, or would."""


def budget(input_size: int) -> tuple[float, float]:
    """Seconds and megabytes for an input of ``input_size`` characters (0: no limit)."""
    scale = max(1.0, input_size / SMALL_INPUT)
    seconds = number_setting(TIME_VARIABLE, BASE_SECONDS * scale, "a number of seconds (0: no limit)", True)
    megabytes = number_setting(MEMORY_VARIABLE, BASE_MEGABYTES * scale, "a number of megabytes (0: no limit)", True)
    if 0 < megabytes < MIN_MEGABYTES:  # below this, Python cannot even load the modules a command needs
        raise GradcliError(f"{MEMORY_VARIABLE}={megabytes:g}: give at least {MIN_MEGABYTES} megabytes (0: no limit)")
    return seconds, megabytes


def _which_limit(variable: str, kind: str) -> str:
    """How a message names the limit: the setting the user made, or the default for this input."""
    if os.environ.get(variable, "").strip():
        return f"the {kind} limit {variable}={os.environ[variable].strip()} sets"
    return f"the {kind} limit for an input of this size: the work grows much faster than the input here"


class _Budget:
    """The running budget: when the clock started and for what input size."""

    started = 0.0
    input_size = -1  # -1: no budget is running
    last_size = 0  # the input size the last budget was for (a program read from stdin included)
    memory_ceiling = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)  # the limits the run started with
    baseline = 0  # bytes of address space the process held when the run started (Python, NumPy, ...)


_RUNNING = _Budget()


@contextmanager
def limited(input_size: int) -> Iterator[None]:
    """Run the body within the budget for ``input_size``; restore everything afterwards.

    Going past the time raises :class:`LimitExceeded` in the body; running out of memory
    raises MemoryError, which :func:`memory_message` turns into words.
    """
    saved_handler = signal.getsignal(signal.SIGALRM)
    saved_timer = signal.getitimer(signal.ITIMER_REAL)
    saved_memory = resource.getrlimit(resource.RLIMIT_AS)
    _RUNNING.started, _RUNNING.input_size, _RUNNING.memory_ceiling = time.monotonic(), -1, saved_memory
    _RUNNING.baseline = address_space()
    try:
        signal.signal(signal.SIGALRM, _out_of_time)
        allow_for(input_size)
        yield
    finally:
        _RUNNING.last_size, _RUNNING.input_size = _RUNNING.input_size, -1
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, saved_handler)
        if saved_timer[0]:
            signal.setitimer(signal.ITIMER_REAL, *saved_timer)
        resource.setrlimit(resource.RLIMIT_AS, saved_memory)


def allow_for(input_size: int) -> None:
    """Grow the running budget to what an input of ``input_size`` characters gets (a program
    read from a file or stdin is only measured once read). Outside :func:`limited`, nothing."""
    if input_size <= _RUNNING.input_size or not _within_limits():
        return
    _RUNNING.input_size = input_size
    seconds, megabytes = budget(input_size)
    if megabytes:
        _limit_memory(megabytes)
    if seconds:
        left = seconds - (time.monotonic() - _RUNNING.started)
        signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


def _within_limits() -> bool:
    return signal.getsignal(signal.SIGALRM) is _out_of_time


def seconds_left() -> float:
    """Seconds until the running time limit stops the command (infinite when none runs)."""
    left = signal.getitimer(signal.ITIMER_REAL)[0] if _within_limits() else 0.0
    return left if left > 0 else math.inf


def stop_clock() -> None:
    """The computing is done: writing the output is not timed."""
    signal.setitimer(signal.ITIMER_REAL, 0)


def _limit_memory(megabytes: float) -> None:
    """At most ``megabytes`` of address space beyond what the process held when the run started (the
    interpreter and the libraries loaded before it), and never more than the limit it started with."""
    wanted = _RUNNING.baseline + int(megabytes * 2**20)
    ceiling, hard = _RUNNING.memory_ceiling
    for limit in (ceiling, hard):
        if limit != resource.RLIM_INFINITY:
            wanted = min(wanted, limit)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


@contextmanager
def room_for_libraries() -> Iterator[None]:
    """Load a library (NumPy) outside the memory limit: the address space it maps when it loads is
    added to the limit, as the interpreter's own is (the limit is on what the run computes)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        yield
        return
    before = address_space()
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        grown = max(0, address_space() - before)
        wanted = soft + grown if hard == resource.RLIM_INFINITY else min(soft + grown, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
        _RUNNING.baseline += grown


def address_space() -> int:
    """Bytes of virtual memory this process holds now (0 where the system does not say)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _out_of_time(*_: object) -> None:
    seconds = budget(_RUNNING.input_size)[0]
    raise LimitExceeded(
        f"stopped after {seconds:g} s, {_which_limit(TIME_VARIABLE, 'time')}; "
        f"set {TIME_VARIABLE}=SECONDS to allow more (0: no limit)"
    )


def check_second_derivatives(inputs: int, advice: str, outputs: int = 1) -> None:
    """Refuse, before any work, more symbolic second derivatives than the time budget allows.

    Each output has one per pair of ``inputs``, a number that grows with their square (a
    10 kB sum of products of 700 inputs has 245,000), so it is counted first; the allowance
    grows with the time limit.
    """
    _refuse_beyond(outputs * inputs * (inputs + 1) // 2, MAX_SECOND_DERIVATIVES, "second derivatives", advice)


def check_work(node_steps: int, advice: str) -> None:
    """Refuse, before any work, more node evaluations than the time budget allows."""
    _refuse_beyond(node_steps, MAX_NODE_STEPS, "node evaluations", advice)


def check_points(node_points: int, advice: str) -> None:
    """Refuse, before any work, a batch of more nodes times points than the time budget allows."""
    _refuse_beyond(node_points, MAX_NODE_POINTS, "node evaluations over the points", advice)


def _refuse_beyond(count: int, base: int, what: str, advice: str) -> None:
    if _RUNNING.input_size < 0:
        return  # not under limited(): the library itself never refuses
    seconds = budget(_RUNNING.input_size)[0]
    allowed = int(base * seconds / BASE_SECONDS)
    if seconds and count > allowed:
        raise LimitExceeded(
            f"that is {count:,} {what}, more than the {allowed:,} the time limit allows; {advice}, "
            f"or set {TIME_VARIABLE}=SECONDS to allow more (0: no limit)"
        )


def memory_message() -> str:
    """What to say when the last run under :func:`limited` has run out of memory."""
    megabytes = budget(_RUNNING.last_size)[1]
    limit = f"more than {megabytes:,.0f} MB, {_which_limit(MEMORY_VARIABLE, 'memory')}" if megabytes else "more memory"
    return f"stopped: the run needed {limit}; set {MEMORY_VARIABLE}=MEGABYTES to allow more (0: no limit)"
