"""A console conversation, read like a transcript."""

from __future__ import annotations

import io

from bot import wiring
from bot.channels.console import run_console
from bot.config import Settings
from bot.i18n import vi


def chat(settings: Settings, *lines: str) -> str:
    assistant = wiring.build_assistant(settings)
    out = io.StringIO()
    run_console(
        assistant.turns.run,
        io.StringIO("".join(line + "\n" for line in lines)),
        out,
        intro=vi.CONSOLE_INTRO,
        prompt=vi.CONSOLE_PROMPT,
        speaker=vi.CONSOLE_BOT,
        goodbye=vi.CONSOLE_BYE,
    )
    return out.getvalue()


def test_console_transcript(settings: Settings) -> None:
    transcript = chat(
        settings,
        "/help",
        "thi đua là gì?",
        "🙂🙂🙂",
        "",
        "/lenhla",
        "/exit",
        "this line is never read",
    )
    turns = transcript.split(f"{vi.CONSOLE_PROMPT}> ")
    assert turns[0].startswith(vi.CONSOLE_INTRO)
    assert "Điều 24 Luật Thi đua, khen thưởng" in turns[1]  # the help shows a lookup example
    assert "Thi đua là hoạt động có tổ chức" in turns[2]
    assert "Căn cứ:" in turns[2]
    assert "Điều 3 Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)" in turns[2]
    assert vi.NO_WORDS in turns[3]
    assert vi.EMPTY_QUESTION in turns[4]
    assert "/lenhla" in turns[5]
    assert turns[6].strip() == vi.CONSOLE_BYE
    assert "never read" not in transcript


def test_console_ends_cleanly_on_end_of_input(settings: Settings) -> None:
    transcript = chat(settings, "/start")
    assert vi.WELCOME in transcript
    assert transcript.rstrip().endswith(vi.CONSOLE_BYE)
