"""The step-through page: the forward pass, then the backward pass, one node at a time.

One HTML file with everything inline (style, script, the Graphviz SVG, the steps as
JSON), so it opens from disk with no network. Graphviz lays the graph out once, with
every number in place; the script replays the steps on that drawing the way
:mod:`gradcli.render.frames` does in Python: value and grad lines read ``·`` until they
are known, a node gets its shade only once its gradient is final, the current node is
outlined. Nothing moves between steps.

User text reaches the page in three ways, each escaped: the program (HTML-escaped, with
control characters and lone surrogates shown as ``\\x01``, ``\\udc80``), the steps (ASCII
JSON with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc., so no string can close the
script element, and U+2028/U+2029 escaped too), and the SVG (the DOT's labels are made
XML-safe, and Graphviz escapes them). A content security policy allows no network at all
and only this page's own script. The page's HTML, CSS and script are package data, in
``gradcli/render/page/``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from importlib import resources

from gradcli.ad.evaluation import Evaluation
from gradcli.core.errors import printable
from gradcli.core.numbers import LABEL_DIGITS, format_number
from gradcli.explain.steps import Step
from gradcli.explain.texts import node_texts

PAGE = resources.files("gradcli.render") / "page"


def _page_file(name: str) -> str:
    """One of the page's own files (HTML template, CSS, script), shipped as package data."""
    return (PAGE / name).read_text(encoding="utf-8")


INTRO = (
    "Forward pass: each node computes its value from its inputs, in order.",
    "Backward pass: from the output back, each node multiplies its local derivative by the gradient "
    "that reached it and sends the product to its inputs; where paths meet, the products add up.",
)


def step_page(ev: Evaluation, svg: str, steps: list[Step]) -> str:
    """The whole page, as text."""
    program = ev.program
    statements = (line.split("#", 1)[0].strip() for line in program.source.split("\n"))
    short = "; ".join(part for part in statements if part)
    short = short if len(short) <= 60 else short[:57] + "..."
    point = ", ".join(f"{name} = {format_number(value)}" for name, value in ev.point.items())
    script = _page_file("steps.js").strip()
    parts = {
        "POLICY": _policy(script),
        "TITLE": _text(f"gradcli steps: {short}"),
        "CSS": _page_file("steps.css").strip(),
        "PROGRAM": _program_html(program.source),
        "POINT": _text(f"at {point}" if point else "no inputs"),
        "SVG": inline_svg(svg),
        "SUMMARY": _text(_summary(ev)),
        "DATA": script_json(_data(steps)),
        "SCRIPT": script,
    }
    # One pass over the template: text put in is never searched for placeholders again.
    return re.sub(r"@@(\w+)@@", lambda m: parts[m.group(1)], _page_file("steps.html"))


def _text(text: str) -> str:
    """Text for the page: HTML-escaped, and every character XML cannot hold shown as an escape."""
    return html.escape(printable(text))


def _program_html(source: str) -> str:
    """The program as written, escaped, with its comments dimmed."""
    lines = []
    for line in source.strip("\n").split("\n"):
        code, mark, comment = line.partition("#")
        lines.append(_text(code) + (f'<span class="comment">{_text(mark + comment)}</span>' if mark else ""))
    return "\n".join(lines)


def _data(steps: list[Step]) -> dict:
    """What each step changes (the script adds them up, as frames.step_states does)."""
    return {
        "intro": INTRO,
        "steps": [
            {
                "phase": s.phase,
                "node": s.node,
                "title": s.title,
                "lines": s.lines,
                "values": {n: format_number(v, LABEL_DIGITS) for n, v in s.values.items()},
                "grads": {n: format_number(g, LABEL_DIGITS) for n, g in s.grads.items()},
            }
            for s in steps
        ],
    }


def _summary(ev: Evaluation) -> str:
    texts = node_texts(ev.program)
    out = texts.name(ev.program.output)
    grads = ", ".join(f"d{out}/d{name} = {format_number(g, LABEL_DIGITS)}" for name, g in ev.gradient.items())
    return f"Done: {out} = {format_number(ev.value, LABEL_DIGITS)}" + (f"; {grads}" if grads else "")


def script_json(data: object) -> str:
    """JSON that is safe inside <script>: ASCII only (lone surrogates, U+2028 and U+2029 escaped),
    and no string in it can end the element."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def inline_svg(svg: str) -> str:
    """Graphviz's SVG for inlining: no XML prolog or comments; it scales to fit (CSS)."""
    start = svg.find("<svg")
    if start < 0:
        return ""
    body = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)
    root = re.match(r"<svg\b[^>]*>", body)
    if root is None:
        return ""
    tag = re.sub(r'\s(width|height)="[^"]*"', "", root.group(0))
    tag = tag.replace("<svg", '<svg role="img" aria-label="computation graph"', 1)
    return tag + body[root.end() :].strip()


def _policy(script: str) -> str:
    """No network at all; only this page's own script runs (injected handlers would not)."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
