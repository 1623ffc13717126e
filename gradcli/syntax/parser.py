"""Program text to graph: the grammar's LALR tables, and node building as rules reduce.

The builder's methods run *inside* the LALR parse (as Lark's ``transformer=`` option
runs them), so nodes are hash-consed as rules reduce and no parse tree is built:
parsing is as deep as the input without recursion. Bindings resolve in reduction
order, which gives Python's rebinding semantics (``c = c + c + 1`` reads the old ``c``).
The tables are Lark's for the grammar file, written out once
(:mod:`gradcli.syntax.table_maker`), so a program parses without loading Lark; Lark
parses the text itself only to report a syntax error.
"""

from __future__ import annotations

import textwrap
import threading
from typing import NamedTuple

from gradcli.core.algebra import NodeAlgebra
from gradcli.core.errors import NameProblem, SyntaxProblem
from gradcli.core.gcpause import paused_gc
from gradcli.core.graph import Graph, Program, unused_name
from gradcli.core.lazy_numpy import is_array, np
from gradcli.core.ops import COMPARISONS, COMPOSITES, CONSTANTS, FUNCTIONS, ONE_ARGUMENT_FORMS, OPS
from gradcli.syntax.fast_lexer import FastLexer, Token
from gradcli.syntax.grammar import grammar_path, grammar_text
from gradcli.syntax.hints import derivative_hint
from gradcli.syntax.lalr_driver import LalrDriver

__all__ = ["grammar_path", "node_builder", "parse"]
MAX_WHOLE = 2**31 - 1  # the largest index, axis or dimension a program may write
MAX_NESTING = 64  # [[...]] levels of one array literal: NumPy's most dimensions


class _Builder:
    """Reduction callbacks: each grammar alias builds (or finds) one node from its children.

    The methods take Lark's list of children rather than ``v_args(inline=True)`` arguments:
    that wrapper is one more Python call per reduction, 3-5 % of a big program's parse.

    A number stays a plain ``float`` until an operation uses it, so ``x**2`` and
    ``-3`` fold into the power and the literal without leaving stray nodes; node ids
    are ``int``.
    """

    def reset(self, source: str) -> None:
        self.source = source
        self.graph = Graph()
        self.env: dict[str, int] = {}
        self.inputs: dict[str, int] = {}
        self.defaults: dict[str, float] = {}
        self.labels: dict[int, tuple[str, int]] = {}  # node -> (name, which binding of it)
        self.bind_count: dict[str, int] = {}
        self.read: set[str] = set()
        self.last_read: tuple[int, str] = (-1, "")  # the node and name of the latest name read
        self.last_named: tuple[int, str] = (-1, "")  # ... of the latest bound name read or binding made
        self.shadowed: set[str] = set()  # constants (e, pi) the program binds as names of its own
        self.positions: dict[int, tuple[int, int]] = {}  # node -> where the call, @ or [ that made it is
        self.keywords = 0  # keyword arguments read so far: calls take the short path until there is one

    def _error(self, cls, message: str, token: Token) -> Exception:
        return cls(message, token.line, token.column, self.source)

    def _node(self, value: int | float | _Elements) -> int:
        cls = value.__class__
        if cls is float:
            return self.graph.const(value)
        if cls is _Elements:
            return self._array(value)
        if cls is _NoAxis:
            raise NameProblem("None is not a value: it is written only as axis=None (every axis)")
        if cls is _Slice:
            raise self._error(NameProblem, "a slice is written in a subscript, such as x[1:3]", value.token)
        return value

    def number(self, children: list[Token]) -> float:
        return float(children[0])

    def name(self, children: list[Token]) -> int | float:
        token = children[0]
        name = _spelled(token)
        node = self.env.get(name)
        if node is not None:
            if node == self.inputs.get(name):
                self.read.add(name)
            self.last_read = self.last_named = (node, name)
            return node
        if name == "None":
            return NO_AXIS
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            hint = f"call it as {name}(...), or declare an input of that name with a value first: {name} = 1"
            raise self._error(NameProblem, f"{name} is a function: {hint}", token)
        self.read.add(name)
        node = self._input(name)
        self.last_read = (node, name)
        return node

    def _input(self, name: str) -> int:
        node = self.graph.var(name)
        self.inputs.setdefault(name, node)
        return node

    def call(self, children: list) -> int:
        token, arguments = children
        name = token.value
        op = FUNCTIONS.get(name)
        if op is not None and not self.keywords and not op.has_param and name not in ONE_ARGUMENT_FORMS:
            count = len(arguments) if arguments else 0
            if count == op.arity:  # the common call, sin(x), without the general one's lists
                if op.name == "pow":
                    return self._power(*arguments)
                if count == 1:
                    (x,) = arguments
                    return self._placed(self.graph.make(op, (x if x.__class__ is int else self._node(x),)), token)
                node = self._node
                return self._placed(self.graph.make(op, tuple([node(a) for a in arguments])), token)
        return self._general_call(token, name, arguments)

    def _general_call(self, token: Token, name: str, arguments: list | None) -> int:
        positional = [a for a in arguments or () if a.__class__ is not _Keyword]
        keywords = {a.name: a for a in arguments or () if a.__class__ is _Keyword}
        if name in COMPOSITES:
            return self._composite(COMPOSITES[name], token, positional, keywords)
        op = FUNCTIONS.get(name)
        if name in ONE_ARGUMENT_FORMS and (len(positional) == 1 or keywords):
            op = OPS[ONE_ARGUMENT_FORMS[name]]
        if op is None:
            raise self._error(NameProblem, _unknown_function_message(name, derivative_hint(self.source)), token)
        if op.name == "pow" and len(positional) == 2 and not keywords:
            return self._power(*positional)
        param, positional = self._parameter(op, token, positional, keywords)
        if op.arity == -1 and len(positional) == 1 and positional[0].__class__ is _Elements:
            positional = list(positional[0])  # stack([a, b]) as NumPy writes it
        count = len(positional)
        if count != op.arity and not (op.arity == -1 and count > 0):
            raise self._error(NameProblem, _arity_message(name, op.arity, count), token)
        return self._placed(self.graph.make(op, tuple(self._node(a) for a in positional), param), token)

    def _parameter(self, op, token: Token, positional: list, keywords: dict) -> tuple[object, list]:
        """The node parameter a call gives: its keyword (``axis=0``), or for reshape its last argument."""
        for word in keywords.values():
            if word.name != op.keyword:
                allowed = f"it takes {op.keyword}=..." if op.keyword else "it takes no options"
                raise self._error(NameProblem, f"{token} has no option {word.name}: {allowed}", word.token)
        if op.keyword is not None and op.elementwise:
            return self._number_option(op, token, positional, keywords.get(op.keyword))
        if op.keyword is not None:
            word = keywords.get(op.keyword)
            return (op.default if word is None else self._axis(word.value, word.token)), positional
        if op.name == "reshape" and len(positional) == 2:
            return self._whole_numbers(positional[1], token, "a shape"), positional[:1]
        if op.name == "scatter" and len(positional) == 3:  # as a symbolic derivative writes it
            return self._index_key(positional[2], token), positional[:2]
        if op.name == "scatter":
            raise self._error(NameProblem, "scatter takes a value, an array and an index: scatter(g, x, [1:3])", token)
        return None, positional

    def _number_option(self, op, token: Token, positional: list, word) -> tuple[float, list]:
        """A number an elementwise op takes: ``elu(x, alpha=0.5)``, ``elu(x, 0.5)``, ``polygamma(1, x)``."""
        if word is None and len(positional) == op.arity + 1:
            value, positional = (positional[0], positional[1:]) if op.param_first else (positional[-1], positional[:-1])
        elif word is None and op.default is None:
            raise self._error(NameProblem, _arity_message(str(token), op.arity + 1, len(positional)), token)
        elif word is None:
            return op.default, positional
        else:
            value, token = word.value, word.token
        interval = op.valid.interval(op.arity)
        if value.__class__ is not float or not interval.contains(value):
            message = f"{op.callable_as[0]}'s {op.keyword} must be {interval.noun()} written in the program"
            message += f": {op.convention}" if op.param_first and op.convention else ""
            raise self._error(NameProblem, message, token)
        return value, positional

    def _composite(self, composite, token: Token, positional: list, keywords: dict) -> int:
        if len(positional) != composite.arity:
            raise self._error(NameProblem, _arity_message(str(token), composite.arity, len(positional)), token)
        options = dict(composite.options)
        for word in keywords.values():
            if word.name not in options:
                allowed = ", ".join(f"{k}=..." for k in options) or "no options"
                raise self._error(NameProblem, f"{token} has no option {word.name}: it takes {allowed}", word.token)
            options[word.name] = self._axis(word.value, word.token) if word.name == "axis" else word.value
        for key, value in options.items():
            if key != "axis" and value.__class__ is not float:
                raise self._error(NameProblem, f"{token}'s {key} must be a number written in the program", token)
        node = composite.build(NodeAlgebra(self.graph, simplify=False), *[self._node(a) for a in positional], **options)
        return self._placed(node, token)

    def _axis(self, value, token: Token) -> int | tuple[int, ...] | None:
        if value.__class__ is _Elements:
            return self._whole_numbers(value, token, "an axis")
        if value is NO_AXIS:
            return None
        return self._whole_number(value, token, "an axis")

    def _whole_number(self, value, token: Token, what: str) -> int:
        if value.__class__ is not float or not abs(value) <= MAX_WHOLE or value != int(value):
            message = f"{what} must be a whole number written in the program, at most {MAX_WHOLE:,} in size"
            raise self._error(NameProblem, message, token)
        return int(value)

    def _whole_numbers(self, value, token: Token, what: str) -> tuple[int, ...]:
        items = value if value.__class__ is _Elements else [value]
        return tuple(self._whole_number(v, token, what) for v in items)

    def _index_key(self, value, token: Token) -> tuple:
        """scatter's index, written as a subscript in brackets: ``[0]``, ``[1:3]``, ``[:, 0]``."""
        items = value if value.__class__ is _Elements else [value]
        return tuple(tuple(v) if v.__class__ is _Slice else self._whole_number(v, token, "an index") for v in items)

    def _placed(self, node: int, token: Token) -> int:
        """``node``, remembering where in the text it is made (for shape errors)."""
        self.positions.setdefault(node, (token.line, token.column))
        return node

    def keyword(self, children: list) -> _Keyword:
        token, value = children
        self.keywords += 1
        return _Keyword(str(token), value, token)

    def matmul(self, children: list) -> int:
        x, token, y = children
        return self._placed(self.graph.make(OPS["matmul"], (self._node(x), self._node(y))), token)

    def attribute(self, children: list) -> int:
        x, token = children
        if str(token) != "T":
            raise self._error(NameProblem, f"arrays have one attribute, .T (the transpose), not .{token}", token)
        return self._placed(self.graph.make(OPS["transpose"], (self._node(x),)), token)

    def index(self, children: list) -> int:
        x, token, subscripts = children
        key = tuple(self._subscript(item, token) for item in subscripts)
        return self._placed(self.graph.make(OPS["index"], (self._node(x),), key), token)

    def _subscript(self, item, token: Token):
        if item.__class__ is tuple:
            return item
        return self._whole_number(item, token, "an index")

    def subscripts(self, children: list) -> list:
        return children

    def slice(self, children: list) -> tuple[int | None, int | None, int | None]:
        start, colon, stop, _, step = children
        return tuple(None if v is None else self._whole_number(v, colon, "a slice bound") for v in (start, stop, step))

    def element_slice(self, children: list) -> tuple[_Slice, None]:
        """A slice in a list, as scatter's index is written (``scatter(g, x, [1:3])``)."""
        return _Slice(self.slice(children), children[1]), None

    def element(self, children: list) -> tuple[object, str | None]:
        """One element of ``[...]``, and its name when it is a bare name (the last one read)."""
        (value,) = children
        if value.__class__ is not int:
            return value, None
        return value, (self.last_read[1] if self.last_read[0] == value else None)

    def elements(self, children: list) -> list:
        return children

    def array(self, children: list) -> _Elements:
        token, items = children
        elements = _Elements([value for value, _ in items], token, [name for _, name in items])
        if elements.depth > MAX_NESTING:
            message = f"array literals nest at most {MAX_NESTING} deep (NumPy's limit on dimensions)"
            raise self._error(SyntaxProblem, message, token)
        return elements

    def _array(self, elements: _Elements) -> int:
        """The node of an array literal: one constant when every element is a number, else a stack."""
        if elements.constant is not None:
            return self.graph.const(elements.constant)
        nodes = tuple(self._node(v) for v in elements)
        return self._placed(self.graph.make(OPS["stack"], nodes, 0), elements.token)

    def arguments(self, children: list[int | float]) -> list[int | float]:
        return children

    def _binary(name: str):  # noqa: N805 - builds methods at class creation
        op = OPS[name]

        def build(self, children: list[int | float]) -> int:
            x, y = children
            if x.__class__ is not int:  # a node id already (the common case) needs no call
                x = self._node(x)
            if y.__class__ is not int:
                y = self._node(y)
            return self.graph.make(op, (x, y))

        return build

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")
    floor_divide = _binary("floor_divide")
    remainder = _binary("remainder")

    def compare(self, children: list) -> int:
        x, token, y = children
        op = OPS[COMPARISONS[str(token)]]
        return self.graph.make(op, (self._node(x), self._node(y)))

    def neg(self, children: list[int | float]) -> int | float:
        (x,) = children
        if x.__class__ is float:
            return -x  # a negative literal is a number, not an operation
        if x.__class__ is not int:  # an array literal, or None (refused)
            x = self._node(x)
        return self.graph.make(OPS["neg"], (x,))

    def pos(self, children: list[int | float]) -> int | float:
        return children[0]

    def pow(self, children: list) -> int:
        base, _, exponent = children
        return self._power(base, exponent)

    def _power(self, base: int | float, exponent: int | float) -> int:
        if exponent.__class__ is float:
            return self.graph.make(OPS["powc"], (self._node(base),), exponent)
        return self.graph.make(OPS["pow"], (self._node(base), self._node(exponent)))

    def assign(self, children: list) -> int:
        token, value = children
        name = _spelled(token)
        if name in CONSTANTS and name not in self.env:
            self.shadowed.add(name)  # as in Python, a binding hides the constant from here on
        count = self.bind_count.get(name, 0) + 1
        self.bind_count[name] = count
        constant = value
        if value.__class__ is _Elements:
            value = self._node(value)
            constant = self.graph.params[value] if self.graph.ops[value].name == "const" else None
        if (constant.__class__ is float or is_array(constant)) and count == 1 and name not in self.inputs:
            self.defaults[name] = constant  # `w = 0.5` and `x = [1, 2]` declare inputs with defaults
            node = self._input(name)
        else:
            node = self._node(value)
            if node not in self.labels and self.graph.ops[node].name != "var":
                self.labels[node] = (name, count)
        self.env[name] = node
        self.last_named = (node, name)
        return node

    def start(self, children: list) -> list[int | _Elements]:
        for statement in children[:-1]:
            if statement.__class__ is _Elements:
                raise self._error(
                    SyntaxProblem, "a list of outputs [...] must be the program's last statement", statement.token
                )
        statements = [c if c.__class__ is _Elements else self._node(c) for c in children]
        if statements and statements[-1].__class__ is not _Elements:
            self._name_the_output(statements[-1])
        return statements

    def _name_the_output(self, output: int) -> None:
        """An output written as a name (``...; d``, or bound last, ``y = d``) is called by that name,
        even when the node first got another one (``d = c``) or an earlier binding of it."""
        node, name = self.last_named
        if node == output and name in self.bind_count and self.graph.args[output]:
            self.labels[output] = (name, self.bind_count[name])


class _Slice(tuple):
    """start, stop and step of a slice written in a list, and the colon's token (for messages)."""

    def __new__(cls, bounds: tuple, token: Token) -> _Slice:
        made = super().__new__(cls, bounds)
        made.token = token
        return made


class _Elements(list):
    """The elements of a ``[e1, e2, ...]`` literal, where it starts, and each one's name when it is
    written as a bare name. As the last statement it lists the program's outputs; anywhere else it
    becomes an array (:meth:`_Builder._array`) when an operation uses it."""

    def __init__(self, values: list, token: Token, names: list[str | None]) -> None:
        super().__init__(values)
        self.token = token
        self.names = names
        self.depth = 1 + max((v.depth for v in values if v.__class__ is _Elements), default=0)
        self.constant = _constant_array(values)


def _constant_array(values: list) -> np.ndarray | None:
    """The array a literal of numbers is (inner literals were worked out when they were read)."""
    items = []
    for v in values:
        if v.__class__ is float:
            items.append(v)
        elif v.__class__ is _Elements and v.constant is not None:
            items.append(v.constant)
        else:
            return None
    try:
        return np.array(items, dtype=np.float64)
    except ValueError:
        return None  # ragged: the stack reports the shapes when it runs


class _NoAxis:
    """``None`` in ``axis=None``: every axis (the one place the name means something)."""


NO_AXIS = _NoAxis()


class _Keyword(NamedTuple):
    """``name=value`` in a call."""

    name: str
    value: object
    token: Token


def _spelled(token: Token) -> str:
    """A name as the program means it: ``π`` is ``pi``."""
    name = str(token)
    return "pi" if name == "π" else name


# Functions that exist so that derivatives read back (prod's, a sum's transpose): left out of the
# list an unknown name gets, which must fit an error's twelve lines (gradcli --help lists every one).
_DERIVATIVE_HELPERS = {"others_product", "broadcast_like", "broadcast_to", "sum_to", "reshape_like", "scatter", "count"}


def _unknown_function_message(name: str, hint: str = "") -> str:
    import difflib

    close = difflib.get_close_matches(name, [*FUNCTIONS, *COMPOSITES], n=3, cutoff=0.6)
    if close:
        return f"unknown function {name}; did you mean {' or '.join(close)}?" + (f"\nhint: {hint}" if hint else "")
    names = {op.callable_as[0] for op in FUNCTIONS.values()} - _DERIVATIVE_HELPERS | set(COMPOSITES)
    known = textwrap.fill(" ".join(sorted(names)), 78, initial_indent="known functions: ")
    return f"unknown function {name}" + (f"\nhint: {hint}" if hint else "") + f"\n{known}"


def _arity_message(name: str, expected: int, got: int) -> str:
    plural = "" if expected == 1 else "s"
    return f"{name} takes {expected} argument{plural}, got {got}"


_BUILDER = _Builder()
_FAST: tuple[FastLexer, LalrDriver] | bool | None = None


def node_builder() -> object:
    """The builder whose methods the parse calls (Lark's transformer, for the tables Lark builds)."""
    return _BUILDER


def _fast() -> tuple[FastLexer, LalrDriver] | None:
    """Our lexer and driver over the grammar's tables; None when they cannot serve (the grammar file
    changed and this Lark's tables cannot be read, or the tables name a builder method that is gone),
    and then Lark parses every program itself, as correctly and more slowly."""
    global _FAST
    if _FAST is None:
        from gradcli.syntax.grammar_tables import TABLES

        tables = TABLES
        try:
            if tables["grammar"] != grammar_text():
                from gradcli.syntax.table_maker import grammar_tables

                tables = grammar_tables(_BUILDER)
            _FAST = FastLexer(tables), LalrDriver(tables, _BUILDER)
        except Exception:  # noqa: BLE001 - whatever this Lark's internals are, Lark itself still parses
            _FAST = False
    return _FAST or None


def _statements(source: str) -> list:
    """The start rule's value: our lexer and driver, else (and on a syntax error, for its exception) Lark."""
    fast = _fast()
    if fast is not None:
        lexer, driver = fast
        kinds, values, complete = lexer.lex(source)
        if complete:
            parsed, statements = driver.parse(kinds, values)
            if parsed:
                return statements
        _BUILDER.reset(source)
    from gradcli.syntax.syntax_errors import parse_with_lark

    return parse_with_lark(_BUILDER, source)


_LOCK = threading.Lock()  # the one builder holds one parse's state


def parse(source: str, list_of_outputs: bool = True) -> Program:
    """Parse a program into its graph; raise :class:`SyntaxProblem` or :class:`NameProblem`.

    A list as the last statement lists several outputs; with ``list_of_outputs`` False it is
    one array-valued output.
    """
    with _LOCK:
        _BUILDER.reset(source)
        with paused_gc():
            statements = _statements(source)
        if not statements:
            raise SyntaxProblem("the program is empty: write an expression such as (3*x + 2)**2")
        b = _BUILDER
        last = statements[-1]
        several = last.__class__ is _Elements and list_of_outputs
        if last.__class__ is _Elements and not several:
            last = b._node(last)
        outputs = [b._node(v) for v in last] if several else [last]
        return Program(
            b.graph,
            outputs,
            dict(b.inputs),
            _readable_labels(b.labels, b.bind_count, set(b.inputs)),
            source,
            len(b.graph),
            dict(b.defaults),
            bound=frozenset(b.env) - frozenset(b.inputs),
            unread=frozenset(b.defaults) - b.read,
            output_names=last.names if several else None,
            shadowed=frozenset(b.shadowed),
            positions=dict(b.positions),
        )


def _readable_labels(labels: dict[int, tuple[str, int]], counts: dict[str, int], inputs: set[str]) -> dict[int, str]:
    """Binding names as labels. A name bound more than once keeps its plain spelling for its
    last binding (the value it has at the end, as in Python); the k-th binding before that
    is ``name_k``, a name the program does not use otherwise, so every label reads back."""
    taken = set(counts) | inputs
    readable: dict[int, str] = {}
    for node, (name, count) in labels.items():
        if count == counts[name] and name not in inputs:
            readable[node] = name
            continue
        readable[node] = label = unused_name(f"{name}_{count}", taken)
        taken.add(label)
    return readable
