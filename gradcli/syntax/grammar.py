"""The grammar file, which is gradcli's whole surface syntax: where it is and what it says."""

from __future__ import annotations

from pathlib import Path

GRAMMAR_NAME = "gradcli.lark"


def grammar_path() -> Path:
    """The grammar: packaged copy (wheel install) first, then the checkout's ``grammars/``."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "grammars" / GRAMMAR_NAME, here.parent / "grammars" / GRAMMAR_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"grammar {GRAMMAR_NAME} not found next to {here}")


def grammar_text() -> str:
    """The grammar file's text."""
    return grammar_path().read_text(encoding="utf-8")
