"""Lark's LALR parser for the grammar file, with the node builder inside it.

Every program is parsed from tables Lark built once (:mod:`gradcli.syntax.grammar_tables`);
Lark itself is loaded only to make those tables, and to report a syntax error with its own
exception, which says what was expected. It builds its parser from the grammar each time
(50 ms, on an error only), rather than keep a cache file in a folder the user did not name.
"""

from __future__ import annotations

from lark import Lark

from gradcli.syntax.grammar import grammar_text


class JoinLinesInParentheses:
    """Python's implicit line joining: a new line inside ( ) or [ ] does not end a statement."""

    always_accept = ("_SEP",)
    opening, closing, joined, separator = ("LPAR", "LSQB"), ("RPAR", "RSQB"), "_SEP", ";"

    def process(self, stream):
        depth = 0
        opening, closing, joined, separator = self.opening, self.closing, self.joined, self.separator
        for token in stream:
            kind = token.type
            if kind in opening:
                depth += 1
            elif kind in closing:
                depth -= 1
            elif kind == joined and depth > 0 and token != separator:
                continue
            yield token


_PARSERS: dict[object, Lark] = {}


def lark_parser(builder: object) -> Lark:
    """Lark's parser of the grammar file, calling ``builder``'s methods as rules reduce (one per builder)."""
    parser = _PARSERS.get(builder)
    if parser is None:
        parser = _PARSERS[builder] = Lark(
            grammar_text(),
            parser="lalr",
            lexer="basic",  # loads twice as fast as the contextual lexer, and the grammar needs no context
            transformer=builder,
            maybe_placeholders=True,
            postlex=JoinLinesInParentheses(),
        )
    return parser
