"""One SVG per step of the two passes, made from a single Graphviz layout.

Graphviz lays the graph out once, with every number in place. Each frame is that SVG
with the state of one moment: values not computed yet and gradients not arrived yet
read ``·``, a node is shaded only once its gradient is final, and the current node is
outlined. Positions never move between frames. :func:`step_states` is the same state
as data, which the HTML step-through replays in the browser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NamedTuple

from gradcli.render.numbers import LABEL_DIGITS, format_number
from gradcli.steps import BACKWARD, Step

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
UNKNOWN = "·"
CURRENT_STROKE = "#1f77b4"
SHAPES = ("polygon", "path", "ellipse")


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
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    frames = []
    for state in step_states(steps):
        root = ET.fromstring(svg)
        _apply(_node_groups(root), state)
        frames.append(ET.tostring(root, encoding="unicode"))
    return frames


def _apply(groups: dict[int, ET.Element], state: State) -> None:
    for node, group in groups.items():
        texts = group.findall(_tag("text"))
        for text in texts:
            line = text.text or ""
            if line.startswith("value "):
                text.text = f"value {state.values.get(node, UNKNOWN)}"
            elif line.startswith("grad "):
                text.text = f"grad {state.grads.get(node, UNKNOWN)}"
        shape = next((child for child in group if child.tag in {_tag(s) for s in SHAPES}), None)
        if shape is None:
            continue
        if node not in state.final and shape.get("fill") not in (None, "none"):
            shape.set("fill", "#ffffff")
            for text in texts:
                if text.get("fill") == "white":
                    text.set("fill", "black")
        if node == state.current:
            shape.set("stroke", CURRENT_STROKE)
            shape.set("stroke-width", "3")
