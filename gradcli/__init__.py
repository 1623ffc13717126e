"""gradcli: gradients you can read. A command-line gradient calculator and graph visualizer.

The library under the CLI::

    >>> import gradcli
    >>> ev = gradcli.evaluate("a = x*3; b = a + 1; c = b**2", {"x": 2})
    >>> ev.value, ev.gradient
    (49.0, {'x': 42.0})
    >>> [(row.label, row.grad) for row in gradcli.build_trace(ev) if row.role != "constant"]
    [('x', 42.0), ('a', 14.0), ('b', 14.0), ('c', 1.0)]

Over a range, every point at once (a notebook shows a chart; its ``data`` holds the arrays)::

    >>> chart = gradcli.plot("sigmoid(x)", {"x": (-4, 4)})
    >>> [(e.kind, e.value) for e in chart.data.curves[1].extremes]
    [('max', 0.25)]
    >>> gradcli.evaluate_over("x**2", {"x": [1, 2, 3]}).gradient("x").tolist()
    [2.0, 4.0, 6.0]
"""

from __future__ import annotations

__version__ = "0.1.0"

# Imported on first use, so that `gradcli --version` and the CLI start fast.
_API = {
    "parse": "gradcli.syntax.parser",
    "evaluate": "gradcli.ad.evaluation",
    "Evaluation": "gradcli.ad.evaluation",
    "build_trace": "gradcli.explain.trace",
    "evaluate_over": "gradcli.ad.batch",
    "Batch": "gradcli.ad.batch",
    "descend": "gradcli.ad.descent",
    "plot": "gradcli.render.range_figures",
    "Chart": "gradcli.render.range_figures",
    "Program": "gradcli.core.graph",
    "Graph": "gradcli.core.graph",
    "GradcliError": "gradcli.core.errors",
    "SyntaxProblem": "gradcli.core.errors",
    "NameProblem": "gradcli.core.errors",
    "InputProblem": "gradcli.core.errors",
    "UnknownInput": "gradcli.core.errors",
    "MissingValues": "gradcli.core.errors",
    "OPS": "gradcli.core.ops",
    "FUNCTIONS": "gradcli.core.ops",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
    import importlib

    importlib.import_module("gradcli.render.graphviz_render")  # notebooks draw programs and evaluations
    importlib.import_module("gradcli.explain.diagnostics")  # anomalies explain themselves
    return getattr(importlib.import_module(module), name)
