"""The self-contained step-through page (placeholder until the real page lands)."""

from __future__ import annotations

import html
import json

from gradcli.evaluation import Evaluation
from gradcli.render.frames import step_states
from gradcli.steps import Step


def step_page(ev: Evaluation, svg: str, steps: list[Step]) -> str:
    data = [{"phase": s.phase, "node": s.node, "title": s.title, "lines": list(s.lines)} for s in steps]
    states = step_states(steps)
    payload = json.dumps({"steps": data, "states": [st._asdict() for st in states]}, default=list)
    return f"<!doctype html><html><body><pre>{html.escape(ev.program.source)}</pre>{svg}<script>const DATA={payload};</script></body></html>"
