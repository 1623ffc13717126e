"""``python -m gradcli``."""

from gradcli.cli.app import main

main()
