"""``gradcli compare`` of a program with arrays: one verdict per input array, at its worst element
or direction, as terminal text or strict JSON."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from gradcli.check.array_compare import ArrayComparison, ArrayRow
from gradcli.core.numbers import json_number
from gradcli.render.derivative_report import comparison_head
from gradcli.render.json_report import dumps
from gradcli.render.layout import Column
from gradcli.render.second_order_report import adaptive_table, point_line
from gradcli.render.table import num
from gradcli.render.terminal import to_terminal

COLUMNS = (
    Column("input", style="bold"),
    Column("shape"),
    Column("checked"),
    Column("worst at"),
    Column("reverse", numeric=True),
    Column("symbolic", numeric=True),
    Column("numerical", numeric=True),
    Column("forward", numeric=True),
    Column("rel. error", numeric=True),
    Column("verdict", style="bold"),
)


def array_comparison_report(comparison: ArrayComparison, json_output: bool = False) -> str:
    """Each input's reverse-mode gradient against central differences and forward mode."""
    if json_output:
        return dumps(array_comparison_data(comparison))
    rows = [_cells(row) for row in comparison.rows]
    heading = (
        "reverse mode against the symbolic derivative, central differences and forward mode, per input (worst probe)"
    )
    passes = comparison.passes
    cost = (
        f"passes: reverse {passes['reverse']}, symbolic {passes['symbolic']}, "
        f"forward {passes['forward']} (one per probe), numerical {passes['numerical']} (two per probe); "
        "PASS below 1e-5, WARNING below 1e-3"
    )
    parts = [point_line(comparison.evaluation.point), Text(""), adaptive_table(heading, COLUMNS, rows, _pieces)]
    notes = [Text(f"{r.name}: at a kink ({r.kink}); no verdict", style="dim") for r in comparison.rows if r.kink]
    return to_terminal(lambda console: console.print(Group(*parts, Text(cost, style="dim"), *notes)))


def _cells(row: ArrayRow) -> list[str]:
    error = max(row.errors.values())
    shape = "number" if row.shape == () else "×".join(map(str, row.shape))
    return [
        row.name,
        shape,
        f"{row.probes} ({row.count})" if row.count > 1 else row.probes,
        row.worst,
        num(row.reverse),
        "—" if row.symbolic is None else num(row.symbolic),
        num(row.numerical),
        num(row.forward),
        f"{error:.1e}",
        row.verdict,
    ]


def _pieces(cells: Sequence[str]) -> list[str]:
    name, shape, probes, worst, reverse, symbolic, numerical, forward, error, verdict = cells
    return [
        name,
        shape,
        probes,
        f"worst at {worst}",
        f"reverse {reverse}",
        f"symbolic {symbolic}",
        f"numerical {numerical}",
        f"forward {forward}",
        f"error {error}",
        verdict,
    ]


def array_comparison_data(comparison: ArrayComparison) -> dict:
    return {
        **comparison_head(comparison),
        "inputs": [
            {
                "name": r.name,
                "shape": list(r.shape),
                "checked": r.probes,
                "probes": r.count,
                "worst": r.worst,
                "reverse": json_number(r.reverse),
                "symbolic": json_number(r.symbolic),
                "numerical": json_number(r.numerical),
                "forward": json_number(r.forward),
                "step": json_number(r.step),
                "relative_errors": {k: json_number(v) for k, v in r.errors.items()},
                "verdict": r.verdict,
                **({"kink": r.kink} if r.kink else {}),
            }
            for r in comparison.rows
        ],
    }
