"""One SVG per step of the two passes, made from a single Graphviz layout.

Graphviz lays the graph out once, with every number in place. Each frame is that SVG
with the state of one moment: values not computed yet and gradients not arrived yet
read ``·``, a node is shaded only once its gradient is final, and the current node is
outlined. Positions never move between frames. :func:`step_states` is the same state
as data, which the HTML step-through replays in the browser.

The SVG is parsed once: the texts and attributes a step can change become slots of a
template, and each frame is the template with its slots filled, so the frames cost
what they weigh. Frames that would weigh more than ``GRADCLI_FRAMES_MEGABYTES`` (default
:data:`DEFAULT_FRAMES_MEGABYTES`) in all are refused before they are made.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import NamedTuple
from xml.sax.saxutils import escape

from gradcli.core.errors import InputProblem, argument
from gradcli.core.numbers import LABEL_DIGITS, format_number
from gradcli.core.settings import number_setting
from gradcli.explain.steps import BACKWARD, Step

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
UNKNOWN = "·"
CURRENT_STROKE = "#1f77b4"
SHAPES = ("polygon", "path", "ellipse")
FRAMES_VARIABLE = "GRADCLI_FRAMES_MEGABYTES"
DEFAULT_FRAMES_MEGABYTES = 100


class State(NamedTuple):
    """What a drawing shows at one step."""

    current: int
    values: dict[int, str]  # node -> value text known so far
    grads: dict[int, str]  # node -> gradient text so far (running sums included)
    final: frozenset[int]  # nodes whose gradient is final: they get their shade


def step_states(steps: list[Step]) -> list[State]:
    """The cumulative state after each step."""
    values: dict[int, str] = {}
    grads: dict[int, str] = {}
    final: set[int] = set()
    states = []
    for step in steps:
        values.update({n: format_number(v, LABEL_DIGITS) for n, v in step.values.items()})
        grads.update({n: format_number(g, LABEL_DIGITS) for n, g in step.grads.items()})
        if step.phase == BACKWARD:
            final.add(step.node)
        states.append(State(step.node, dict(values), dict(grads), frozenset(final)))
    return states


def _tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def _node_groups(root: ET.Element) -> dict[int, ET.Element]:
    groups = {}
    for group in root.iter(_tag("g")):
        ident = group.get("id", "")
        if ident.startswith("node") and ident[4:].isdigit():
            groups[int(ident[4:])] = group
    return groups


def frame_svgs(svg: str, steps: list[Step]) -> list[str]:
    """The SVG of every step, in order."""
    template = _Template(svg)
    _check_weight(len(template.text) * len(steps), len(steps))
    return [template.fill(state) for state in step_states(steps)]


def _check_weight(total_chars: int, count: int) -> None:
    """Refuse frames heavier in all than the limit, before any is made."""
    limit = number_setting(FRAMES_VARIABLE, DEFAULT_FRAMES_MEGABYTES, "a number of megabytes, e.g. 1000")
    megabytes = total_chars / 2**20
    if megabytes > limit:
        raise InputProblem(
            f"{argument('frames')} would write {count:,} SVG files of {megabytes / max(count, 1):,.1f} MB each "
            f"({megabytes:,.0f} MB), more than the {limit:g} MB limit: "
            f"step through a big graph with {argument('html')} "
            f"(one page), draw a smaller program, or raise the limit with {FRAMES_VARIABLE}={math.ceil(megabytes) + 1}"
        )


_QUOTE = {'"': "&quot;"}

# A slot's filler: the text for the state, or None to leave an attribute out.
Filler = Callable[[State], "str | None"]


class _Template:
    """Graphviz's SVG as text with slots for what the steps change; :meth:`fill` makes one frame."""

    def __init__(self, svg: str) -> None:
        ET.register_namespace("", SVG_NS)
        ET.register_namespace("xlink", XLINK_NS)
        try:
            root = ET.fromstring(svg)
        except ET.ParseError as error:
            message = f"Graphviz wrote an SVG that is not well-formed XML ({error}): cannot make frames"
            raise InputProblem(message) from None
        self.open, self.close = _markers(svg)
        self.fillers: list[Filler] = []
        for node, group in _node_groups(root).items():
            self._mark_node(node, group)
        self.text = ET.tostring(root, encoding="unicode")
        marker = re.compile(f'(?P<attribute> [^ =]+=")?{self.open}(?P<slot>\\d+){self.close}"?')
        self.pieces = marker.split(self.text)  # literal, attribute, slot, literal, attribute, slot, ...

    def fill(self, state: State) -> str:
        out = [self.pieces[0]]
        for k in range(1, len(self.pieces), 3):
            attribute, slot, literal = self.pieces[k : k + 3]
            value = self.fillers[int(slot)](state)
            if attribute is None:
                out.append(escape(value or ""))
            elif value is not None:
                out.append(f'{attribute}{escape(value, _QUOTE)}"')
            out.append(literal)
        return "".join(out)

    def _slot(self, filler: Filler) -> str:
        self.fillers.append(filler)
        return f"{self.open}{len(self.fillers) - 1}{self.close}"

    def _mark_node(self, node: int, group: ET.Element) -> None:
        """Slots for ``node``'s value and gradient lines, its shade (white until its gradient is final)
        and its outline (blue while it is the current node)."""
        texts = group.findall(_tag("text"))
        for text in texts:
            line = text.text or ""
            if line.startswith("value "):
                text.text = self._slot(lambda s: f"value {s.values.get(node, UNKNOWN)}")
            elif line.startswith("grad "):
                text.text = self._slot(lambda s: f"grad {s.grads.get(node, UNKNOWN)}")
        shape = next((child for child in group if child.tag in {_tag(s) for s in SHAPES}), None)
        if shape is None:
            return
        fill = shape.get("fill")
        if fill not in (None, "none"):
            shape.set("fill", self._slot(lambda s: fill if node in s.final else "#ffffff"))
            for text in texts:
                if text.get("fill") == "white":
                    text.set("fill", self._slot(lambda s: "white" if node in s.final else "black"))
        stroke, width = shape.get("stroke"), shape.get("stroke-width")
        shape.set("stroke", self._slot(lambda s: CURRENT_STROKE if s.current == node else stroke))
        shape.set("stroke-width", self._slot(lambda s: "3" if s.current == node else width))


def _markers(svg: str) -> tuple[str, str]:
    """Two private-use characters the SVG does not contain, to mark slots with."""
    free = (chr(c) for c in range(0xE000, 0xF900) if chr(c) not in svg)
    return next(free), next(free)
