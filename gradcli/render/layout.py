"""Layouts that fit the terminal: a wide table when it fits, narrower forms when it does not.

A report offers its layouts widest first and :class:`Adaptive` prints the first one that fits
the width it is given. The narrow forms are built here line by line: :func:`wrap` breaks text
at spaces, a word too long for a line after ``*``, ``/``, ``,`` or ``(``, and never inside a
number; :func:`render_blocks` prints one block per item (a heading, then labelled lines) and
:func:`records` one packed line per item. :class:`Stripped` and :func:`strip_trailing` remove
the spaces rich pads lines with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

MIN_WIDTH = 40  # the narrowest width the reports are laid out for
GAP = "   "  # between pieces on one line
INDENT = 2  # lines under a block's heading
MIN_VALUE_WIDTH = 20  # narrower than this beside its label, a value goes under the label
VERDICT_STYLES = {"PASS": "green", "WARNING": "yellow", "FAIL": "bold red", "KINK": "yellow", "NEAR KINK": "yellow"}
NATURAL = 100_000  # a width no table needs: measuring at it gives the width a table wants

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|-?inf|nan")
_FINE_BREAK = re.compile(r"(?<!\*)\*(?!\*)|[/,(]")  # a single `*` (not `**`), `/`, `,`, `(`
_SPACES = re.compile(r" +")
_TRAILING = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+$")
_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


# ---------------------------------------------------------------- trailing whitespace


def strip_trailing(text: str) -> str:
    """``text`` without spaces at the end of any line (colour codes there are kept)."""
    return "\n".join(_strip_line(line) for line in text.split("\n"))


def _strip_line(line: str) -> str:
    end = _TRAILING.search(line)
    if end is None:
        return line
    return line[: end.start()] + "".join(_ESCAPE.findall(end.group()))


class Stripped:
    """A renderable printed without the spaces rich pads the ends of its lines with."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in console.render_lines(self.renderable, options, pad=False):
            yield from _trimmed(line)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def _trimmed(line: list[Segment]) -> list[Segment]:
    segments = list(line)
    while segments and not segments[-1].control and not segments[-1].text.rstrip():
        segments.pop()
    if segments and not segments[-1].control:
        last = segments[-1]
        segments[-1] = Segment(last.text.rstrip(), last.style)
    return segments


# ---------------------------------------------------------------- choosing a layout


def fits(console: Console, options: ConsoleOptions, renderable: RenderableType) -> bool:
    """Whether ``renderable`` at its natural width (no cell wrapped) fits the width of ``options``."""
    natural = Measurement.get(console, options.update_width(NATURAL), renderable)
    return natural.maximum <= options.max_width


class Adaptive:
    """The first of ``layouts`` (each made for a width) that fits; the last one when none does."""

    def __init__(self, *layouts: Callable[[int], RenderableType]) -> None:
        self.layouts = layouts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for make in self.layouts[:-1]:
            layout = make(width)
            if fits(console, options, layout):
                yield layout
                return
        yield self.layouts[-1](width)


# ---------------------------------------------------------------- wrapping


class Packed(NamedTuple):
    """Pieces to put on as few lines as fit, each kept whole when it fits a line."""

    pieces: Sequence[str | Text]
    sep: str = GAP


Item = str | Text | Packed


def wrap(text: str | Text, width: int) -> list[Text]:
    """``text`` in lines of at most ``width`` cells, broken at spaces; a word longer than a line
    after ``*`` (not ``**``), ``/``, ``,`` or ``(``; a name longer than that anywhere; a number never."""
    text = Text(text) if isinstance(text, str) else text
    lines: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        lines += [_rstripped(part) for part in line.divide(_cuts(line.plain, max(width, 1)))]
    return lines


def _rstripped(text: Text) -> Text:
    text.rstrip()
    return text


def _cuts(plain: str, width: int) -> list[int]:
    cuts, start, length = [], 0, len(plain.rstrip())
    while cell_len(plain[start:length]) > width:
        start = _cut(plain, start, width)
        start += len(plain[start:]) - len(plain[start:].lstrip(" "))
        if start >= length:
            break
        cuts.append(start)
    return cuts


def _cut(plain: str, start: int, width: int) -> int:
    """Where the line that starts at ``start`` ends: after its last space that fits, else its last
    fine break that fits, else at the width (but not inside a number)."""
    end = _fitting_end(plain, start, width)
    spaces = [m.end() for m in _SPACES.finditer(plain, start + 1) if m.start() <= end]
    if spaces:
        return spaces[-1]
    fine = [m.end() for m in _FINE_BREAK.finditer(plain, start) if m.end() <= end]
    if fine:
        return fine[-1]
    return _outside_numbers(plain, start, end)


def _fitting_end(plain: str, start: int, width: int) -> int:
    end, used = start, 0
    while end < len(plain) and used + cell_len(plain[end]) <= width:
        used += cell_len(plain[end])
        end += 1
    return max(end, start + 1)


def _outside_numbers(plain: str, start: int, end: int) -> int:
    for number in _NUMBER.finditer(plain):
        if number.start() < end < number.end():
            return number.start() if number.start() > start else number.end()
    return end


def pack(pieces: Sequence[str | Text], width: int, sep: str = GAP) -> list[Text]:
    """The pieces joined by ``sep`` on as few lines as fit; a piece is split only when it alone is
    longer than a line (then by :func:`wrap`). A line broken after ``sep`` keeps its non-space part
    (the ``,`` of ``", "``)."""
    tail, gap = sep.rstrip(), sep[len(sep.rstrip()) :]
    items = [Text(p) if isinstance(p, str) else p.copy() for p in pieces]
    for item in items[:-1]:
        item.append(tail)
    lines: list[Text] = []
    for item in items:
        if lines and cell_len(lines[-1].plain + gap + item.plain) <= width:
            lines[-1].append(gap)
            lines[-1].append_text(item)
        else:
            lines += wrap(item, width)
    return lines


def lines_of(item: Item, width: int) -> list[Text]:
    """An item's lines at ``width``: :func:`pack` for :class:`Packed`, :func:`wrap` otherwise."""
    if isinstance(item, Packed):
        return pack(item.pieces, width, item.sep)
    return wrap(item, width)


def text_lines(lines: Iterable[Text], style: str = "") -> Text:
    """Lines as one Text that rich prints as it is (it fits: rich need not wrap it again)."""
    return Text("\n", style=style, no_wrap=True, overflow="ignore").join(lines)


def listing(lead: str, items: Sequence[str]) -> Adaptive:
    """``lead`` followed by the items separated by ``, `` (``(no inputs)`` when there are none),
    wrapped between items: ``f = 0.5   at x = 1, y = 2``."""
    pieces = [lead + (items[0] if items else "(no inputs)"), *items[1:]]
    return Adaptive(lambda width: text_lines(pack(pieces, width, ", ")))


def title(text: str, width: int, style: str = "italic") -> Text:
    """A heading over a table, wrapped to ``width``."""
    return text_lines(wrap(Text(text, style=style), width))


# ---------------------------------------------------------------- labelled lines and blocks


Rows = Sequence[tuple[str, Sequence[Item]]]  # (label, items) for each line of labelled lines


def labelled(rows: Rows, width: int, indent: int = INDENT, style: str = "") -> list[Text]:
    """Each row's label, then its items in a column beside the labels (wrapped there); below the
    label instead when that column would be narrower than :data:`MIN_VALUE_WIDTH`."""
    if not rows:
        return []
    column = max(cell_len(label) for label, _ in rows) + 2
    beside = width - indent - column >= MIN_VALUE_WIDTH
    hang = indent + column if beside else indent + INDENT
    lines: list[Text] = []
    for label, items in rows:
        values = [line for item in items for line in lines_of(item, width - hang)]
        head = Text(" " * indent) + Text(label, style=style)
        if beside and values:
            head.append(" " * (column - cell_len(label)))
            head.append_text(values.pop(0))
        lines.append(head)
        lines += [Text(" " * hang) + value for value in values]
    return lines


def summary(rows: Rows) -> Adaptive:
    """Labelled lines flush left with bold labels, as a report's first lines (``at``, ``value``)."""
    return Adaptive(lambda width: text_lines(labelled(rows, width, indent=0, style="bold")))


class Block(NamedTuple):
    """One item of a narrow layout: a heading (``title``, then ``facts`` as "label value" when the
    line has room, else as rows) and labelled rows."""

    title: str | Text
    facts: Sequence[tuple[str, str]] = ()
    rows: Rows = ()
    style: str = ""


def block_lines(block: Block, width: int) -> list[Text]:
    """A block's lines at ``width``."""
    heading = Text(block.title) if isinstance(block.title, str) else block.title.copy()
    for label, value in block.facts:
        heading.append(f"{GAP}{label} {value}")
    rows = list(block.rows)
    if cell_len(heading.plain) <= width:
        lines = [heading]
    else:
        lines = wrap(block.title, width)
        rows = [(label, [value]) for label, value in block.facts] + rows
    for line in lines:
        line.stylize("bold")
    return lines + labelled(rows, width)


def render_blocks(blocks: Sequence[Block | None], width: int) -> Group:
    """Blocks one after another with a blank line between; None stands for rows left out (``…``)."""
    parts: list[RenderableType] = []
    for block in blocks:
        if parts:
            parts.append(Text(""))
        if block is None:
            parts.append(Text("…"))
        else:
            parts.append(text_lines(block_lines(block, width), block.style))
    return Group(*parts)


def records(rows: Sequence[Sequence[str | Text]], width: int, indent: int = INDENT) -> Text:
    """One item per row: its pieces packed on a line, continued below with a deeper indent."""
    lines: list[Text] = []
    for pieces in rows:
        packed = pack(pieces, width - indent - INDENT)
        lines.append(Text(" " * indent) + packed[0])
        lines += [Text(" " * (indent + INDENT)) + line for line in packed[1:]]
    return text_lines(lines)


# ---------------------------------------------------------------- tables


class Column(NamedTuple):
    """A column of a wide table, and its label in a block."""

    header: str
    label: str = ""
    numeric: bool = False  # numbers: right-aligned and never wrapped
    style: str | None = None


def add_columns(table: Table, columns: Iterable[Column]) -> Table:
    """``table`` with the columns added: numbers right-aligned and never wrapped."""
    for column in columns:
        justify = "right" if column.numeric else "left"
        table.add_column(column.header, justify=justify, no_wrap=column.numeric, style=column.style)
    return table


def plain_table(columns: Iterable[Column]) -> Table:
    """A table without borders, columns two spaces apart."""
    return add_columns(Table(show_edge=False, box=None, padding=(0, 2)), columns)


def titled(heading: str, table: Table, width: int) -> Group:
    """A table under a heading wrapped to ``width`` (a table's own title wraps at the table's width)."""
    return Group(title(heading, width), table)


class Verdict(NamedTuple):
    """One compared item: its name, its verdict, and its cells (one per column after the name)."""

    name: str
    verdict: str  # a key of VERDICT_STYLES
    cells: Sequence[Item]


def verdict_report(
    heading: str, note: str, first: str, columns: Sequence[Column], items: Sequence[Verdict]
) -> Adaptive:
    """Items compared several ways: a table with a column per way and a verdict, or where that
    does not fit, one block per item (under ``heading``, then ``note``: what the headers said)."""
    verdicts = [Text(item.verdict, style=VERDICT_STYLES.get(item.verdict, "yellow")) for item in items]

    def wide(width: int) -> Group:
        table = Table(show_lines=True)
        add_columns(table, [Column(first), *columns, Column("verdict")])
        for item, verdict in zip(items, verdicts):
            table.add_row(item.name, *[_cell_text(cell) for cell in item.cells], verdict)
        return titled(heading, table, width)

    def narrow(width: int) -> Group:
        blocks = [
            Block(
                Text.assemble(item.name, GAP, verdict), rows=[(c.label, [cell]) for c, cell in zip(columns, item.cells)]
            )
            for item, verdict in zip(items, verdicts)
        ]
        return Group(title(f"{heading}; {note}", width), render_blocks(blocks, width))

    return Adaptive(wide, narrow)


def _cell_text(cell: Item) -> str | Text:
    if isinstance(cell, Packed):
        return Text("\n").join(Text(p) if isinstance(p, str) else p for p in cell.pieces)
    return cell


MAX_VERDICT_ROWS = 40  # entries a comparison shows in the terminal; --json has them all
_SEVERITY = {"FAIL": 0, "NEAR KINK": 1, "KINK": 2, "WARNING": 3, "PASS": 4}


def most_telling(rows: Sequence, limit: int = MAX_VERDICT_ROWS) -> tuple[list, Text | None]:
    """At most ``limit`` of a comparison's rows (each with ``verdict`` and ``errors``): the worst
    verdicts and largest errors first, shown in their own order, and a note saying what is left out."""
    if len(rows) <= limit:
        return list(rows), None
    order = sorted(range(len(rows)), key=lambda k: (_SEVERITY.get(rows[k].verdict, 1), -_largest(rows[k].errors)))
    kept = sorted(order[:limit])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.verdict] = counts.get(row.verdict, 0) + 1
    tally = ", ".join(
        f"{count:,} {verdict}" for verdict, count in sorted(counts.items(), key=lambda v: _SEVERITY.get(v[0], 1))
    )
    note = Text(
        f"{len(rows):,} entries ({tally}); the {limit} with the worst verdicts and largest errors are shown; "
        "--json has every entry",
        style="dim",
    )
    return [rows[k] for k in kept], note


def _largest(errors: dict[str, float]) -> float:
    values = [e for e in errors.values() if e == e]
    return math.inf if len(values) < len(errors) else max(values, default=0.0)
