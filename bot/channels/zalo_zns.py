"""ZNS (Zalo Notification Service): template messages from the Official Account to a phone.

The way to reach a person after the OA's customer-service window has closed. A template is
registered with and approved by Zalo beforehand; a send names it and fills its parameters:
`POST {api}/message/template` with the OA access token in the `access_token` header and JSON
`{"phone": "84…", "template_id", "template_data": {param: value}, "tracking_id"}`; Zalo
answers HTTP 200 with `{"error": <code>, "message", "data": {"msg_id", ...}}`.

The chat id is the phone in 84… form (bot.store.phone.zns_phone). The reply's text is not
sent: the values come from `reply.meta["zns_fields"]`, a JSON object with the reminder's
fields (person_name, unit_name, subject, deadline, status, movement), mapped to the
template's parameter names by a setting; `reply.meta["key"]` becomes the tracking id.

Tokens are the OA's: this adapter calls through the OA channel's `authorized`, so the
single-use refresh token is rotated in one place. It imports no other adapter; the OA
channel is passed in and only its `OAAccess` surface is used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta, tzinfo
from typing import Any, Protocol, cast

from bot.channels.base import Channel, ChannelContext, SendResult, SendStatus, Update
from bot.messages import Reply

__all__ = ["CHANNEL", "OAAccess", "ZaloZNSChannel", "classify_zns"]

log = logging.getLogger(__name__)

CHANNEL = "zalo_zns"
PHONE = re.compile(r"84\d{9,10}")
TRACKING_ID_MAX = 48  # Zalo's limit was not confirmed; longer keys are hashed to stay short
TOKEN_ERRORS = frozenset({-124, -216, -220})  # ZNS's "access token invalid", the OA API's two
RATE_RETRY_AFTER_S = 30.0
QUOTA_RETRY_AFTER_S = 3600.0
NIGHT_ENDS = time(6, 0)  # templates refused at night may go from 06:00

# Zalo's published ZNS error table (zalo.cloud/zns/guidelines/handle-error-code). Codes marked
# (*) were not confirmed against it while writing this; they are handled as their name says.
_RETRY_AFTER = {
    -32: RATE_RETRY_AFTER_S,  # (*) the OpenAPI's request rate limit
    -115: QUOTA_RETRY_AFTER_S,  # out of quota: the ZNS account's balance is used up
    -144: QUOTA_RETRY_AFTER_S,  # (*) the OA's daily ZNS quota is used up
    -147: QUOTA_RETRY_AFTER_S,  # (*) the template's daily quota is used up
}
_NIGHT = -133  # (*) this template may not be sent at night (22:00-06:00)
_BLOCKED = {  # the number itself cannot get ZNS: later reminders use another way
    -108: "invalid_phone",
    -118: "not_zalo_user",  # the Zalo account does not exist or is disabled
    -139: "refused",  # (*) the person refused this kind of ZNS
    -141: "refused",  # (*) the person refused ZNS from this OA
}
_TRANSIENT = {-100}  # "unknown error, try again later"


class OAAccess(Protocol):
    """What ZNS needs of the OA channel: its authorised calls and its redaction."""

    tz: tzinfo

    async def authorized(
        self,
        method: str,
        url: str,
        *,
        classify: Callable[[int, str], SendResult] | None = None,
        token_errors: frozenset[int] = ...,
        **kwargs: Any,
    ) -> tuple[SendResult, dict[str, Any]]: ...

    def redact(self, text: str) -> str: ...


class ZaloZNSSettings(Protocol):
    """The application settings this adapter reads."""

    zalo_zns_template_id: str
    zalo_zns_template_params: dict[str, str]
    zalo_zns_api_url: str


def from_settings(settings: ZaloZNSSettings, context: ChannelContext) -> ZaloZNSChannel | None:
    """Template messages from the same OA, with its tokens: only when the OA is configured
    and a template is chosen."""
    oa = context.built.get("zalo_oa")
    if oa is None or not settings.zalo_zns_template_id:
        return None
    return ZaloZNSChannel(
        cast(OAAccess, oa),
        template_id=settings.zalo_zns_template_id,
        params=settings.zalo_zns_template_params,
        api_base=settings.zalo_zns_api_url,
    )


class ZaloZNSChannel(Channel):
    """The Channel for ZNS template messages; chat ids are phones in 84… form."""

    name = CHANNEL

    def __init__(
        self,
        oa: OAAccess,
        *,
        template_id: str,
        params: Mapping[str, str],
        api_base: str = "https://business.openapi.zalo.me",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """`params` maps each template parameter name to the reminder field that fills it."""
        if not template_id or not params:
            raise ValueError("a ZNS template id and its parameters are required")
        self._oa = oa
        self.template_id = template_id
        self.params = dict(params)
        self._url = f"{api_base.rstrip('/')}/message/template"
        self._now = now or (lambda: datetime.now(oa.tz))

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """ZNS sends nothing to answer; delivery receipts, if ever wired, are acknowledged."""
        return Update(dedupe_key=f"zns:{payload.get('msg_id', '')}", incoming=None)

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        """One template message; a resumed send of an already delivered one sends nothing."""
        if first_part > 0:
            return SendResult(SendStatus.SENT)
        if not PHONE.fullmatch(chat_id):
            return SendResult(SendStatus.FAILED, detail="phone not in 84… form")
        try:
            data = self.template_data(reply)
        except ValueError as exc:
            return SendResult(SendStatus.FAILED, detail=str(exc))
        body = {
            "phone": chat_id,
            "template_id": self.template_id,
            "template_data": data,
            "tracking_id": tracking_id(reply, chat_id, self.template_id, data),
        }
        result, answer = await self._oa.authorized(
            "POST", self._url, classify=self._classify, token_errors=TOKEN_ERRORS, json=body
        )
        if result.status is not SendStatus.SENT:
            log.info("zns to %s failed: %s", _masked(chat_id), result.detail)
            return result
        return SendResult(
            SendStatus.SENT, platform_message_ids=(str(answer.get("msg_id", "")),), parts_sent=1
        )

    def template_data(self, reply: Reply) -> dict[str, str]:
        """The template's parameters filled from `reply.meta["zns_fields"]`; ValueError when a
        mapped field is missing (the template would be refused, or worse, sent half empty)."""
        try:
            fields = json.loads(reply.meta.get("zns_fields") or "")
        except ValueError:
            raise ValueError("reply.meta['zns_fields'] is not a JSON object") from None
        if not isinstance(fields, dict):
            raise ValueError("reply.meta['zns_fields'] is not a JSON object")
        missing = sorted({f for f in self.params.values() if f not in fields})
        if missing:
            raise ValueError(f"zns_fields lacks {', '.join(missing)}")
        return {param: str(fields[field]) for param, field in self.params.items()}

    def _classify(self, code: int, message: str) -> SendResult:
        return classify_zns(code, self._oa.redact(f"{code}: {message}")[:300], self._now())


def classify_zns(code: int, detail: str, now: datetime) -> SendResult:
    """A ZNS error code as a SendResult; `detail` is already redacted."""
    if code == 0:
        return SendResult(SendStatus.SENT)
    if code in TOKEN_ERRORS:  # still refused after a refresh: keep the message, back off
        return SendResult(SendStatus.TRANSIENT, detail="token_invalid")
    if code in _RETRY_AFTER:
        return SendResult(SendStatus.RETRY_AFTER, _RETRY_AFTER[code], detail=detail)
    if code == _NIGHT:
        return SendResult(SendStatus.RETRY_AFTER, _until_morning(now), detail=detail)
    if code in _BLOCKED:
        return SendResult(SendStatus.BLOCKED, detail=_BLOCKED[code])
    if code in _TRANSIENT:
        return SendResult(SendStatus.TRANSIENT, detail=detail)
    # Template missing, not approved or not ours, bad parameters: a setting to fix.
    log.warning("zns refused the message: %s", detail)
    return SendResult(SendStatus.FAILED, detail=detail)


def tracking_id(reply: Reply, phone: str, template_id: str, data: Mapping[str, str]) -> str:
    """The reply's idempotency key, hashed when long; without one, a hash of the message, so
    a retried send carries the same id either way (Zalo echoes it in delivery reports)."""
    key = reply.meta.get("key") or json.dumps(
        [phone, template_id, dict(data)], ensure_ascii=False, sort_keys=True
    )
    if len(key) <= TRACKING_ID_MAX and reply.meta.get("key"):
        return key
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def _until_morning(now: datetime) -> float:
    morning = datetime.combine(now.date(), NIGHT_ENDS, now.tzinfo)
    if morning <= now:
        morning += timedelta(days=1)
    return (morning - now).total_seconds()


def _masked(phone: str) -> str:
    return phone[:5] + "***" + phone[-3:]
