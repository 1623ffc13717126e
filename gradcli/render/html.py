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
and only this page's own script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

from gradcli.ad.evaluation import Evaluation
from gradcli.core.errors import printable
from gradcli.core.numbers import LABEL_DIGITS, format_number
from gradcli.explain.steps import Step
from gradcli.explain.texts import node_texts

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="@@POLICY@@">
<title>@@TITLE@@</title>
<style>@@CSS@@</style>
</head>
<body>
<header>
  <h1>Forward and backward, step by step</h1>
  <pre id="program">@@PROGRAM@@</pre>
  <p id="point">@@POINT@@</p>
</header>
<main>
  <figure id="figure">@@SVG@@</figure>
  <section id="panel" aria-live="polite">
    <div id="passes">
      <span id="pass-forward" class="pass forward">forward pass</span>
      <span id="pass-backward" class="pass backward">backward pass</span>
    </div>
    <div id="progress" title="click to jump to a step">
      <div id="progress-forward" class="bar forward"><div class="fill"></div></div>
      <div id="progress-backward" class="bar backward"><div class="fill"></div></div>
    </div>
    <p id="step-counter">step 0</p>
    <h2 id="step-title"></h2>
    <ul id="step-lines"></ul>
    <p id="chain-hint">each line: <b>local derivative</b> × <b>incoming gradient</b> = <b>contribution</b>
      → the input it is sent to; where paths meet, contributions add up to a
      <span class="running">running sum</span></p>
    <p id="summary">@@SUMMARY@@</p>
    <div id="controls">
      <button id="prev" type="button" title="previous step (←)">◀ Prev</button>
      <button id="play" type="button" title="play / pause (space)">▶ Play</button>
      <button id="next" type="button" title="next step (→)">Next ▶</button>
      <label>speed <select id="speed">
        <option value="300">fast</option>
        <option value="1000" selected>normal</option>
        <option value="2000">slow</option>
      </select></label>
    </div>
    <p class="keys"><kbd>←</kbd> <kbd>→</kbd> step · <kbd>Home</kbd> <kbd>End</kbd> jump · <kbd>space</kbd> play</p>
  </section>
</main>
<script type="application/json" id="steps-data">@@DATA@@</script>
<script>@@SCRIPT@@</script>
</body>
</html>
"""

CSS = """
:root { --fwd: #1f77b4; --bwd: #e6550d; --ink: #222; --muted: #666; --paper: #fbfaf7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color: var(--ink); background: var(--paper); }
header { padding: 14px 24px 6px; border-bottom: 1px solid #e4e0d8; background: #fff; }
h1 { margin: 0 0 6px; font-size: 20px; }
#program { margin: 0; padding: 8px 12px; background: #f3f1ec; border-radius: 6px; max-height: 13em;
           overflow: auto; font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
           white-space: pre-wrap; }
#program .comment { color: #8a8780; }
#point { margin: 6px 0 4px; color: var(--muted); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 2fr); gap: 18px; padding: 16px 24px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
body.wide main { grid-template-columns: 1fr; }
#figure { margin: 0; background: #fff; border: 1px solid #e4e0d8; border-radius: 8px; padding: 8px;
          overflow-x: auto; }
#figure svg { display: block; margin: 0 auto; width: 100%; height: auto; max-height: 75vh; }
body.wide #figure svg { max-height: 60vh; }
#panel { background: #fff; border: 1px solid #e4e0d8; border-radius: 8px; padding: 14px 16px;
         align-self: start; position: sticky; top: 12px; }
#passes { display: flex; justify-content: space-between; font-size: 13px; color: #999; }
.pass.active { color: var(--ink); font-weight: 600; }
.pass.forward.active { color: var(--fwd); }
.pass.backward.active { color: var(--bwd); }
#progress { display: flex; gap: 3px; height: 10px; margin: 4px 0 10px; cursor: pointer; }
.bar { flex: 1 1 0; background: #eceae5; border-radius: 5px; overflow: hidden; }
.bar .fill { height: 100%; width: 0; }
.bar.forward .fill { background: var(--fwd); }
.bar.backward .fill { background: var(--bwd); }
#step-counter { margin: 0; font-size: 13px; color: var(--muted); font-variant-numeric: tabular-nums; }
#step-title { margin: 2px 0 8px; font-size: 19px; }
#step-lines { list-style: none; margin: 0; padding: 0; }
#step-lines li { margin: 6px 0; padding: 7px 10px; border-left: 4px solid #ddd; background: #f7f6f3;
                 border-radius: 4px; font: 14px/1.5 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
                 overflow-wrap: anywhere; }
#step-lines li.forward { border-color: var(--fwd); }
#step-lines li.backward { border-color: var(--bwd); }
#step-lines li.intro { font-family: inherit; border-color: #bbb; }
#step-lines .local { display: block; }
#step-lines .sep { display: none; }
#step-lines .product { font-weight: 600; }
.running { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 9px; background: #fde0c5;
           color: #8a3000; font-weight: 600; }
#chain-hint { display: none; font-size: 12.5px; color: var(--muted); }
body.backward #chain-hint { display: block; }
#summary { display: none; font-weight: 600; color: var(--bwd); }
body.done #summary { display: block; }
#controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-top: 12px; }
button { font: inherit; padding: 6px 14px; border: 1px solid #bbb; border-radius: 6px; background: #fff;
         cursor: pointer; }
button:hover:not(:disabled) { background: #f0eee9; }
button:disabled { opacity: .45; cursor: default; }
#play[aria-pressed="true"] { background: #fde0c5; border-color: var(--bwd); }
label { font-size: 13px; color: var(--muted); margin-left: auto; }
.keys { font-size: 12px; color: #888; margin: 10px 0 0; }
kbd { border: 1px solid #ccc; border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; background: #fff;
      font-size: 11px; }
"""

SCRIPT = r"""
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("steps-data").textContent);
  const steps = DATA.steps;
  const total = steps.length;
  const forwardCount = steps.filter((s) => s.phase === "forward").length;
  const UNKNOWN = "·";
  const COLORS = { forward: "#1f77b4", backward: "#e6550d" };
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#figure svg");
  // A wide drawing gets the whole width, and never shrinks below 3/4 of its size (it scrolls).
  const natural = svg ? svg.viewBox.baseVal.width * 4 / 3 : 0;  // Graphviz's points, in CSS pixels
  const wide = natural > 800;
  if (wide) svg.style.minWidth = Math.round(natural * 0.75) + "px";
  if (svg) svg.style.maxWidth = Math.round(natural * 1.6) + "px";  // a small graph is not blown up

  // The parts of the drawing a step changes, each with its look in the full drawing.
  const nodes = new Map();
  const edges = [];
  const keep = (el, names) => ({ el, orig: Object.fromEntries(names.map((n) => [n, el.getAttribute(n)])) });
  const restore = (part) => {
    for (const [name, value] of Object.entries(part.orig)) {
      if (value === null) part.el.removeAttribute(name);
      else part.el.setAttribute(name, value);
    }
  };
  for (const g of svg ? svg.querySelectorAll("g.node") : []) {
    const m = /^node(\d+)$/.exec(g.id);
    if (!m) continue;
    const texts = Array.from(g.querySelectorAll("text"), (t) => ({ ...keep(t, ["fill"]), line: t.textContent }));
    const shape = g.querySelector("polygon, path, ellipse");
    nodes.set(Number(m[1]), { texts, shape: shape && keep(shape, ["fill", "stroke", "stroke-width"]) });
  }
  for (const g of svg ? svg.querySelectorAll("g.edge") : []) {
    const id = /^edge(\d+)_\d+$/.exec(g.id);
    // An argument drawn again next to a far use is a proxy: "proxy3_7->node7" starts at node 3.
    const ends = /^(?:node|proxy)(\d+)(?:_\d+)?->node(\d+)/.exec(g.querySelector("title")?.textContent || "");
    if (!id || !ends) continue;
    const parts = Array.from(g.querySelectorAll("path, polygon"), (el) => keep(el, ["stroke", "fill", "stroke-width"]));
    edges.push({ to: Number(id[1]), from: Number(ends[1]), parts });
  }

  // The cumulative state after k steps (k = 0: nothing computed yet).
  function stateAt(k) {
    const values = {}, grads = {}, final = new Set();
    for (const step of steps.slice(0, k)) {
      Object.assign(values, step.values);
      Object.assign(grads, step.grads);
      if (step.phase === "backward") final.add(step.node);
    }
    return { values, grads, final };
  }

  function draw(k) {
    const { values, grads, final } = stateAt(k);
    const step = k > 0 ? steps[k - 1] : null;
    for (const [node, part] of nodes) {
      for (const text of part.texts) {
        restore(text);
        if (text.line.startsWith("value ")) text.el.textContent = "value " + (values[node] ?? UNKNOWN);
        else if (text.line.startsWith("grad ")) text.el.textContent = "grad " + (grads[node] ?? UNKNOWN);
      }
      const shape = part.shape;
      if (!shape) continue;
      restore(shape);
      const fill = shape.orig.fill;
      if (!final.has(node) && fill !== null && fill !== "none") {
        shape.el.setAttribute("fill", "#ffffff");
        for (const text of part.texts) if (text.orig.fill === "white") text.el.setAttribute("fill", "black");
      }
      if (step && step.node === node) {
        shape.el.setAttribute("stroke", COLORS.forward);
        shape.el.setAttribute("stroke-width", "3");
        if (wide) shape.el.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    }
    for (const edge of edges) {
      edge.parts.forEach(restore);
      if (!step || edge.to !== step.node) continue;
      // Forward: every argument flows in. Backward: only where a gradient is sent back.
      if (step.phase === "backward" && !(String(edge.from) in step.grads)) continue;
      for (const part of edge.parts) {
        part.el.setAttribute("stroke", COLORS[step.phase]);
        part.el.setAttribute("stroke-width", "2.5");
        if (part.orig.fill !== null && part.orig.fill !== "none") part.el.setAttribute("fill", COLORS[step.phase]);
      }
    }
  }

  function lineItem(text, phase) {
    const li = document.createElement("li");
    li.className = phase;
    const span = (cls, content) => {
      const s = document.createElement("span");
      s.className = cls;
      s.textContent = content;
      li.appendChild(s);
    };
    // "∂c/∂b = 2*b = 14; 14 × 1 = 14 → b (running sum 11)": local derivative, product, running sum.
    const cut = text.indexOf("; ");
    if (phase === "backward" && text.startsWith("∂") && cut > 0) {
      const running = / \(running sum ([^()]*)\)$/.exec(text);
      const rest = text.slice(cut + 2, running ? running.index : text.length);
      span("local", text.slice(0, cut));
      span("sep", "; ");
      span("product", rest);
      if (running) {
        span("sep", " ");
        span("running", "(running sum " + running[1] + ")");
      }
    } else {
      li.textContent = text;
    }
    return li;
  }

  let current = 0;
  let timer = null;

  function show(k) {
    current = Math.max(0, Math.min(total, k));
    const step = current > 0 ? steps[current - 1] : null;
    const phase = step ? step.phase : "start";
    document.body.className = phase + (current === total && total > 0 ? " done" : "") + (wide ? " wide" : "");
    $("step-counter").textContent = "step " + current + " of " + total + " — " + phase;
    $("step-title").textContent = step ? step.title : "press → to start";
    const list = $("step-lines");
    list.replaceChildren();
    if (step) {
      for (const line of step.lines) list.appendChild(lineItem(line, step.phase));
    } else {
      for (const line of DATA.intro) {
        const li = document.createElement("li");
        li.className = "intro";
        li.textContent = line;
        list.appendChild(li);
      }
    }
    $("pass-forward").classList.toggle("active", phase === "forward");
    $("pass-backward").classList.toggle("active", phase === "backward");
    const share = (done, count) => (count ? (100 * done) / count : 0) + "%";
    $("progress-forward").style.flexGrow = String(Math.max(forwardCount, 1));
    $("progress-backward").style.flexGrow = String(Math.max(total - forwardCount, 1));
    $("progress-forward").firstElementChild.style.width = share(Math.min(current, forwardCount), forwardCount);
    $("progress-backward").firstElementChild.style.width = share(
      Math.max(current - forwardCount, 0), total - forwardCount);
    $("prev").disabled = current === 0;
    $("next").disabled = current === total;
    draw(current);
  }

  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = "▶ Play";
    $("play").setAttribute("aria-pressed", "false");
  }

  function play() {
    pause();
    if (current === total) show(0);
    timer = setInterval(() => {
      show(current + 1);
      if (current === total) pause();
    }, Number($("speed").value));
    $("play").textContent = "❚❚ Pause";
    $("play").setAttribute("aria-pressed", "true");
  }

  const go = (k) => { pause(); show(k); };
  $("prev").addEventListener("click", () => go(current - 1));
  $("next").addEventListener("click", () => go(current + 1));
  $("play").addEventListener("click", () => (timer === null ? play() : pause()));
  $("speed").addEventListener("change", () => { if (timer !== null) play(); });
  $("progress").addEventListener("click", (event) => {
    const box = $("progress").getBoundingClientRect();
    go(Math.round(((event.clientX - box.left) / box.width) * total));
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const tag = event.target.tagName;
    if (tag === "SELECT" || (event.key === " " && tag === "BUTTON")) return;
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: total };
    if (event.key in moves) go(moves[event.key]);
    else if (event.key === " ") (timer === null ? play() : pause());
    else return;
    event.preventDefault();
  });
  show(0);
})();
"""

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
    script = SCRIPT.strip()
    parts = {
        "POLICY": _policy(script),
        "TITLE": _text(f"gradcli steps: {short}"),
        "CSS": CSS.strip(),
        "PROGRAM": _program_html(program.source),
        "POINT": _text(f"at {point}" if point else "no inputs"),
        "SVG": inline_svg(svg),
        "SUMMARY": _text(_summary(ev)),
        "DATA": script_json(_data(steps)),
        "SCRIPT": script,
    }
    # One pass over the template: text put in is never searched for placeholders again.
    return re.sub(r"@@(\w+)@@", lambda m: parts[m.group(1)], TEMPLATE)


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
