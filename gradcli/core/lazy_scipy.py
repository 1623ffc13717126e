"""SciPy's special functions, loaded the first time a program uses one (digamma, j0, erfinv, ...).

``special`` stands for the ``scipy.special`` module, as :data:`gradcli.core.lazy_numpy.np`
stands for NumPy: its first attribute lookup imports SciPy inside
:func:`gradcli.core.limits.room_for_libraries` (the memory limit grows by the address space
the library maps), and from then on every lookup is a plain attribute of this object. A
program without such a function never loads SciPy, so start-up time does not change.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from gradcli.core import lazy_numpy


class _Special:
    """The ``scipy.special`` module, imported on first use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(load(), name)


special: Any = _Special()


def load() -> ModuleType:
    """Import ``scipy.special`` (once, with NumPy first) and make ``special``'s attributes its attributes."""
    module = sys.modules.get("scipy.special")
    if module is None or "psi" not in special.__dict__:
        from gradcli.core.limits import room_for_libraries

        lazy_numpy.load()
        with room_for_libraries():
            import scipy.special as module
        special.__dict__.update(vars(module))
    return module
