"""Syntax errors: Lark's exception for a program, as a message with what was expected and a hint.

The parser reads programs from its own tables and, where they find no action, hands the
text to Lark, whose exception says where the error is and what could come next. Hints
name the slips people make from habit: Leibniz notation, Python, typography, a missing
operator, unbalanced parentheses.
"""

from __future__ import annotations

import keyword
import re

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from gradcli.core.errors import SyntaxProblem, argument, source_lines
from gradcli.core.ops import FUNCTIONS
from gradcli.syntax.hints import derivative_hint
from gradcli.syntax.lark_parser import lark_parser


def parse_with_lark(builder: object, source: str) -> list:
    """The start rule's value as Lark's parser gives it, calling ``builder``'s methods; a syntax
    error raises :class:`SyntaxProblem`."""
    parser = lark_parser(builder)
    try:
        return parser.parse(source)
    except UnexpectedInput as error:
        raise syntax_problem(error, source, parser) from None


_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "POW": "'**'",
    "_SEP": "a new line or ';'",
    "$END": "the end of the program",
    "COMPARE": "a comparison",
}


def _describe_terminal(parser: Lark, name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name
    if pattern.type != "str":
        return name.lower()
    return f"'{pattern.value}'" if pattern.value.isascii() else ""  # × and − are spellings of * and -


def _expected(parser: Lark, names) -> str:
    words = sorted({_describe_terminal(parser, n) for n in names} - {""})
    return ", ".join(words)


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return "end of the program"
    if token.type == "_SEP":
        return "end of the line" if str(token) != ";" else "';'"
    return f"'{token}'"


def syntax_problem(error: UnexpectedInput, source: str, parser: Lark) -> SyntaxProblem:
    """Lark's exception as one message: what was found, what could come instead, and a hint."""
    line, column = _position(error, source)
    if isinstance(error, UnexpectedCharacters):
        char = source[error.pos_in_stream] if error.pos_in_stream < len(source) else "?"
        message = f"unexpected character '{char}'"
        expected = error.allowed or set()
    else:
        token = error.token if isinstance(error, UnexpectedToken) else None
        message = f"unexpected {_token_text(token)}" if token is not None else "unexpected end of the program"
        expected = _acceptable(error)
    parentheses, brackets = _depth_before(error, source)
    if parentheses <= 0:  # LALR merges states; these cannot fit here
        expected = set(expected) - {"RPAR"} - ({"COMMA"} if brackets <= 0 else set())
    if brackets <= 0:
        expected = set(expected) - {"RSQB"}
    hint = _slip_hint(error, source, parser) or _hint(error, source, parser)
    detail = message
    if expected:
        detail += f"; expected {_expected(parser, expected)}"
    if hint:
        detail += f"\nhint: {hint}"
    return SyntaxProblem(f"syntax error: {detail}", line, column, source)


def _acceptable(error: UnexpectedInput) -> set[str]:
    """Every terminal that could come next (Lark simulates the pending reductions)."""
    try:
        return set(error.accepts)
    except Exception:  # noqa: BLE001 - the simulation runs our callbacks; fall back
        return set(getattr(error, "expected", ()) or ())


def _position(error: UnexpectedInput, source: str) -> tuple[int, int]:
    line, column = getattr(error, "line", -1), getattr(error, "column", -1)
    at_end = getattr(getattr(error, "token", None), "type", None) == "$END"
    if at_end or line is None or line < 1:  # Lark places the end at the last token
        lines = source_lines(source)
        return len(lines), len(lines[-1]) + 1
    return line, column


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_MODULES = {"math", "np", "numpy", "torch", "jnp", "jax", "sympy", "sp", "F", "nn", "cmath"}


def _slip_hint(error: UnexpectedInput, source: str, parser: Lark) -> str:
    """A hint for what people type from habit: Leibniz notation, Python, typography."""
    before = _previous_token(error, source, parser)
    if isinstance(error, UnexpectedCharacters):
        return derivative_hint(source) or _character_hint(source, error.pos_in_stream, before)
    token = getattr(error, "token", None)
    if token is not None and token.type == "EQUAL" and before is not None and before.type == "RPAR":
        return "a binding names a value, not a function: write f = x**2, then use f"
    dotted = _dotted_call(source, token)
    if dotted:
        return dotted
    words = {str(t) for t in (token, before) if t is not None and t.type == "NAME"}
    python = next((_PYTHON_WORDS[w] for w in _PYTHON_WORDS if w in words), "")
    generic = _NOT_PYTHON if words & set(keyword.kwlist) else ""
    return derivative_hint(source) or python or generic


def _dotted_call(source: str, token: Token | None) -> str:
    """``math.tanh(x)`` reads as an attribute and a stray '(': say that functions are built in."""
    if token is None or token.type != "LPAR" or token.start_pos is None:
        return ""
    dotted = re.search(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*$", source[: token.start_pos])
    if dotted is None or not (dotted.group(2) in FUNCTIONS or dotted.group(1) in _MODULES):
        return ""
    module, function = dotted.groups()
    return f"functions are built in: call {function}(...), not {module}.{function}(...) (this is not Python)"


def _character_hint(source: str, pos: int, before: Token | None) -> str:
    """``x²`` and ``math.tanh(x)``: what to write instead."""
    char = source[pos] if pos < len(source) else ""
    name = str(before) if before is not None and before.type in ("NAME", "NUMBER") and before.end_pos == pos else ""
    if char and char in _SUPERSCRIPTS_TEXT:
        base = name or "x"
        return f"write powers with **: {base}**{char.translate(_SUPERSCRIPTS)}, not {base}{char}"
    if char == "." and name:
        after = re.match(r"\.([A-Za-z_]\w*)", source[pos:])
        function = after.group(1) if after else ""
        if function in FUNCTIONS or name in _MODULES:
            function = function or "tanh"
            return f"functions are built in: call {function}(...), not {name}.{function}(...) (this is not Python)"
        return "a name cannot contain '.'"
    return ""


_SUPERSCRIPTS_TEXT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_NOT_PYTHON = "gradcli reads its own small language, not Python: expressions and bindings such as y = x**2"
_PYTHON_WORDS = {
    "import": f"there is nothing to import: every function is built in ({argument('gradcli.FUNCTIONS')} lists them)",
    "from": f"there is nothing to import: every function is built in ({argument('gradcli.FUNCTIONS')} lists them)",
    "def": "gradcli has no function definitions: bind names to values instead, e.g. y = x**2; loss = (y - 1)**2",
    "lambda": "gradcli has no function definitions: bind names to values instead, e.g. y = x**2; loss = (y - 1)**2",
    "return": "there is no return: the last statement of the program is its output",
    "if": "there is no if/else: relu, step, abs, max, min and clamp make choices (e.g. max(x, 0))",
    "else": "there is no if/else: relu, step, abs, max, min and clamp make choices (e.g. max(x, 0))",
}


def _hint(error: UnexpectedInput, source: str, parser: Lark) -> str:
    token = getattr(error, "token", None)
    kind = getattr(token, "type", None)
    before = _previous_token(error, source, parser)
    if before is not None and before.type == "NAME" and str(before) in FUNCTIONS and kind in ("NAME", "NUMBER"):
        return f"call a function with parentheses: {before}({token})"
    if before is not None and before.type in ("NUMBER", "NAME", "RPAR") and kind in ("NAME", "NUMBER", "LPAR"):
        gap = " " if before.end_pos is not None and before.end_pos < token.start_pos else ""
        return f"missing operator: write {before}*{token} for a product, not {before}{gap}{token}"
    if kind == "COMPARE" and before is not None and str(before) == "=":
        return f"write {token}= to compare: ={token} is not an operator"
    if kind == "COMPARE":
        return "comparisons do not chain here: write 1 < x < 3 as (1 < x)*(x < 3)"
    if kind == "LSQB":
        return "a list of outputs [e1, e2] is a statement of its own, and the program's last"
    if kind == "RSQB" and before is not None and before.type == "LSQB":
        return "a list of outputs needs at least one expression: [x**2, x*y]"
    opened = source.count("(") - source.count(")")
    if kind == "RPAR" and opened < 0:
        return "unbalanced parentheses: this ')' has no matching '('"
    dangling = _dangling_operator(source, token)
    if kind in ("$END", "_SEP") and dangling:
        return f"the expression ends with the operator '{dangling}': give it a right-hand operand"
    if kind in ("$END", "_SEP", "COMMA") and opened > 0:
        return f"unbalanced parentheses: {opened} '(' not closed"
    return ""


def _depth_before(error: UnexpectedInput, source: str) -> tuple[int, int]:
    """How many parentheses, and how many brackets, are open at the error position."""
    token = getattr(error, "token", None)
    pos = getattr(error, "pos_in_stream", None)
    if token is not None and token.type != "$END" and token.start_pos is not None:
        pos = token.start_pos
    text = source if pos is None or pos < 0 else source[:pos]
    return text.count("(") - text.count(")"), text.count("[") - text.count("]")


def _dangling_operator(source: str, token: Token | None) -> str:
    """The operator just before the error position, if the text ends there with one."""
    at_end = token is None or token.type == "$END" or token.start_pos is None
    end = len(source) if at_end else token.start_pos
    before = source[:end].rstrip()
    for operator in ("**", "+", "-", "*", "/", "^", "="):
        if before.endswith(operator):
            return operator
    return ""


def _previous_token(error: UnexpectedInput, source: str, parser: Lark) -> Token | None:
    """The token before the one that failed: the text up to it, lexed again."""
    token = getattr(error, "token", None)
    end = token.start_pos if token is not None and token.type != "$END" else len(source)
    if isinstance(error, UnexpectedCharacters):
        end = error.pos_in_stream
    if end is None:
        return None
    try:
        tokens = list(parser.lex(source[:end]))
    except UnexpectedInput:
        return None
    return tokens[-1] if tokens else None
