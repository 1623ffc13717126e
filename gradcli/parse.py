"""Temporary alias of :mod:`gradcli.parser` (removed before release)."""

from gradcli.parser import *  # noqa: F401,F403
from gradcli.parser import _parser, grammar_path, parse  # noqa: F401
