"""Graphviz DOT for a program (structure) or an evaluation (values and gradients).

Deterministic: the same input gives byte-identical DOT (node ``node{id}``, edge
``edge{consumer}_{position}``, numbers through one formatter). Each node's label has
fixed lines, so a viewer can find them in the SVG: its name (with its operation),
then ``value …`` and ``grad …`` when values are known. Nodes are shaded by the
magnitude of their gradient on a log scale, with a legend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from gradcli.evaluation import Evaluation
from gradcli.explain import expression, local_derivatives, node_texts
from gradcli.graph import Program
from gradcli.render.numbers import LABEL_DIGITS, format_number
from gradcli.reverse import gradient_reach

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
    fast_layout: bool = False  # big graphs: cap Graphviz's optimisation passes (minutes -> seconds)


# Network-simplex and crossing-minimisation limits: a 2,000-node graph whose edges span
# many ranks goes from about 100 s to 4 s, at the price of a few more crossings.
FAST_LAYOUT = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.1"}


def escape(text: str) -> str:
    """Text inside a double-quoted DOT string (Graphviz escapes it again for SVG)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def quoted(text: str) -> str:
    return f'"{escape(text)}"'


def num(value: float) -> str:
    return format_number(value, LABEL_DIGITS)


def _attrs(pairs: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in pairs.items())


def to_dot(subject: Program | Evaluation, options: DotOptions = DotOptions()) -> str:
    """DOT text for a program's structure, or for an evaluation with its numbers."""
    evaluation = subject if isinstance(subject, Evaluation) else None
    program = evaluation.program if evaluation is not None else subject
    drawing = _Drawing(program, evaluation, options)
    return drawing.render()


class _Drawing:
    def __init__(self, program: Program, evaluation: Evaluation | None, options: DotOptions) -> None:
        self.program = program
        self.ev = evaluation
        self.options = options
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
        if self.options.fast_layout:
            graph.update(FAST_LAYOUT)
        lines.append(f"  graph [{_attrs(graph)}];")
        lines.append('  node [fontname="Helvetica", fontsize="10", margin="0.08,0.04"];')
        lines.append('  edge [fontname="Helvetica", fontsize="9", arrowsize="0.6"];')
        for node in self.program.nodes:
            lines.append(f"  node{node} [{_attrs(self._node_attrs(node))}];")
        for node in self.program.nodes:
            for pos, arg in enumerate(self.g.args[node]):
                lines.append(f"  node{arg} -> node{node} [{_attrs(self._edge_attrs(node, pos, arg))}];")
        if self.scale is not None and self.scale.has_range:
            lines.extend(self.scale.legend())
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
            fill = self.scale.color(self.ev.grads[node])
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
            return locals_[pos].formula[:MAX_EDGE_LABEL] if locals_ else ""
        local = local_derivatives(self.program, node, values, self.texts)[pos]
        shown = num(local.value)
        text = shown if local.formula == shown else f"{local.formula} = {shown}"
        return text if len(text) <= MAX_EDGE_LABEL else f"× {shown}"

    # ------------------------------------------------------------------ highlight
    def _paths(self, names: Iterable[str]) -> set[int]:
        """Nodes on some path from a highlighted input to the output that carries gradient."""
        on: set[int] = set()
        for name in names:
            start = self.program.inputs.get(name)
            if start is None:
                from gradcli.errors import InputProblem

                inputs = ", ".join(self.program.inputs) or "none"
                raise InputProblem(f"--highlight {name}: the program has no input {name} (inputs: {inputs})")
            on |= self.g.descendants(start, through=lambda op: op.differentiable) & self.reached
        return on

    def _shaded_grads(self) -> list[float]:
        return [self.ev.grads[n] for n in self.program.nodes if self.role(n) not in ("constant", "unused")]


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


def _finite(*numbers: float) -> bool:
    return all(math.isfinite(x) for x in numbers)


class _GradientScale:
    """|gradient| -> fill colour, on a log scale between the smallest and largest."""

    def __init__(self, grads: list[float]) -> None:
        logs = [math.log10(abs(g)) for g in grads if g != 0 and math.isfinite(g)]
        self.lo = min(logs) if logs else 0.0
        self.hi = max(logs) if logs else 0.0
        self.has_range = bool(logs)

    def color(self, grad: float) -> str:
        if grad == 0 or not self.has_range:
            return ZERO_FILL
        if not math.isfinite(grad):
            return PALETTE[-1]
        span = self.hi - self.lo
        t = 1.0 if span < 1e-12 else (math.log10(abs(grad)) - self.lo) / span
        return PALETTE[min(len(PALETTE) - 1, int(t * len(PALETTE)))]

    def legend(self) -> list[str]:
        """A key: one swatch per colour with the smallest |gradient| it stands for."""
        span = self.hi - self.lo
        if span <= 1e-12:
            fills = [(PALETTE[-1], format_number(10**self.hi, 3))]
        else:
            lows = [10 ** (self.lo + span * k / len(PALETTE)) for k in range(len(PALETTE))]
            fills = [(fill, f"≥ {_round_down(low)}") for fill, low in zip(PALETTE, lows)]
        cells = [_swatch(fill, text) for fill, text in fills]
        white = '<TD BGCOLOR="#ffffff"><FONT POINT-SIZE="9">0</FONT></TD>'
        label = (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            f'<TR><TD COLSPAN="{len(cells) + 1}"><FONT POINT-SIZE="9">|gradient|, log scale</FONT></TD></TR>'
            f"<TR>{white}{''.join(cells)}</TR></TABLE>>"
        )
        return [
            f'  legend [id="legend", class="legend", shape=plaintext, label={label}];',
            "  { rank=sink; legend; }",
        ]


def _swatch(fill: str, text: str) -> str:
    font = ' COLOR="white"' if fill in DARK_FILLS else ""
    return f'<TD BGCOLOR="{fill}"><FONT POINT-SIZE="9"{font}>{text}</FONT></TD>'


def _round_down(value: float, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits, rounded toward zero (a lower bound stays one)."""
    exponent = math.floor(math.log10(value)) - digits + 1
    return format_number(math.floor(value / 10**exponent) * 10**exponent, digits)
