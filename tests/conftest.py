"""Loaded by pytest before any test module: NumPy is loaded the way gradcli loads it.

:func:`gradcli.core.lazy_numpy.load` turns NumPy's SIMD variants of exp, sin and the like off
(they differ from the C library's in the last bit); a test module that imported NumPy first
would otherwise decide it for the whole run.
"""

from gradcli.core import lazy_numpy

lazy_numpy.load()
