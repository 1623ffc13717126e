"""``python -m gradcli``."""

from gradcli.cli.launch import main

main()
