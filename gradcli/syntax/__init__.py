"""Syntax: text to graph and back. It holds the grammar loader and LALR parser
(``parser``, reading ``grammars/gradcli.lark``), the infix printer that is the parser's
inverse (``infix``: what it prints, ``parse`` reads back to the same graph), and the
reading of point values such as ``x=pi/4`` (``points``). It may import ``core`` only.
"""
