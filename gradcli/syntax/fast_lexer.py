"""The lexer: the grammar's terminals as one master regex, read in one tight loop.

It yields the token stream Lark's basic lexer and the parser's line-joining postlexer give
(same types, same line and column of every token), as two lists: the terminal names, and
for each a :class:`Token` where a rule keeps the token, ``None`` where every rule drops it.
It does not report errors: where no terminal matches it stops and says so, and the caller
lets Lark parse the text again for its exact exception.
"""

from __future__ import annotations

import re

NEWLINE = "\n"
KEPT, FILTERED, IGNORED, LINES = "kept", "filtered", "ignored", "lines"  # what the lexer does with a terminal


class Token(str):
    """A token's text, terminal name and place, with the fields of Lark's ``Token``."""

    __slots__ = ("type", "start_pos", "value", "line", "column", "end_line", "end_column", "end_pos")

    def __new__(cls, kind: str, value: str, start: int, line: int, column: int) -> Token:
        token = str.__new__(cls, value)
        token.type, token.value, token.start_pos, token.line, token.column = kind, value, start, line, column
        return token


class FastLexer:
    """Lark's basic lexer and the postlexer that joins lines inside brackets, as one loop.

    ``tables`` (:mod:`gradcli.syntax.table_maker`) hold the terminals in Lark's order, what
    to do with each, and the postlexer's bracket terminals (``opening``, ``closing``), the
    terminal it drops inside them (``joined``) unless it is ``separator``.
    """

    def __init__(self, tables: dict) -> None:
        alternatives = (f"(?P<{name}>{regex})" for name, regex in tables["terminals"])
        self.master = re.compile("|".join(alternatives), tables["flags"])
        self.ignored = frozenset(tables["ignored"])
        self.kept = frozenset(tables["kept"])
        self.roles = tables["roles"]
        self.opening, self.closing, self.joined, self.separator = tables["joining"]

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
            if role == KEPT:  # a Token as Lark's lexer makes it, without the calls
                value = match.group()
                token = new(Token, value)
                token.type, token.start_pos, token.value = kind, start, value
                token.line = token.end_line = line
                token.column = start - line_start + 1
                token.end_column, token.end_pos = stop - line_start + 1, stop
                add_kind(kind)
                add_value(token)
            elif role == FILTERED:
                add_kind(kind)
                add_value(None)
            elif role == LINES:
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
