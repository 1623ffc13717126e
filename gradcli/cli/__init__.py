"""The command line: typer commands that parse options, call the library and hand its
data to a renderer. ``app`` holds the commands and the entry point ``main``; ``options`` the
options they share, each declared once; ``errors`` the one error boundary, which turns a
library error into one message on stderr and exit code 2, naming the option the user typed
where the library names a parameter; ``argv`` what is done to the arguments before typer
sees them; ``streams`` reading the program and writing the report; ``help_text`` the help
pages' examples; ``launch`` the console script, which runs ``app.main`` with the garbage
collector paused. It may import every other layer; nothing imports it but ``gradcli.__main__``.
"""
