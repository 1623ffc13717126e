"""Reports for ``gradcli compare``: a comparison of first or second derivatives, and the
step sweep, as terminal text or strict JSON (the sweep also as a chart: SVG, PNG or PDF)."""

from __future__ import annotations

from collections.abc import Sequence

from gradcli.check.array_compare import ArrayComparison
from gradcli.check.compare import Comparison, SecondComparison
from gradcli.check.sweep import Sweep
from gradcli.core.graph import Program
from gradcli.render.array_check_report import array_comparison_report
from gradcli.render.derivative_report import compare_json, compare_table, output_name
from gradcli.render.json_report import dumps
from gradcli.render.second_order_report import compare_second_data, compare_second_table
from gradcli.render.sweep_plot import sweep_figure, sweep_json, sweep_report
from gradcli.render.terminal import to_terminal


def comparison_report(comparison: Comparison | ArrayComparison, json_output: bool = False) -> str:
    """First derivatives four ways, side by side, with verdicts and expectations."""
    if isinstance(comparison, ArrayComparison):
        return array_comparison_report(comparison, json_output)
    if json_output:
        return compare_json(comparison)
    return to_terminal(lambda console: compare_table(comparison, console))


def second_comparison_report(comparison: SecondComparison, program: Program, json_output: bool = False) -> str:
    """The Hessian's entries against symbolic second derivatives and differences of the gradient."""
    if json_output:
        return dumps(compare_second_data(comparison))
    parts = compare_second_table(comparison, output_name(program))
    return to_terminal(lambda console: [console.print(part) for part in parts])


def sweep_text(sweeps: Sequence[Sweep], json_output: bool = False) -> str:
    """The step sweep's tables and plots in the terminal, or its JSON."""
    if json_output:
        return dumps(sweep_json(sweeps))
    return to_terminal(lambda console: sweep_report(sweeps, console))


def sweep_plot(sweeps: Sequence[Sweep], program: Program, fmt: str = "svg") -> bytes:
    """The step sweep as a chart file (``fmt``: svg, png or pdf), titled with the program on one line."""
    from gradcli.render.figures import figure_bytes

    return figure_bytes(sweep_figure(sweeps, program.source), fmt)
