"""Reports for ``gradcli diff`` (the symbolic derivative) and ``gradcli compare``."""

from __future__ import annotations

from typing import Any, NamedTuple

from gradcli.ad.outputs import OutputDerivatives
from gradcli.ad.symbolic import Sizes
from gradcli.check.compare import KINK, NEAR_KINK, PASS_BELOW, WARN_BELOW, Comparison
from gradcli.core.graph import Program
from gradcli.core.numbers import format_number, json_number
from gradcli.render.json_report import dumps
from gradcli.render.latex import derivative_latex


class _Part(NamedTuple):
    """The derivatives of one output, as the report shows them."""

    out: str  # how the output is called in headings
    texts: dict[str, str]  # key (input name, or "a,b") -> text
    latex: dict[str, str] | None
    sizes: Sizes


def diff_report(
    program: Program, derivatives: list[OutputDerivatives], order: int = 1, latex: bool = False, json: bool = False
) -> str:
    """``gradcli diff``: each output's first or second derivatives (:func:`output_derivatives`),
    as gradcli text, LaTeX, or JSON."""
    several = len(program.outputs) > 1
    parts = []
    for k, found in enumerate(derivatives):
        out = (program.output_names[k] or f"f[{k}]") if several else output_name(found.program)
        in_latex = derivative_latex(found.derivative, found.sizes) if latex else None
        parts.append(_Part(out.replace("#", "_"), found.texts, in_latex, found.sizes))
    if json:
        return dumps(_diff_data(program, parts, order))
    return _diff_text(parts, order)


def _heading(out: str, key: str, order: int) -> str:
    if order == 1:
        return f"d{out}/d{key}"
    a, _, b = key.rpartition(",")
    return f"d2{out}/d{a}2" if a == b else f"d2{out}/d{a}d{b}"


def _diff_text(parts: list[_Part], order: int) -> str:
    """One derivative: just its text (so ``gradcli eval "$(gradcli diff ...)"`` works);
    several: each under a heading."""
    blocks = [
        (_heading(part.out, key, order), text)
        for part in parts
        for key, text in (part.latex if part.latex is not None else part.texts).items()
    ]
    if not blocks:
        return ""  # no inputs: nothing to differentiate (the CLI says so on stderr)
    if len(blocks) == 1:
        return blocks[0][1] + "\n"
    return "\n\n".join(f"# {heading}\n{text}" for heading, text in blocks) + "\n"


def _diff_data(program: Program, parts: list[_Part], order: int) -> dict[str, Any]:
    def one(part: _Part) -> dict[str, Any]:
        data: dict[str, Any] = {
            "derivative" if order == 1 else "hessian": _by_key(part.texts, order),
            "sizes": {
                "program_nodes": part.sizes.program_nodes,
                "derivative_nodes": part.sizes.derivative_nodes,
                "expanded_operations": part.sizes.expanded_operations,
            },
        }
        if part.latex is not None:
            data["latex"] = _by_key(part.latex, order)
        return data

    if len(parts) == 1:
        return {**({"order": 2} if order == 2 else {}), **one(parts[0])}
    outputs = [name if name is not None else k for k, name in enumerate(program.output_names)]
    per_output = [one(part) for part in parts]
    merged: dict[str, Any] = {"outputs": outputs, **({"order": 2} if order == 2 else {})}
    for key in per_output[0]:
        merged[key] = [data[key] for data in per_output]
    return merged


def _by_key(texts: dict[str, str], order: int) -> dict[str, Any]:
    """Order 1: input -> text. Order 2: a -> b -> text, both halves of the symmetric matrix."""
    if order == 1:
        return texts
    nested: dict[str, dict[str, str]] = {}
    for key, text in texts.items():
        a, _, b = key.rpartition(",")  # a may be an element such as W[0, 1]
        nested.setdefault(a, {})[b] = text
        nested.setdefault(b, {})[a] = text
    return nested


def output_name(program) -> str:
    """The output's name in every report: its binding name, or f (see :class:`NodeTexts`)."""
    from gradcli.explain.texts import node_texts

    return node_texts(program).name(program.output)


def _num(value: float) -> str:
    return format_number(value, 12)


def _error(value: float) -> str:
    return f"{value:.1e}"


COMPARE_COLUMNS = (  # (header in the table, label in a block)
    ("symbolic", "symbolic"),
    ("numerical (central)", "numerical"),
    ("forward", "forward"),
    ("reverse", "reverse"),
    ("rel. error vs reverse", "rel. error"),
)
SYMBOLIC_SHOWN = 40  # characters of a symbolic derivative shown in a table


def shortened(text: str) -> str:
    """A derivative's text cut to :data:`SYMBOLIC_SHOWN` characters (``...`` marks the cut)."""
    return text if len(text) <= SYMBOLIC_SHOWN else text[: SYMBOLIC_SHOWN - 3] + "..."


def _compared(row):
    """One input's :class:`~gradcli.render.layout.Verdict`: the symbolic derivative and its value,
    the central difference and its step, forward and reverse mode, the relative errors against
    reverse mode."""
    from gradcli.render.layout import Packed, Verdict

    cells = (
        f"{shortened(row.symbolic)}\n= {_num(row.symbolic_value)}",
        f"{_num(row.numerical)}\n(h = {row.step:.2g})",
        _num(row.forward),
        _num(row.reverse),
        Packed([f"{method} {_error(e)}" for method, e in row.errors.items()]),
    )
    return Verdict(row.name, row.verdict, cells)


def compare_table(comparison: Comparison, console) -> None:
    """The side-by-side table (one block per input where it does not fit), the pass counts, kinks
    and expectations, to a rich console."""
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.layout import VERDICT_STYLES, Column, Stripped, listing, most_telling, verdict_report

    ev = comparison.evaluation
    out = output_name(ev.program)
    point = [f"{name} = {_num(v)}" for name, v in ev.point.items()]
    passes = comparison.passes
    shown, left_out = most_telling(comparison.rows)
    parts: list = [
        listing(f"{out} = {_num(ev.value)}   at ", point),
        verdict_report(
            f"d {out} / d input, four ways",
            "relative errors are against reverse mode",
            "input",
            [Column(header, label) for header, label in COMPARE_COLUMNS],
            [_compared(row) for row in shown],
        ),
        *([left_out] if left_out else []),
        Text(
            f"passes over the graph: forward mode {passes['forward']} (one per input), "
            f"reverse mode {passes['reverse']}, central differences {passes['numerical']} extra evaluations",
            style="dim",
        ),
    ]
    for row in comparison.rows:
        if row.verdict == KINK:
            left, right = row.one_sided
            parts.append(
                Text(
                    f"~ {row.name} sits on a kink: {row.kink}; slopes here: left {_num(left)}, right {_num(right)}",
                    style="yellow",
                )
            )
        elif row.near_kink is not None:
            parts.append(Text(f"~ {row.name}: {_near_kink_note(ev.program, row)}", style="yellow"))
    for e in comparison.expectations:
        parts.append(
            Text(
                f"expect d{out}/d{e.name} = {e.formula}: {_num(e.value)} vs reverse mode {_num(e.reverse)}, "
                f"relative error {_error(e.error)}: {e.verdict}",
                style=VERDICT_STYLES.get(e.verdict, "yellow"),
            )
        )
    console.print(Stripped(Group(*parts)))


def _near_kink_data(program, row) -> dict[str, Any]:
    from gradcli.explain.texts import node_texts

    return {"near_kink": node_texts(program).name(row.near_kink), "usual_step": row.usual_step}


def _near_kink_note(program, row) -> str:
    """Why the step of ``row`` was shortened, or why it gives no verdict (NEAR KINK)."""
    from gradcli.explain.texts import node_texts

    kink = f"the kink of {node_texts(program).name(row.near_kink)}"
    interval = f"[{row.name} - h, {row.name} + h]"
    if row.step_given:
        return f"the step --h {row.step:.2g} puts {kink} inside {interval}, so this is no check either way"
    if row.verdict == NEAR_KINK:
        return (
            f"{kink} lies closer than the shortest usable step (h = {row.step:.2g}): every central difference "
            "here straddles it, so this is no check either way"
        )
    return f"the step was shortened from {row.usual_step:.2g} to {row.step:.2g} to keep {kink} out of {interval}"


def comparison_head(comparison: Any) -> dict[str, Any]:
    """What every comparison's JSON starts with: the program, the point, the value, the passes, the thresholds."""
    ev = comparison.evaluation
    return {
        "program": ev.program.source,
        "at": {k: json_number(v) for k, v in ev.point.items()},
        "value": json_number(ev.value),
        "passes": comparison.passes,
        "thresholds": {"pass_below": PASS_BELOW, "warning_below": WARN_BELOW},
    }


def compare_json(comparison: Comparison) -> str:
    ev = comparison.evaluation
    return dumps(
        {
            **comparison_head(comparison),
            "inputs": [
                {
                    "name": r.name,
                    "symbolic": r.symbolic,
                    "symbolic_value": json_number(r.symbolic_value),
                    "numerical": json_number(r.numerical),
                    "step": json_number(r.step),
                    "forward": json_number(r.forward),
                    "reverse": json_number(r.reverse),
                    "relative_errors": {k: json_number(v) for k, v in r.errors.items()},
                    "verdict": r.verdict,
                    **({"kink": r.kink, "one_sided": [json_number(s) for s in r.one_sided]} if r.kink else {}),
                    **(_near_kink_data(ev.program, r) if r.near_kink is not None else {}),
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
