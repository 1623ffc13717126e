"""The core: the op table and its float64 kernels, the graph of hash-consed nodes, and
everything the other layers build on without knowing about syntax or derivatives. It
holds ``ops`` (every primitive once: arity, kernel, derivative rule in other primitives,
VJP and JVP, printing, domain, kink, doc), ``kernels``, ``domains`` (valid arguments as
intervals, with samplers), ``graph`` (nodes in topological order, ``Program``),
``algebra`` (the rules read on floats or as new nodes), ``values`` (the value sweep),
``numbers`` (how a float is written), ``precedence`` (the parenthesis rule every printer
shares), and the run's ground rules: ``errors``, ``settings``, ``limits``, ``gcpause``.
It imports nothing else from gradcli.
"""
