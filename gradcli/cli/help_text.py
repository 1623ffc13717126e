"""The help pages' examples and notes, kept apart from the option parsing.

Every example is one shell line that runs as printed from a checkout of the repository
(a test runs each one). Click re-wraps help paragraphs to the terminal's width unless a
paragraph starts with a ``\\b`` line; the examples are such a paragraph, so no example
is ever broken across lines, and each is short enough for an 80-column terminal.
"""

from __future__ import annotations

from gradcli.core.ops import COMPOSITES, GROUPS, OPS, Op

NO_REWRAP = "  \b"  # click keeps this paragraph's lines as they are, indented by two more
MAX_EXAMPLE = 76  # characters: with the help's indentation of 4, an example fits 80 columns


def epilog(examples: list[str], notes: str = "") -> str:
    """The text after the options: the examples (never re-wrapped), then the notes."""
    parts = ["Examples:", "\n".join([NO_REWRAP, *examples])]
    return "\n\n".join(parts + ([notes] if notes else []))


def function_names() -> str:
    """Every function a program may call, from the op table; aliases in parentheses."""
    names = []
    for op in OPS.values():
        if op.callable_as:
            first, *aliases = op.callable_as
            names.append(f"{first} ({', '.join(aliases)})" if aliases else first)
    return " ".join(names + list(COMPOSITES))


def signature(op: Op) -> str:
    """How a call of ``op`` is written: its arguments, then its option with the default."""
    args = "x, y, ..." if op.arity < 0 else ", ".join("xyz"[: op.arity])
    if op.name in ("reshape", "scatter"):
        args += ", shape" if op.name == "reshape" else ", index"
    if op.param_first:
        args = f"{op.keyword}, {args}"
    elif op.keyword is not None:
        args += f", {op.keyword}={op.default}"
    return args


def function_table() -> str:
    """The README's table of functions, from the op table, by group: each call, its ``doc``,
    its domain and its convention where it has no derivative."""
    rows = ["| function | value | needs | where it has no derivative |", "|---|---|---|---|"]
    for group, names in GROUPS.items():
        rows.append(f"| **{group}** | | | |")
        rows.extend(_function_row(name) for name in names)
    return "\n".join(rows)


def _function_row(name: str) -> str:
    if name in COMPOSITES:
        composite = COMPOSITES[name]
        args = ", ".join([*"xyz"[: composite.arity], *(f"{k}={v}" for k, v in composite.options)])
        return f"| `{composite.name}({args})` | {composite.doc} (built from primitives) | | |"
    op = OPS[name]
    calls = ", ".join(f"`{call}({signature(op)})`" for call in op.callable_as)
    return f"| {calls} | {op.doc} | {op.domain} | {op.convention} |"


def function_groups() -> str:
    """The functions by group, one sentence each, for ``gradcli eval --help``."""
    return " ".join(f"{group.capitalize()}: {' '.join(map(_spelled, names))}." for group, names in GROUPS.items())


def _spelled(name: str) -> str:
    """A function's name, with its aliases in parentheses: ``log (ln)``."""
    aliases = OPS[name].callable_as[1:] if name in OPS else ()
    return f"{name} ({', '.join(aliases)})" if aliases else name


EXAMPLES: dict[str, list[str]] = {
    "": [
        'gradcli eval "(3*x + 2)**2" --at x=1',
        'gradcli eval "a = x*3; b = a + 1; c = b**2" --at x=2 --backward-order',
        'gradcli eval "h = relu(w*x + b); loss = (h - 1)**2" --at w=0.5,x=2,b=0.1',
        'gradcli diff "sin(x**2)"',
        'gradcli compare "x**3*sin(x)" --at x=1.5',
        'gradcli jacobian "[x0**2 + x1, x0*x1]" --at x0=2,x1=3',
        'gradcli graph "x*y + x**2" --at x=2,y=3 -o graph.svg',
        'gradcli plot "sigmoid(x)" --over x=-4:4',
    ],
    "eval": [
        'gradcli eval "(3*x + 2)**2" --at x=1',
        'gradcli eval "a = x*3; b = a + 1; c = b**2" --at x=2',
        'gradcli eval "x*y + x**2" --at x=2,y=3 --json',
        "gradcli eval \"-x**2\" --at x=1          # a program may start with '-'",
        "gradcli eval -f examples/13_two_layer_net.grad --at x1=1 --at x2=-2",
        'echo "sin(exp(x**2))" | gradcli eval -f - --at x=0.5',
        'gradcli eval "sin(x)" --at x=pi/4       # values may be expressions',
        'gradcli eval "x**3*sin(y)" --at x=1,y=2 --order 2      # the Hessian',
        'gradcli eval "x**2*y" --at x=1,y=2 --hvp x=1,y=0       # H v',
        'gradcli eval "[x0**2 + x1, x0*x1]" --at x0=2,x1=3      # the Jacobian',
        'gradcli eval "sum(x**3)" --at "x=[1,2,3]"               # arrays',
        "gradcli eval -f examples/arrays/xor_network.grad",
        'gradcli eval "x**2*y" --over x=0:1:0.25 --at y=2     # a row per point',
        'gradcli eval "sigmoid(x)" --over x=-4:4 --points 9 --csv',
    ],
    "diff": [
        'gradcli diff "(3*x + 2)**2"                  # prints 6*(3*x + 2)',
        "gradcli eval \"$(gradcli diff 'sin(x**2)')\" --at x=1.5   # a program too",
        'gradcli diff "x*y + x**2" --wrt x --wrt y --json',
        'gradcli diff "f1 = sin(x)*x; f2 = sin(f1)*f1" --expand --latex',
        'gradcli diff "(1 - x)**2 + 100*(y - x**2)**2" --order 2',
        'gradcli diff "sum(x**3)" --at "x=[1,2,3]"     # arrays need values',
    ],
    "compare": [
        'gradcli compare "sin(x**2)" --at x=1.5',
        'gradcli compare "x**3*sin(x)" --at x=1.5 --h 1e-4',
        'gradcli compare "(3*x + 2)**2" --at x=1 --expect x="2*(3*x + 2)*3"',
        'gradcli compare "relu(x)" --at x=0        # a kink is flagged, not failed',
        'gradcli compare "sin(x)" --at x=1 --sweep -o sweep.svg   # the best step',
        'gradcli compare "x**3*sin(y)" --at x=1,y=2 --order 2     # the Hessian',
        'gradcli compare "x*y + exp(z)" --at x=1,y=2,z=0 --wrt z   # one input',
        "gradcli compare -f examples/arrays/xor_network.grad   # arrays: per element",
    ],
    "jacobian": [
        'gradcli jacobian "[x0**2 + x1, x0*x1]" --at x0=2,x1=3',
        'gradcli jacobian "s = x**2; [s*3, s + 5]" --at x=2 --mode forward',
        "gradcli jacobian -f examples/22_jacobian.grad --json",
        'gradcli jacobian "softmax(z)" --at "z=[1,2,3]"     # s_i (delta_ij - s_j)',
    ],
    "graph": [
        'gradcli graph "a = x*3; b = a + 1; c = b**2" --at x=2 -o graph.svg',
        'gradcli graph "(3*x + 2)**2"               # DOT of the structure, on stdout',
        'gradcli graph "x*y + x**2" --at x=2,y=3 --edge-labels --highlight x -o p.png',
        "gradcli graph -f examples/13_two_layer_net.grad --rankdir TB -o net.pdf",
        "gradcli graph -f examples/03_backward_trace.grad --html steps.html",
        "gradcli graph -f examples/03_backward_trace.grad --frames slides",
    ],
    "plot": [
        'gradcli plot "sigmoid(x)" --over x=-4:4          # f and f-prime, in text',
        'gradcli plot "sigmoid(x)" --over x=-4:4 --order 2 -o sigmoid.svg',
        'gradcli plot "relu(x - 1)*y" --over x=-2:3 --at y=2 -o relu.png',
        'gradcli plot "log(x)" --over x=-1:3               # a gap, and why',
        "gradcli plot -f examples/plots/rosenbrock.grad --over x=-2:2,y=-1:3",
        'gradcli plot "x**2 + 3*y**2" --over x=-2:2,y=-2:2 --descend-from x=-2,y=1',
    ],
}

NOTES: dict[str, str] = {
    "": ("Run 'gradcli COMMAND --help' for a command's options and more examples."),
    "eval": (
        "Syntax: numbers (2, 1.5, .5, 1e-3), names, pi, e; + - * / ** (^ too); unary - +; "
        "< <= > >= == != (1 or 0), // and %; f(x) for the functions below (README.md's function "
        "table says what each computes, where it is defined and its convention at kinks). "
        "Statements are separated by new lines or ';'; "
        "'name = expr' binds a name; the last statement is the output, or a list [e1, e2] of "
        "outputs; '#' starts a comment. 'w = 0.5' on its own declares an input w with default "
        "0.5 (--at w=... overrides it).\n\n" + function_groups()
    ),
    "diff": (
        "The derivative is built from the graph with the same rules as reverse mode, simplified "
        "as it is built. It is printed as one expression, or, when shorter, as a program that "
        "names the subexpressions it shares (--expand forces one expression). --json adds the "
        "sizes: program nodes, derivative nodes, and operations of the fully expanded tree."
    ),
    "compare": (
        "Relative error against reverse mode: |a - n| / max(|a|, |n|, 1e-8); PASS below 1e-5, "
        "WARNING below 1e-3, FAIL otherwise. Exit code 1 when something FAILs, so it can gate a "
        "script. The central-difference step is eps**(1/3) * max(1, |x|) (for |x| > 1, the "
        "unscaled eps**(1/3) when the data says it is better) unless --h is given; a step that "
        "would straddle a kink is shortened. stop_gradient values are held fixed in the "
        "differences, as automatic differentiation holds them."
    ),
    "jacobian": (
        "A program whose last statement is a list [e1, e2, ...] has several outputs. Forward "
        "mode builds the Jacobian a column at a time (one pass per input), reverse mode a row at "
        "a time (one pass per output); auto picks the mode with fewer passes and says why. Both "
        "modes run, so their pass counts and times are shown side by side (--skip-other: only "
        "the chosen one)."
    ),
    "plot": (
        "One input: f and f' (f'' too with --order 2) over the range, with interior extremes "
        "annotated, kinks marked and gaps where a value is nan or infinite, each with the node "
        "where it first appears. Two inputs: f in shades (the terminal) or filled contours (a "
        "file), with the gradient's direction as arrows; --descend-from draws the path of gradient "
        "descent (--optimizer sgd, momentum or adam) and f along it. Other inputs are held at "
        "their --at values. -o writes SVG, PNG or PDF; the notes still go to stdout. Every point "
        "equals 'gradcli eval' at that point, to the last bit."
    ),
    "graph": (
        "Nodes show their value and gradient; inputs are ellipses, the output has a double "
        "border, constants are plain text, nodes that do not reach the output are grey and "
        "dashed. Fill shows |gradient| on a log scale (see the legend). Dashed edges go into "
        "stop_gradient. Without --at, and without defaults like 'x = 2' for every input in the "
        "program, only the structure is drawn."
    ),
}


SUMMARIES: dict[str, str] = {
    "eval": "Value, gradient and backward trace of PROGRAM.",
    "diff": "The symbolic derivative of PROGRAM.",
    "compare": "Symbolic, numerical, forward and reverse derivatives.",
    "jacobian": "The Jacobian of the outputs; each mode's cost.",
    "graph": "Draw PROGRAM's computation graph with Graphviz.",
    "plot": "Curves of f and f' over a range; f and its gradient over two inputs.",
}


def help_for(command: str) -> str:
    """The epilog of ``gradcli COMMAND --help`` (``""``: of ``gradcli --help``)."""
    return epilog(EXAMPLES[command], NOTES[command])
