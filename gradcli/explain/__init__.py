"""Explanations: what a learner reads next to the numbers. It holds each node's name and
local derivative as text (``texts``), where a nan or infinity was born (``diagnostics``),
the backward-trace rows (``trace``) and the forward and backward passes as steps
(``steps``). It returns rows and sentences, not layouts or markup, and may import ``core``, ``syntax``,
``ad`` and ``check``.
"""
