"""Graphviz DOT for a program (structure) or an evaluation (values and gradients).

Deterministic: the same input gives byte-identical DOT (node ``node{id}``, edge
``edge{consumer}_{position}``, numbers through one formatter). Each node's label has
fixed lines, so a viewer can find them in the SVG: its name (with its operation),
then ``value …`` and ``grad …`` when values are known. Nodes are shaded by the
magnitude of their gradient on a log scale, with a legend. Every string is valid XML
once Graphviz copies it into SVG: characters XML forbids are shown as ``\x01``.

The layout settings follow the graph's shape (:func:`plan_layout`): Graphviz's ``dot``
spends its time and memory on the points it adds where an edge spans several ranks,
so a node used all along a long chain (``x`` in ``x + x + ... + x``) is drawn again,
as a dashed ``proxy``, next to the uses that are far from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from gradcli.ad.evaluation import Evaluation
from gradcli.ad.reverse import gradient_reach
from gradcli.core.errors import printable
from gradcli.core.graph import Program
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.numbers import LABEL_DIGITS, format_number, magnitude
from gradcli.explain.texts import expression, local_derivatives, node_texts, vjp_formulas

# Light to dark (ColorBrewer "Oranges"), for |gradient| from smallest to largest.
PALETTE = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")
DARK_FILLS = PALETTE[3:]
ZERO_FILL = "#ffffff"
UNUSED_COLOR = "#9e9e9e"
KINK_COLOR = "#e6a700"
ANOMALY_COLOR = "#d62728"
HIGHLIGHT_COLOR = "#1f77b4"
MAX_EDGE_LABEL = 28


class DotOptions(NamedTuple):
    rankdir: str = "LR"
    edge_labels: bool = False
    highlight: tuple[str, ...] = ()
    title: bool = True
    fast_layout: bool = False  # use the fast settings even when the graph's shape does not call for them


# Network-simplex and crossing-minimisation limits: a 2,000-node graph whose edges span
# many ranks goes from about 100 s to 4 s, at the price of a few more crossings; and the
# newer ranking, which takes a 10,000-node chain from 8 s to under 1 s in Graphviz 2.43
# (it ignores rank=sink, so the legend is tied to the outputs by invisible edges instead).
FAST_LAYOUT = {"newrank": "true", "nslimit": "1", "nslimit1": "1", "mclimit": "0.1"}


def escape(text: str) -> str:
    """Text inside a double-quoted DOT string (Graphviz escapes it again for SVG)."""
    return printable(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def quoted(text: str) -> str:
    return f'"{escape(text)}"'


LABEL_ELEMENTS = 4  # an array of up to this many numbers is written out in a node's label


def num(value: float | np.ndarray) -> str:
    """A number for a label; an array written out when tiny, else its shape and norm."""
    if is_array(value) and value.size > LABEL_ELEMENTS:
        return f"{'×'.join(map(str, value.shape))}, norm {format_number(magnitude(value), 4)}"
    return format_number(value, LABEL_DIGITS)


def _attrs(pairs: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in pairs.items())


def to_dot(subject: Program | Evaluation, options: DotOptions = DotOptions()) -> str:
    """DOT text for a program's structure, or for an evaluation with its numbers."""
    evaluation = subject if isinstance(subject, Evaluation) else None
    program = evaluation.program if evaluation is not None else subject
    drawing = _Drawing(program, evaluation, options, plan_layout(program, options.fast_layout))
    return drawing.render()


class _Drawing:
    def __init__(self, program: Program, evaluation: Evaluation | None, options: DotOptions, plan: LayoutPlan) -> None:
        self.program = program
        self.ev = evaluation
        self.options = options
        self.plan = plan
        self.g = program.graph
        self.texts = node_texts(program)
        self.used = set(self.g.ancestors(program.outputs))
        self.reached = set().union(*(gradient_reach(program, out) for out in program.outputs))
        self.on_path = self._paths(options.highlight)
        self.scale = _GradientScale(self._shaded_grads()) if evaluation is not None else None
        self.anomalies = {a.node: a for a in evaluation.anomalies} if evaluation is not None else {}
        self.kinks = {k.node: k for k in evaluation.kinks} if evaluation is not None else {}

    # ------------------------------------------------------------------ whole graph
    def render(self) -> str:
        lines = ["digraph gradcli {"]
        graph = {"rankdir": self.options.rankdir, "fontname": '"Helvetica"', "nodesep": "0.25", "ranksep": "0.35"}
        if self.options.title:
            graph.update(label=quoted(self._title()), labelloc="t", fontsize="12")
        if self.plan.fast:
            graph.update(FAST_LAYOUT)
        lines.append(f"  graph [{_attrs(graph)}];")
        lines.append('  node [fontname="Helvetica", fontsize="10", margin="0.08,0.04"];')
        lines.append('  edge [fontname="Helvetica", fontsize="9", arrowsize="0.6"];')
        for node in self.program.nodes:
            lines.append(f"  node{node} [{_attrs(self._node_attrs(node))}];")
        for arg, consumer in sorted(self.plan.proxied):
            lines.append(f"  {proxy_id(arg, consumer)} [{_attrs(self._proxy_attrs(arg, consumer))}];")
        for node in self.program.nodes:
            for pos, arg in enumerate(self.g.args[node]):
                tail = proxy_id(arg, node) if (arg, node) in self.plan.proxied else f"node{arg}"
                lines.append(f"  {tail} -> node{node} [{_attrs(self._edge_attrs(node, pos, arg))}];")
        if self.scale is not None and self.scale.has_range:
            lines.append(self.scale.legend())
            if self.plan.fast:
                lines.extend(f"  node{out} -> legend [style=invis];" for out in self.program.outputs)
            else:
                lines.append("  { rank=sink; legend; }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _title(self) -> str:
        statements = (line.split("#", 1)[0].strip() for line in self.program.source.split("\n"))
        source = "; ".join(part for part in statements if part)
        source = source if len(source) <= 80 else source[:77] + "..."
        if self.ev is None or not self.ev.point:
            return source
        point = ", ".join(f"{name} = {num(v)}" for name, v in self.ev.point.items())
        point = point if len(point) <= 80 else point[:77] + "..."
        return f"{source}   at {point}"

    # ------------------------------------------------------------------ nodes
    def role(self, node: int) -> str:
        op = self.g.ops[node].name
        if node in self.program.outputs:
            return "output"
        if op == "var":
            return "input"
        if op == "const":
            return "constant"
        return "intermediate" if node in self.used else "unused"

    def label_lines(self, node: int) -> list[str]:
        name = self.texts.name(node)
        role = self.role(node)
        if role == "constant":
            return [name]
        first = name
        if self.g.args[node]:
            operation = expression(self.g, node, self.texts)
            first = name if operation == name else f"{name} = {operation}"
        lines = [first]
        if self.ev is not None:
            lines.append(f"value {num(self.ev.values[node])}")
            lines.append(f"grad {num(self.ev.grads[node])}")
        if node in self.kinks:
            lines.append(f"kink: {self.g.ops[node].name} at its corner")
        if node in self.anomalies:
            kind = self.anomalies[node].kind
            lines.append(f"{num(self.anomalies[node].number)} starts here ({kind})")
        return lines

    def _node_attrs(self, node: int) -> dict[str, str]:
        role = self.role(node)
        attrs = {"id": quoted(f"node{node}"), "class": quoted(role), "label": quoted("\n".join(self.label_lines(node)))}
        attrs.update(_ROLE_STYLE[role])
        if self.scale is not None and role not in ("constant", "unused"):
            fill = self.scale.color(magnitude(self.ev.grads[node]))
            attrs["fillcolor"] = quoted(fill)
            if fill in DARK_FILLS:
                attrs["fontcolor"] = '"white"'
        if node in self.on_path:
            attrs.update(color=quoted(HIGHLIGHT_COLOR), penwidth="2.5")
        # Warnings win over the highlight: a kink or a nan/inf on a path stays visible.
        if node in self.kinks:
            attrs.update(color=quoted(KINK_COLOR), penwidth="2.5")
        if node in self.anomalies or (self.ev is not None and not _finite(self.ev.values[node], self.ev.grads[node])):
            attrs.update(color=quoted(ANOMALY_COLOR), penwidth="2.5")
        if self.g.ops[node].name == "stop_gradient":
            attrs["style"] = '"rounded,filled,dashed"'
        return attrs

    def _proxy_attrs(self, arg: int, consumer: int) -> dict[str, str]:
        """``arg`` drawn again next to ``consumer``: its name only, dashed, unfilled."""
        name = self.texts.name(arg)
        attrs = {"id": quoted(proxy_id(arg, consumer)), "class": '"proxy"', "label": quoted(name)}
        attrs.update({k: v for k, v in _ROLE_STYLE[self.role(arg)].items() if k != "style"})
        attrs["style"] = '"rounded,dashed"' if attrs.get("shape") == "box" else '"dashed"'
        attrs["tooltip"] = quoted(f"{name} again, next to this use: its own node is far away")
        if arg in self.on_path:
            attrs.update(color=quoted(HIGHLIGHT_COLOR), penwidth="2.5")
        return attrs

    # ------------------------------------------------------------------ edges
    def _edge_attrs(self, node: int, pos: int, arg: int) -> dict[str, str]:
        attrs = {"id": quoted(f"edge{node}_{pos}")}
        blocked = not self.g.ops[node].differentiable
        if blocked:
            attrs.update(style="dashed", tooltip='"stop_gradient: no gradient flows back along this edge"')
        if node not in self.used:
            attrs["color"] = quoted(UNUSED_COLOR)
        if self.options.edge_labels and not blocked and self.g.ops[arg].name != "const":
            attrs["label"] = quoted(self._edge_label(node, pos))
        if arg in self.on_path and node in self.on_path and not blocked:
            attrs.update(color=quoted(HIGHLIGHT_COLOR), penwidth="2.5")
        return attrs

    def _edge_label(self, node: int, pos: int) -> str:
        values = self.ev.values if self.ev is not None else None
        if values is None:
            locals_ = local_derivatives(self.program, node, [math.nan] * self.program.size, self.texts)
            return locals_[pos].formula[:MAX_EDGE_LABEL] if pos < len(locals_) else ""
        locals_ = local_derivatives(self.program, node, values, self.texts)
        if pos >= len(locals_):  # a structural op: no partial, a vector-Jacobian product
            formula = vjp_formulas(self.program, node, values, self.texts)[pos]
            return f"g → {formula}"[:MAX_EDGE_LABEL] if formula else ""
        local = locals_[pos]
        shown = num(local.value)
        text = shown if local.formula == shown else f"{local.formula} = {shown}"
        return text if len(text) <= MAX_EDGE_LABEL else f"× {shown}"

    # ------------------------------------------------------------------ highlight
    def _paths(self, names: Iterable[str]) -> set[int]:
        """Nodes on some path from a highlighted input (one of the program's, see
        :func:`~gradcli.ad.symbolic.checked_names`) to the output that carries gradient."""
        on: set[int] = set()
        for name in names:
            start = self.program.inputs[name]
            on |= self.g.descendants(start, through=lambda op: op.differentiable) & self.reached
        return on

    def _shaded_grads(self) -> list[float]:
        return [magnitude(self.ev.grads[n]) for n in self.program.nodes if self.role(n) not in ("constant", "unused")]


_ROLE_STYLE = {
    "input": {"shape": "ellipse", "style": '"filled"'},
    "constant": {
        "shape": "plaintext",
        "fontcolor": quoted("#555555"),
        "fontsize": "9",
        "width": "0",
        "height": "0",
        "margin": '"0.02"',
    },
    "intermediate": {"shape": "box", "style": '"rounded,filled"'},
    "output": {"shape": "box", "style": '"rounded,filled,bold"', "peripheries": "2"},
    "unused": {
        "shape": "box",
        "style": '"rounded,dashed"',
        "color": quoted(UNUSED_COLOR),
        "fontcolor": quoted(UNUSED_COLOR),
    },
}


# ---------------------------------------------------------------------- layout
# dot gives each rank an edge crosses a point of its own (a virtual node), and its time and
# memory grow with nodes + points: x + x + ... + x with 1,000 terms has 500,000 points,
# needs 1.6 GB and runs for minutes; with 100 terms (5,000 points), 15 s on default settings
# and still seconds on the fast ones, as a degree-60 Horner polynomial (3,500 points).
QUALITY_SIZE = 2_000  # nodes + points up to which dot runs on its own (slow, best) settings
PROXY_POINTS = 1_000  # above this many points, far uses of the most spread-out nodes get proxies
PROXY_SPAN = 3  # an edge gets a proxy when it crosses at least this many ranks
MAX_PROXY_ROUNDS = 8


class LayoutPlan(NamedTuple):
    """How ``dot`` is asked to lay a graph out, and the size of the graph it gets."""

    nodes: int  # proxies included
    edges: int
    ranks: int
    points: int  # one per rank an edge crosses: the virtual nodes dot adds
    proxied: frozenset[tuple[int, int]]  # (argument, consumer): the edge starts at a proxy of the argument
    fast: bool  # Graphviz's optimisation passes capped (FAST_LAYOUT)


def proxy_id(arg: int, consumer: int) -> str:
    return f"proxy{arg}_{consumer}"


def plan_layout(program: Program, fast: bool = False) -> LayoutPlan:
    """The layout for ``program``'s drawing, chosen from its shape (ranks, fan-out, edge spans), not its size alone.

    Ranks are estimated as dot sets them: every edge at least one rank long, a node used
    more often than it uses others pulled next to its first use. While the edges cross
    more than :data:`PROXY_POINTS` ranks in all, the nodes whose far uses cross the most
    are drawn again, as proxies, next to those uses. Above :data:`QUALITY_SIZE` nodes and
    points, dot's optimisation passes are capped (:data:`FAST_LAYOUT`).
    """
    args = program.graph.args[: program.size]
    proxied: set[tuple[int, int]] = set()
    for _ in range(MAX_PROXY_ROUNDS):
        ranks, consumers = _ranks(args, proxied)
        points = _points(ranks, consumers)
        if points <= PROXY_POINTS:
            break
        proxied |= _far_uses(ranks, consumers, points - PROXY_POINTS)
    else:
        ranks, consumers = _ranks(args, proxied)
        points = _points(ranks, consumers)
    nodes = len(args) + len(proxied)
    return LayoutPlan(
        nodes=nodes,
        edges=sum(len(a) for a in args),
        ranks=max(ranks, default=-1) + 1,
        points=points,
        proxied=frozenset(proxied),
        fast=fast or nodes + points > QUALITY_SIZE,
    )


def _ranks(args: Sequence[tuple[int, ...]], proxied: set[tuple[int, int]]) -> tuple[list[int], list[list[int]]]:
    """Each node's rank (dot's, estimated) and its consumers, one per edge; proxied edges left out."""
    ranks = [0] * len(args)
    consumers: list[list[int]] = [[] for _ in args]
    uses = [0] * len(args)
    for node, node_args in enumerate(args):
        for arg in node_args:
            if (arg, node) not in proxied:
                consumers[arg].append(node)
                uses[node] += 1
                ranks[node] = max(ranks[node], ranks[arg] + 1)
    for node in reversed(range(len(args))):
        if len(consumers[node]) > uses[node]:
            ranks[node] = min(ranks[c] for c in consumers[node]) - 1
    return ranks, consumers


def _points(ranks: list[int], consumers: list[list[int]]) -> int:
    return sum(ranks[c] - ranks[node] - 1 for node, uses in enumerate(consumers) for c in uses)


def _far_uses(ranks: list[int], consumers: list[list[int]], excess: int) -> set[tuple[int, int]]:
    """The far uses of the nodes that save the most points, until they save ``excess``."""
    far = [[c for c in uses if ranks[c] - ranks[node] >= PROXY_SPAN] for node, uses in enumerate(consumers)]
    saving = [sum(ranks[c] - ranks[node] - 2 for c in uses) for node, uses in enumerate(far)]
    chosen: set[tuple[int, int]] = set()
    for node in sorted(range(len(far)), key=lambda n: (-saving[n], n)):
        if excess <= 0 or saving[node] <= 0:
            break
        chosen.update((node, c) for c in far[node])
        excess -= saving[node]
    return chosen


def _finite(*numbers: float | np.ndarray) -> bool:
    return all(math.isfinite(x) if not is_array(x) else bool(np.all(np.isfinite(x))) for x in numbers)


class _GradientScale:
    """|gradient| -> fill colour, on a log scale between the smallest and largest.

    Any floats at all: subnormal, near the top of the range, of either sign, nan or inf
    (those two are drawn darkest and left out of the scale).
    """

    def __init__(self, grads: list[float]) -> None:
        sizes = [abs(g) for g in grads if g != 0 and math.isfinite(g)]
        self.smallest = min(sizes, default=0.0)
        self.largest = max(sizes, default=0.0)
        self.has_range = bool(sizes)
        self.lo = math.log10(self.smallest) if sizes else 0.0
        self.hi = math.log10(self.largest) if sizes else 0.0

    def color(self, grad: float) -> str:
        if grad == 0 or not self.has_range:
            return ZERO_FILL
        if not math.isfinite(grad):
            return PALETTE[-1]
        span = self.hi - self.lo
        t = 1.0 if span < 1e-12 else (math.log10(abs(grad)) - self.lo) / span
        return PALETTE[min(len(PALETTE) - 1, max(0, int(t * len(PALETTE))))]

    def legend(self) -> str:
        """A key: one swatch per colour with the smallest |gradient| it stands for (the DOT node)."""
        span = self.hi - self.lo
        if span <= 1e-12:
            fills = [(PALETTE[-1], format_number(self.largest, 3))]
        else:
            lows = [self._power_of_ten(self.lo + span * k / len(PALETTE)) for k in range(len(PALETTE))]
            fills = [(fill, f"≥ {_round_down(low)}") for fill, low in zip(PALETTE, lows)]
        cells = [_swatch(fill, text) for fill, text in fills]
        white = '<TD BGCOLOR="#ffffff"><FONT POINT-SIZE="9">0</FONT></TD>'
        label = (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            f'<TR><TD COLSPAN="{len(cells) + 1}"><FONT POINT-SIZE="9">|gradient|, log scale</FONT></TD></TR>'
            f"<TR>{white}{''.join(cells)}</TR></TABLE>>"
        )
        return f'  legend [id="legend", class="legend", shape=plaintext, label={label}];'

    def _power_of_ten(self, exponent: float) -> float:
        """10**exponent, kept between the smallest and largest |gradient| (no underflow to 0, no overflow)."""
        try:
            value = 10.0**exponent
        except OverflowError:
            value = self.largest
        return min(max(value, self.smallest), self.largest)


def _swatch(fill: str, text: str) -> str:
    font = ' COLOR="white"' if fill in DARK_FILLS else ""
    return f'<TD BGCOLOR="{fill}"><FONT POINT-SIZE="9"{font}>{text}</FONT></TD>'


def _round_down(value: float, digits: int = 2) -> str:
    """``value`` (positive, finite) to ``digits`` significant digits, rounded toward zero (a lower bound stays one).

    Worked out in decimal on the number as it is written (``repr``), so subnormal and huge
    values round like any other, and 0.29 stays 0.29.
    """
    written = Decimal(repr(value))
    step = Decimal(1).scaleb(written.adjusted() - digits + 1)
    return format_number(float(written.quantize(step, rounding=ROUND_DOWN)), digits)
