"""`thidua`, the command line (Typer): with bot/wiring.py, the composition root.

root.py holds the root command and the assistant's verbs; admin.py, serve.py and reminders.py
add theirs. The console script `thidua = "bot.cli:main"` and `python -m bot` start here.
"""

from bot.cli.root import app, main

__all__ = ["app", "main"]
