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
