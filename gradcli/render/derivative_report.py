"""Reports for ``gradcli diff`` (the symbolic derivative) and ``gradcli compare``."""

from __future__ import annotations

from typing import Any

from gradcli.compare import KINK, Comparison
from gradcli.render.derivative_text import derivative_texts  # noqa: F401 - re-exported for the CLI
from gradcli.render.json_report import dumps
from gradcli.render.numbers import format_number, json_number
from gradcli.symbolic import Derivative, Sizes


def diff_text(d: Derivative, texts: dict[str, str]) -> str:
    """One derivative: just its text (so ``gradcli eval "$(gradcli diff ...)"`` works);
    several: each under a heading."""
    if not texts:
        return ""  # no inputs: nothing to differentiate (the CLI says so on stderr)
    if len(texts) == 1:
        return next(iter(texts.values())) + "\n"
    out = output_name(d.program)
    blocks = [f"# d{out}/d{name}\n{text}" for name, text in texts.items()]
    return "\n\n".join(blocks) + "\n"


def diff_json(texts: dict[str, str], sizes: Sizes, latex: dict[str, str] | None) -> str:
    data: dict[str, Any] = {
        "derivative": texts,
        "sizes": {
            "program_nodes": sizes.program_nodes,
            "derivative_nodes": sizes.derivative_nodes,
            "expanded_operations": sizes.expanded_operations,
        },
    }
    if latex is not None:
        data["latex"] = latex
    return dumps(data)


def output_name(program) -> str:
    """The output's binding name, or f."""
    return program.labels.get(program.output, "f").replace("#", "_")


def _num(value: float) -> str:
    return format_number(value, 12)


def _error(value: float) -> str:
    return f"{value:.1e}"


def compare_table(comparison: Comparison, console) -> None:
    """The side-by-side table, the pass counts, kinks and expectations, to a rich console."""
    from rich.table import Table
    from rich.text import Text

    ev = comparison.evaluation
    out = output_name(ev.program)
    point = ", ".join(f"{name} = {_num(v)}" for name, v in ev.point.items())
    console.print(Text(f"{out} = {_num(ev.value)}   at {point or '(no inputs)'}"))
    table = Table(title=f"d {out} / d input, four ways", title_justify="left", show_lines=True)
    headers = ("input", "symbolic", "numerical (central)", "forward", "reverse", "rel. error vs reverse", "verdict")
    for header in headers:
        table.add_column(header, overflow="fold")
    styles = {"PASS": "green", "WARNING": "yellow", "FAIL": "bold red", KINK: "yellow"}
    for row in comparison.rows:
        symbolic = row.symbolic if len(row.symbolic) <= 40 else row.symbolic[:37] + "..."
        errors = "\n".join(f"{method} {_error(e)}" for method, e in row.errors.items())
        table.add_row(
            row.name,
            f"{symbolic}\n= {_num(row.symbolic_value)}",
            f"{_num(row.numerical)}\n(h = {row.step:.2g})",
            _num(row.forward),
            _num(row.reverse),
            errors,
            Text(row.verdict, style=styles[row.verdict]),
        )
    console.print(table)
    passes = comparison.passes
    console.print(
        Text(
            f"passes over the graph: forward mode {passes['forward']} (one per input), "
            f"reverse mode {passes['reverse']}, central differences {passes['numerical']} extra evaluations",
            style="dim",
        )
    )
    for row in comparison.rows:
        if row.verdict == KINK:
            left, right = row.one_sided
            console.print(
                Text(
                    f"~ {row.name} sits on a kink: {row.kink}; slopes here: left {_num(left)}, right {_num(right)}",
                    style="yellow",
                )
            )
    for e in comparison.expectations:
        style = styles[e.verdict]
        console.print(
            Text(
                f"expect d{out}/d{e.name} = {e.formula}: {_num(e.value)} vs reverse mode {_num(e.reverse)}, "
                f"relative error {_error(e.error)}: {e.verdict}",
                style=style,
            )
        )


def compare_json(comparison: Comparison) -> str:
    ev = comparison.evaluation
    return dumps(
        {
            "program": ev.program.source,
            "at": {k: json_number(v) for k, v in ev.point.items()},
            "value": json_number(ev.value),
            "passes": comparison.passes,
            "thresholds": {"pass_below": 1e-5, "warning_below": 1e-3},
            "inputs": [
                {
                    "name": r.name,
                    "symbolic": r.symbolic,
                    "symbolic_value": json_number(r.symbolic_value),
                    "numerical": json_number(r.numerical),
                    "step": r.step,
                    "forward": json_number(r.forward),
                    "reverse": json_number(r.reverse),
                    "relative_errors": {k: json_number(v) for k, v in r.errors.items()},
                    "verdict": r.verdict,
                    **({"kink": r.kink, "one_sided": [json_number(s) for s in r.one_sided]} if r.kink else {}),
                }
                for r in comparison.rows
            ],
            "expect": [
                {
                    "name": e.name,
                    "formula": e.formula,
                    "value": json_number(e.value),
                    "reverse": json_number(e.reverse),
                    "relative_error": json_number(e.error),
                    "verdict": e.verdict,
                }
                for e in comparison.expectations
            ],
            "failed": comparison.failed,
        }
    )
