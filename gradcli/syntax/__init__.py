"""Syntax: text to graph and back. The grammar file (``grammars/gradcli.lark``, found by
``grammar``) is the syntax; ``parser`` builds the graph as the LALR parse reduces rules, with the
lexer (``fast_lexer``) and driver (``lalr_driver``) over Lark's tables written out once
(``grammar_tables``, by ``table_maker``); Lark itself (``lark_parser``) is loaded only to report a
syntax error (``syntax_errors``, with ``hints``). ``infix`` is the printer that is the parser's
inverse (what it prints, ``parse`` reads back to the same graph), and ``points`` reads point values
such as ``x=pi/4`` and ranges such as ``x=-4:4``. It may import ``core`` only.
"""
