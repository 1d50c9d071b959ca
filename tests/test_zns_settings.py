"""The ZNS and paid customer-service settings, and the channel they switch on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import sessionmaker

from bot.channels.zalo_zns import ZaloZNSChannel
from bot.config import ZNS_FIELDS, Settings
from bot.wiring import build_channels

OA = {
    "zalo_oa_app_id": "4512345678901234567",
    "zalo_oa_app_secret": "APP-secret",
    "zalo_oa_secret_key": "OA-secret",
}


def test_defaults_send_no_paid_messages_and_no_zns() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.zalo_oa_allow_paid_cs is False
    assert settings.zalo_zns_template_id == ""
    assert settings.zalo_zns_template_params == {field: field for field in ZNS_FIELDS}
    assert settings.zalo_zns_api_url == "https://business.openapi.zalo.me"


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THIDUA_ZALO_OA_ALLOW_PAID_CS", "true")
    monkeypatch.setenv("THIDUA_ZALO_ZNS_TEMPLATE_ID", "312345")
    monkeypatch.setenv(
        "THIDUA_ZALO_ZNS_TEMPLATE_PARAMS", '{"ten_can_bo": "person_name", "han_nop": "deadline"}'
    )
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.zalo_oa_allow_paid_cs is True
    assert settings.zalo_zns_template_id == "312345"
    assert settings.zalo_zns_template_params == {
        "ten_can_bo": "person_name",
        "han_nop": "deadline",
    }


@pytest.mark.parametrize("bad", ['{"ten": "ho_ten"}', "{}", '{" ": "deadline"}', "not json"])
def test_a_bad_parameter_mapping_is_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("THIDUA_ZALO_ZNS_TEMPLATE_PARAMS", bad)
    with pytest.raises(ValidationError, match="zalo_zns_template_params"):
        Settings(_env_file=None)  # type: ignore[call-arg]


async def test_the_zns_channel_runs_when_the_oa_and_a_template_are_configured() -> None:
    with_template = Settings(_env_file=None, zalo_zns_template_id="312345", **OA)  # type: ignore[call-arg]
    channels = build_channels(with_template, sessionmaker())
    zns = channels["zalo_zns"]
    assert isinstance(zns, ZaloZNSChannel) and zns.template_id == "312345"
    await channels["zalo_oa"].close()

    without = build_channels(Settings(_env_file=None, **OA), sessionmaker())  # type: ignore[call-arg]
    assert "zalo_oa" in without and "zalo_zns" not in without
    await without["zalo_oa"].close()

    no_oa = Settings(_env_file=None, zalo_zns_template_id="312345")  # type: ignore[call-arg]
    assert "zalo_zns" not in build_channels(no_oa, sessionmaker())
