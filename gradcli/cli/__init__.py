"""The command line: typer commands that parse options, call the library and hand its
data to a renderer; one error boundary turns a library error into one message on stderr
and exit code 2, naming the option the user typed. ``help_text`` holds the help pages'
examples. It may import every other layer; nothing imports it but ``gradcli.__main__``.
"""
