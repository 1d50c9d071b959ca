"""Settings added with reminders and the lexical shortcut: defaults, environment, bad values."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.wiring import work_calendar
from knowledge.retriever import DEFAULT_DENSE_WEIGHT, DEFAULT_LEXICAL_LEAD


def test_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    # the retriever's own defaults, tuned on ALQAC dev (bench/tune.py)
    assert settings.lexical_lead == DEFAULT_LEXICAL_LEAD
    assert settings.dense_weight == DEFAULT_DENSE_WEIGHT
    assert settings.reminders_enabled is True
    assert (settings.quiet_hours_start, settings.quiet_hours_end) == (time(21), time(7))
    assert settings.reminder_send_time == time(8)


def test_environment_sets_the_calendar_and_an_empty_lead_means_always_embed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THIDUA_LEXICAL_LEAD", "")
    monkeypatch.setenv("THIDUA_QUIET_HOURS_START", "22:30")
    monkeypatch.setenv("THIDUA_REMINDER_SEND_TIME", "09:15")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.lexical_lead is None
    calendar = work_calendar(settings)
    assert (calendar.quiet_start, calendar.send_at) == (time(22, 30), time(9, 15))


@pytest.mark.parametrize(
    ("name", "value"),
    [("THIDUA_LEXICAL_LEAD", "1.5"), ("THIDUA_QUIET_HOURS_END", "7 giờ")],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert name.removeprefix("THIDUA_").lower() in str(error.value)
