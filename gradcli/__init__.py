"""gradcli: gradients you can read. A command-line gradient calculator and graph visualizer."""

__version__ = "0.1.0"
