"""Checks: derivatives set against independent estimates. It holds finite differences
with steps kept clear of kinks (``numeric``), the side-by-side comparison of symbolic,
numerical, forward and reverse derivatives with a verdict (``compare``), and the error of
finite differences over a range of steps (``sweep``). It may import ``core``, ``syntax``
and ``ad``.
"""
