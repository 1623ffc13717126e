"""A derivative as gradcli text: flat, or as a program naming what it shares."""

from __future__ import annotations

from gradcli.ad.symbolic import Derivative, Sizes
from gradcli.core.errors import InputProblem, argument
from gradcli.syntax.infix import to_infix, to_program

MAX_EXPANDED = 200_000  # operations: beyond this a flat expression is not printed


def derivative_texts(d: Derivative, sizes: Sizes, expand: bool = False) -> dict[str, str]:
    """Each derivative as gradcli text: the shorter of the flat expression and the program
    with named shared subexpressions (``expand``: always the flat expression)."""
    g, program = d.program.graph, d.program
    texts = {}
    for name, node in d.nodes.items():
        operations = sizes.expanded_operations[name]
        shared = to_program(g, {name: node}, program.labels, set(program.inputs), program.constants)
        if operations > MAX_EXPANDED:
            if expand:
                refuse_one_expression(name, operations, "expand")
            texts[name] = shared
            continue
        flat = to_infix(g, node, constants=program.constants)
        texts[name] = flat if expand or len(flat) <= len(shared) else shared
    return texts


def refuse_one_expression(name: str, operations: int, asked_by: str, why: str = "") -> None:
    """Refuse to print d/d``name`` as one expression of ``operations`` operations, which
    ``asked_by`` (an argument) asked for; leaving it out prints the program with shared names."""
    reason = f"d/d{name} has {operations:,} operations as one expression{why}"
    raise InputProblem(f"{reason}; leave out {argument(asked_by)} for the program with shared names", asked_by)
