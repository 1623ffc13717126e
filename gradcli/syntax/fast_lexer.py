"""A lexer for big programs: Lark's own terminals as one master regex, read in one tight loop.

It yields the token stream Lark's basic lexer and the parser's line-joining postlexer give
(same types, same line and column of every token), as two lists: the terminal names, and
for each a Lark ``Token`` where a rule keeps the token, ``None`` where every rule drops it.
It does not report errors: where no terminal matches it stops and says so, and the caller
lets Lark parse the text again for its exact exception.
"""

from __future__ import annotations

import re

from lark import Lark, Token

NEWLINE = "\n"
KEPT, FILTERED, IGNORED, LINES = "kept", "filtered", "ignored", "lines"  # what the lexer does with a terminal


class FastLexer:
    """Lark's basic lexer and the postlexer that joins lines inside brackets, as one loop.

    The postlexer (``lark.options.postlex``) names its bracket terminals (``opening``,
    ``closing``), the terminal it drops inside them (``joined``) unless it is ``separator``.
    """

    def __init__(self, lark: Lark) -> None:
        basic = lark.parser.lexer.lexer  # the BasicLexer inside the postlexer's connector
        basic.scanner  # noqa: B018 - builds the lexer's callbacks, which must be none
        if basic.callback:
            raise ValueError("terminals with lexer callbacks are not supported")
        alternatives = (f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in basic.terminals)  # Lark's order
        self.master = re.compile("|".join(alternatives), basic.g_regex_flags)
        self.ignored = basic.ignore_types
        self.kept = _kept_terminals(lark)
        self.roles = {t.name: _role(t.name, self.kept, basic) for t in basic.terminals}
        joining = lark.options.postlex
        self.opening, self.closing = joining.opening, joining.closing
        self.joined, self.separator = joining.joined, joining.separator

    def lex(self, text: str) -> tuple[list[str], list[Token | None], bool]:
        """Terminal names, tokens, and whether the whole text was read."""
        kinds: list[str] = []
        values: list[Token | None] = []
        add_kind, add_value, new = kinds.append, values.append, str.__new__
        roles = self.roles
        line, line_start, end = 1, 0, 0
        brackets = [0, 0]  # the depth in brackets, and how many tokens it counts
        for match in self.master.finditer(text):
            start, stop = match.span()
            if start != end:
                return kinds, values, False
            end = stop
            kind = match.lastgroup
            role = roles[kind]
            if role is KEPT:  # a Token as Lark's lexer makes it, without the calls
                value = match.group()
                token = new(Token, value)
                token.type, token.start_pos, token.value = kind, start, value
                token.line = token.end_line = line
                token.column = start - line_start + 1
                token.end_column, token.end_pos = stop - line_start + 1, stop
                add_kind(kind)
                add_value(token)
            elif role is FILTERED:
                add_kind(kind)
                add_value(None)
            elif role is LINES:
                line, line_start = self._lines(kinds, values, match, line, line_start, brackets)
        return kinds, values, end == len(text)

    def _lines(self, kinds: list, values: list, match: re.Match, line: int, line_start: int, brackets: list):
        """A terminal that may hold new lines: counted, then added unless ignored or joined."""
        kind, value, start = match.lastgroup, match.group(), match.start()
        token = None
        if kind in self.kept:
            token = Token(kind, value, start, line, start - line_start + 1)
        count = value.count(NEWLINE)
        if count:
            line += count
            line_start = start + value.rindex(NEWLINE) + 1
        if kind in self.ignored or (kind == self.joined and value != self.separator and self._depth(kinds, brackets)):
            return line, line_start
        if token is not None:
            token.end_line, token.end_column, token.end_pos = line, match.end() - line_start + 1, match.end()
        kinds.append(kind)
        values.append(token)
        return line, line_start

    def _depth(self, kinds: list[str], brackets: list[int]) -> bool:
        """Whether a bracket is open after ``kinds`` (counting on from where the last count stopped)."""
        recent = kinds[brackets[1] :]
        brackets[0] += sum(map(recent.count, self.opening)) - sum(map(recent.count, self.closing))
        brackets[1] = len(kinds)
        return brackets[0] > 0


def _kept_terminals(lark: Lark) -> frozenset[str]:
    """Terminals some rule keeps as a child (the others are filtered out of every rule)."""
    return frozenset(
        symbol.name
        for rule in lark.rules
        for symbol in rule.expansion
        if symbol.is_term and (rule.options.keep_all_tokens or not symbol.filter_out)
    )


def _role(name: str, kept: frozenset[str], basic) -> str:
    """What the loop does with a terminal; one that may hold new lines takes the slow path."""
    if name in basic.newline_types:
        return LINES
    if name in basic.ignore_types:
        return IGNORED
    return KEPT if name in kept else FILTERED
