"""NumPy, loaded the first time a program has arrays: a program of numbers starts without it.

NumPy loaded here calls the C library's exp, sin and the like, as Python's ``math`` does (see
:data:`C_LIBRARY_MATH`); NumPy that something else loaded first keeps its own SIMD versions,
and a batch of points may then differ from single points in the last bit.

``np`` stands for the ``numpy`` module; its first attribute lookup imports NumPy (outside the
run's memory limit, as the interpreter's own libraries are: see
:func:`gradcli.core.limits.room_for_libraries`) and from then on every lookup is a plain
attribute of this object. :func:`is_array` tells an array from a number without loading
NumPy: nothing is an array before NumPy is loaded.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

#: NumPy's dispatched SIMD variants of exp, sin, tanh and the like (AVX2 and AVX-512) differ from
#: the C library's functions in the last bit, and a program of numbers at one point runs the C
#: library's (Python's ``math``). With these variants off, NumPy calls the same functions, so a
#: program over a range of points (:mod:`gradcli.ad.batch`) gives every point the bits it has on
#: its own. Names of both NumPy eras; a name NumPy does not dispatch is ignored with an ImportWarning.
C_LIBRARY_MATH = (
    "X86_V3 X86_V4 AVX512_ICL AVX512_SPR AVX2 FMA3 AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX "
    "AVX512_CNL"
)
_CPU_FEATURES = ("NPY_ENABLE_CPU_FEATURES", "NPY_DISABLE_CPU_FEATURES")


@contextmanager
def _c_library_math() -> Iterator[None]:
    """NumPy imported with :data:`C_LIBRARY_MATH` off, unless the user chose its features; the
    environment is left as it was (processes started later choose for themselves)."""
    if any(name in os.environ for name in _CPU_FEATURES):
        yield
        return
    os.environ["NPY_DISABLE_CPU_FEATURES"] = C_LIBRARY_MATH
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)
            yield
    finally:
        del os.environ["NPY_DISABLE_CPU_FEATURES"]


#: Whether loading NumPy also silences its floating-point warnings (the command line's choice:
#: nan and inf are values there, reported at their node).
QUIET = False


class _NumPy:
    """The ``numpy`` module, imported on first use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(load(), name)


np: Any = _NumPy()


def load() -> ModuleType:
    """Import NumPy (once) and make ``np``'s attributes its attributes."""
    module = sys.modules.get("numpy")
    if module is None or "ndarray" not in np.__dict__:
        from gradcli.core.limits import room_for_libraries

        with room_for_libraries(), _c_library_math():
            import numpy as module
        if QUIET:
            module.seterr(all="ignore")
        np.__dict__.update(vars(module))
    return module


def is_array(value: object) -> bool:
    """Whether ``value`` is a NumPy array (False for everything while NumPy is not loaded)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)
