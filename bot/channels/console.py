"""Console chat: the first channel of the same router Telegram and Zalo use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.messages import Incoming, Reply, menu_of

EXIT_COMMANDS = {"/exit", "/quit", "/thoat"}


def render(reply: Reply) -> str:
    """Text with buttons as numbered choices (the fallback every channel without buttons uses)."""
    lines = [reply.text]
    choices = [button for row in reply.buttons for button in row]
    for number, button in enumerate(choices, start=1):
        lines.append(f"  {number}. {button.label}")
    return "\n".join(lines)


def run_console(
    handle: Callable[[Incoming], list[Reply]],
    stdin: TextIO,
    stdout: TextIO,
    *,
    intro: str,
    prompt: str,
    speaker: str,
    goodbye: str,
    user_id: str = "console",
) -> None:
    """Reads lines until EOF or /exit; a failing turn never ends the session."""
    stdout.write(intro + "\n")
    while True:
        stdout.write(f"{prompt}> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n" + goodbye + "\n")
            return
        text = line.rstrip("\n")
        if text.strip().lower() in EXIT_COMMANDS:
            stdout.write(goodbye + "\n")
            return
        message = Incoming(channel="console", chat_id=user_id, user_id=user_id, text=text)
        for reply in handle(message):
            if menu_of(reply) is not None:  # a chat's command menu: the console has none
                continue
            stdout.write(f"{speaker}: {render(reply)}\n\n")
        stdout.flush()
