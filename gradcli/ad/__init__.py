"""Automatic differentiation: the reverse sweep (adjoints), the tangent sweep (forward
mode), symbolic derivatives as the reverse sweep run on nodes, Jacobians, Hessians and
Hessian-vector products, and ``evaluate``, the library's front door (values, gradients,
where a nan first appears, which nodes sit on a kink). It may import ``core`` and
``syntax``.
"""
