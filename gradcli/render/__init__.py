"""Renderers: data to text, JSON, LaTeX, DOT, SVG (Graphviz's ``dot`` run under limits),
frames, the step-through HTML page, sweep plots, and the terminal layouts that fit any
width; ``drawing`` and ``output_files`` write what ``gradcli graph`` asks for, all or
nothing. Renderers compute nothing new. They may import every layer before them:
``core``, ``syntax``, ``ad``, ``check`` and ``explain``.
"""
