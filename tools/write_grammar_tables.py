"""Write gradcli/syntax/grammar_tables.py from the grammar file (run it after changing the grammar)."""

from __future__ import annotations

import sys

from gradcli.syntax.parser import node_builder
from gradcli.syntax.table_maker import TABLES_PATH, grammar_tables, module_text


def main() -> None:
    """Lark's tables for the grammar file with the parser's node builder, written as a module."""
    TABLES_PATH.write_text(module_text(grammar_tables(node_builder())), encoding="utf-8")
    print(f"wrote {TABLES_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
