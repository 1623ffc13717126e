"""The core: the op table and its float64 kernels, the graph of hash-consed nodes, and
everything the other layers build on without knowing about syntax or derivatives. It
holds ``ops`` (every primitive once: arity, kernel, derivative rule in other primitives,
printing, domain, kink), ``kernels``, ``graph`` (nodes in topological order, ``Program``),
``algebra`` (the rules read on floats or as new nodes), ``values`` (the value sweep),
``numbers`` (how a float is written), and the run's ground rules: ``errors``, ``settings``,
``limits``, ``gcpause``; ``precedence`` is the parenthesis rule every printer shares.
It imports nothing else from gradcli.
"""
