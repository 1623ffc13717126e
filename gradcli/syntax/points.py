"""Reading input values: text such as ``x=1,y=2``, ``x=pi/4`` and ``x=[1,2]``, as the command line's
``--at`` takes them, and files of values (``.json``, ``.npz``, ``NAME=FILE.npy``), as ``--at-file`` does."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gradcli.core import arrays
from gradcli.core.errors import GradcliError, InputProblem, PointProblem, ShapeProblem, clipped
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.limits import MAX_ELEMENTS
from gradcli.core.values import forward_values
from gradcli.syntax.parser import parse

_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", re.DOTALL)
# One way to split any number (not \d+\.?\d*, which backtracks for ages on 20,000 digits and a q).
_NUMBER = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf|nan)", re.IGNORECASE)
_NEXT_ASSIGNMENT = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


MAX_FILE_BYTES = 256 * 2**20  # a file of values larger than this is refused before it is read
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMED_FILE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+\.npy)", re.DOTALL | re.IGNORECASE)


def parse_point(items: Iterable[str], parameter: str = "at", files: Iterable[str] = ()) -> dict[str, Any]:
    """``["x=1,y=2", "z=-pi/4"]`` -> ``{"x": 1.0, "y": 2.0, "z": -0.785...}``, and the values in
    ``files`` (see :func:`read_values`); errors name ``parameter`` (``at_file`` for the files)."""
    point: dict[str, Any] = {}
    for spec in files:
        for name, value in read_values(spec).items():
            if name in point:
                raise InputProblem(f"{name} is given more than once", "at_file", spec)
            point[name] = value
    for item in items:
        for part in _NEXT_ASSIGNMENT.split(item):
            name, value = _split(part, parameter)
            if name in point:
                raise InputProblem(f"{name} is given more than once", parameter, part.strip())
            point[name] = value
    return point


def _split(part: str, parameter: str) -> tuple[str, Any]:
    match = _ASSIGNMENT.fullmatch(part)
    if match is None or not match.group(2).strip():
        examples = ("x=1", "x=1,y=2")
        raise PointProblem("expected NAME=NUMBER", parameter, repr(part.strip()), examples, "for example")
    return match.group(1), number_value(match.group(2).strip(), match.group(1), parameter)


def number_value(text: str, name: str, parameter: str = "at") -> Any:
    """A number, an expression of numbers and constants such as ``pi/4`` or ``-1e-3``, or an array
    of them written as a list, ``[1, 2]`` or ``[[1, 2], [3, 4]]``."""
    if _NUMBER.fullmatch(text):
        return float(text)
    shown = clipped(f"{name}={text}")
    try:
        program = parse(text, list_of_outputs=False)
        if program.inputs or len(program.outputs) != 1:
            program = None
        else:
            return forward_values(program, {})[program.output]
    except GradcliError as error:
        if isinstance(error, ShapeProblem):
            raise InputProblem("the rows of an array must all have the same length", parameter, shown) from None
    examples = "a number, an expression of numbers such as pi/4, or an array such as [1, 2, 3]"
    raise InputProblem(f"the value must be {examples}", parameter, shown)


def read_values(spec: str) -> dict[str, Any]:
    """The values in a file: a ``.json`` object of names to numbers and (nested) lists of numbers
    (``"nan"``, ``"inf"``, ``"-inf"`` as strings, as gradcli's JSON writes them), a ``.npz`` archive
    of named arrays, or one array, ``NAME=FILE.npy``. NumPy files are read without pickles."""
    named = _NAMED_FILE.fullmatch(spec)
    name, path = (named.group(1), Path(named.group(2))) if named else (None, Path(spec))
    suffix = path.suffix.lower()
    if suffix not in (".json", ".npz", ".npy"):
        raise InputProblem("give a .json or .npz file of named values, or NAME=FILE.npy", "at_file", clipped(spec))
    if suffix == ".npy" and name is None:
        raise InputProblem("a .npy file holds one array: name it, e.g. x=values.npy", "at_file", clipped(spec))
    if not path.exists():
        raise InputProblem("no such file", "at_file", clipped(spec))
    if not path.is_file():
        raise InputProblem("not a regular file", "at_file", clipped(spec))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputProblem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB", "at_file", clipped(spec))
    import zipfile  # only a file of values needs it

    try:
        values = _read(path, suffix, name)
    except _FileProblem as problem:
        raise InputProblem(f"cannot be read as {suffix[1:]} values ({problem})", "at_file", clipped(spec)) from None
    except (OSError, ValueError, EOFError, RecursionError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        said = f" ({clipped(str(error), 120)})" if suffix == ".json" and isinstance(error, ValueError) else ""
        raise InputProblem(f"cannot be read as {suffix[1:]} values{said}", "at_file", clipped(spec)) from None
    for key, value in values.items():
        if not _NAME.fullmatch(key):
            raise InputProblem(f"{clipped(key)} is not a name an input can have", "at_file", clipped(spec))
        values[key] = _as_number_or_array(value, key, spec)
    return values


class _FileProblem(Exception):
    """What is wrong with a file of values, in words fit for the message."""


def _read(path: Path, suffix: str, name: str | None) -> dict[str, Any]:
    if suffix == ".npy":
        _check_npy_header(path)
        return {name: np.load(path, allow_pickle=False)}
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    import json  # only a file of values needs it

    data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant, object_pairs_hook=_no_twice)
    if not isinstance(data, dict):
        raise _FileProblem('expected an object of names to values, such as {"x": [1, 2, 3]}')
    return data


def _check_npy_header(path: Path) -> None:
    """Refuse an array too large to hold before reading it (its header says its shape)."""
    with open(path, "rb") as stream:
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, _ = header(stream)
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise _FileProblem(f"it holds {size:,} numbers; the limit is {MAX_ELEMENTS:,}")


def _no_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _FileProblem(f"{clipped(key)} is given twice")
        seen[key] = value
    return seen


def _refuse_constant(constant: str) -> None:
    raise ValueError(f'{constant} is not JSON; write it as the string "{constant.lower().replace("infinity", "inf")}"')


_SPELLED = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _as_number_or_array(value: Any, name: str, spec: str) -> float | np.ndarray:
    """A float, or a float64 array (read-only); anything else names what is wrong."""
    if is_array(value) and value.dtype.kind not in "biuf":
        raise InputProblem(f"{name} holds {value.dtype} values, not numbers", "at_file", clipped(spec))
    reason = f'{name} must be a number or a rectangular list of numbers ("nan", "inf" and "-inf" as strings)'
    if not is_array(value):
        value = _spelled_out([value], reason, spec)[0]
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputProblem(reason, "at_file", clipped(spec)) from None
    if array.size == 0:
        raise InputProblem(f"{name} has no elements", "at_file", clipped(spec))
    if array.size > MAX_ELEMENTS:
        raise InputProblem(
            f"{name} holds {array.size:,} numbers; the limit is {MAX_ELEMENTS:,}", "at_file", clipped(spec)
        )
    return float(array) if array.ndim == 0 else arrays.as_value(array)


def _spelled_out(items: list, reason: str, spec: str) -> list:
    """Nested lists of numbers, with "nan", "inf" and "-inf" replaced by theirs (a loop, not
    recursion); anything else (null, true, "2", objects) is refused with ``reason``."""
    stack = [items]
    while stack:
        current = stack.pop()
        for k, item in enumerate(current):
            if isinstance(item, list):
                stack.append(item)
            elif isinstance(item, str) and item in _SPELLED:
                current[k] = _SPELLED[item]
            elif item.__class__ not in (int, float):
                raise InputProblem(reason, "at_file", clipped(spec))
    return items


# ---------------------------------------------------------------- ranges: --over x=-4:4


MAX_POINTS = 1_000_000  # points of one range (with two inputs, of the whole grid)


class Range(NamedTuple):
    """The values an input takes over a range: ``start:stop`` (``points`` values, evenly spaced,
    both ends included) or ``start:stop:step`` (from start, every step, up to stop)."""

    name: str
    start: float
    stop: float
    step: float | None = None

    def values(self, points: int) -> Any:
        """The points of the range: a float64 array, ``start + i*step``. Where the start and the step
        are short decimals, each point is rounded to their decimals: ``0:1:0.1`` gives 0.3, not
        0.30000000000000004, and ends at 1."""
        count = self.size(points)
        step = self.step if self.step is not None else (self.stop - self.start) / (count - 1)
        values = self.start + np.arange(count) * step
        if self.step is None:
            values[-1] = self.stop
        decimals = (_decimals(self.start), _decimals(step))
        return values if None in decimals else np.round(values, max(decimals))

    def size(self, points: int = 0) -> int:
        """How many points the range has: ``points``, unless it has a step of its own."""
        if self.step is None:
            return points
        return int(math.floor((self.stop - self.start) / self.step * (1 + 1e-12) + 1e-9)) + 1


def _decimals(value: float) -> int | None:
    """How many decimals ``value`` has when written short (``0.25``: 2, ``1e-08``: 8); None when it
    has no short form (``pi``)."""
    text = f"{value:.12g}"
    if float(text) != value:
        return None
    digits, _, exponent = text.partition("e")
    return max(0, len(digits.partition(".")[2]) - int(exponent or 0))


def parse_ranges(items: Iterable[str], parameter: str = "over") -> dict[str, Range]:
    """``["x=-4:4,y=0:1:0.1"]`` -> a :class:`Range` per name; the ends may be expressions (``-pi:pi``)."""
    ranges: dict[str, Range] = {}
    for item in items:
        for part in _NEXT_ASSIGNMENT.split(item):
            match = _ASSIGNMENT.fullmatch(part)
            if match is None or match.group(2).count(":") not in (1, 2):
                examples = ("x=-4:4", "x=0:1:0.1")
                raise PointProblem("expected NAME=START:STOP or NAME=START:STOP:STEP", parameter,
                                   repr(clipped(part.strip())), examples, "for example")  # fmt: skip
            name = match.group(1)
            if name in ranges:
                raise InputProblem(f"{name} is given more than once", parameter, clipped(part.strip()))
            ranges[name] = _range(name, match.group(2), parameter)
    return ranges


def _range(name: str, text: str, parameter: str) -> Range:
    shown = clipped(f"{name}={text.strip()}")
    try:
        ends = [number_value(piece.strip(), name, parameter) if piece.strip() else None for piece in text.split(":")]
    except InputProblem:
        ends = [None]
    if any(end is None or is_array(end) or not math.isfinite(end) for end in ends):
        raise InputProblem("each end (and the step) must be a finite number, such as -4, 4 or pi/2", parameter, shown)
    start, stop, *step = ends
    if not start < stop:
        raise InputProblem("the range must run from a smaller number to a larger one", parameter, shown)
    if step and not step[0] > 0:
        raise InputProblem("the step must be a positive number", parameter, shown)
    if not math.isfinite(stop - start):  # -1e308:1e308: the length, the step and the count overflow
        raise InputProblem("the range is too wide: its length is not a finite number", parameter, shown)
    if step and not math.isfinite((stop - start) / step[0]):  # 0:1e300:1e-300: the count overflows
        raise InputProblem(f"too many points; the limit is {MAX_POINTS:,}: take a larger step", parameter, shown)
    found = Range(name, start, stop, step[0] if step else None)
    if found.size() > MAX_POINTS:
        reason = f"{found.size():,} points; the limit is {MAX_POINTS:,}: take a larger step"
        raise InputProblem(reason, parameter, shown)
    return found


def range_points(ranges: Mapping[str, Range], points: int | None = None, default: int = 11) -> dict[str, Any]:
    """Each range's values at every point: one range as it is; several make a grid of every
    combination, flattened (the first varies fastest). ``points`` for ranges without a step."""
    if points is not None and not 2 <= points <= MAX_POINTS:
        raise InputProblem(f"{points}: choose from 2 to {MAX_POINTS:,} points", "points")
    axes = [r.values(points or default) for r in ranges.values()]
    total = math.prod(len(a) for a in axes)
    if total > MAX_POINTS:
        raise InputProblem(f"{total:,} points in all; the limit is {MAX_POINTS:,}: take fewer", "points")
    grids = np.meshgrid(*axes) if len(axes) > 1 else axes
    return {name: grid.ravel() for name, grid in zip(ranges, grids)}
