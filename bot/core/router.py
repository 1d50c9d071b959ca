"""Every Incoming goes through here: a command, (later) an active form, or a question."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.qa import QuestionAnswering
from bot.i18n import vi
from bot.messages import Incoming, Reply

Handler = Callable[[Incoming], list[Reply]]


class Router:
    """Channel-neutral dispatcher; channels only translate to and from Incoming/Reply."""

    def __init__(self, qa: QuestionAnswering) -> None:
        self._qa = qa
        self._commands: dict[str, Handler] = {
            "start": lambda _m: [Reply(vi.WELCOME)],
            "help": lambda _m: [Reply(vi.HELP)],
            "trogiup": lambda _m: [Reply(vi.HELP)],
        }

    def handle(self, message: Incoming) -> list[Reply]:
        text = message.text.strip()
        if text.startswith("/"):
            name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
            handler = self._commands.get(name)
            if handler is None:
                return [Reply(vi.UNKNOWN_COMMAND.format(command=text.split()[0]))]
            return handler(message)
        return [self._qa.ask(message)]
