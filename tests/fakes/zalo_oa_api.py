"""A fake Zalo Official Account API: token refresh, customer-service messages, uploads, and
ZNS template messages (`POST /message/template`, served from the same base URL).

    async with FakeZaloOA() as fake:
        store = MemoryTokenStore(fake.initial_tokens())
        channel = ZaloOAChannel(app_id=fake.app_id, app_secret=fake.app_secret,
                                oa_secret=fake.oa_secret, tokens=store,
                                api_base=fake.url, oauth_base=fake.url)
        fake.expire_access_token()                 # next cs call answers −220
        fake.not_followers.add("u1")               # cs to u1 answers −213
        fake.fail_cs(-32)                          # next cs call answers −32
        fake.fail_zns(-115)                        # next ZNS template send answers −115
        fake.not_zalo_users.add("84912345678")     # ZNS to that phone answers −118
        body, headers = fake.signed(text_event("u1", "xin chào"))   # a webhook request

Refresh tokens are single-use: a second refresh with the same token is refused, as on Zalo.
Errors come back as HTTP 200 with `{"error": <negative code>, "message": ...}`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.channels.zalo_oa import OATokens
from tests.fakes.base import FakeServer, read_params

MESSAGES = {
    -216: "Access token is invalid",
    -220: "Access token has expired",
    -230: "User has not interacted with the OA in the last 7 days",
    -213: "User has not followed the OA",
    -32: "Request exceeded the rate limit",
    # ZNS (business.openapi.zalo.me/message/template)
    -100: "Unknown error",
    -108: "Phone number invalid",
    -109: "Template ID invalid",
    -112: "Template data invalid",
    -115: "Out of quota",
    -118: "Zalo account not existed",
    -124: "Access token invalid",
    -133: "Template is not allowed to send at night",
    -144: "OA has exceeded the daily ZNS quota",
}
ZNS_PHONE = re.compile(r"84\d{9,10}")


@dataclass
class ZNSSent:
    phone: str
    template_id: str
    template_data: dict[str, Any]
    tracking_id: str
    msg_id: str


@dataclass
class OASent:
    user_id: str
    message_id: str
    message: dict[str, Any]


class FakeZaloOA(FakeServer):
    def __init__(
        self,
        *,
        app_id: str = "4512345678901234567",
        app_secret: str = "APP-secret-TEST-value",
        oa_secret: str = "OA-secret-TEST-value",
        delay_s: float = 0.0,
    ) -> None:
        super().__init__(delay_s=delay_s)
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_secret = oa_secret
        self.not_followers: set[str] = set()
        self.no_interaction: set[str] = set()
        self.refreshes = 0
        self.media: dict[str, bytes] = {}
        self._serial = itertools.count(1)
        self.access_token = self._new("ACCESS")
        self.refresh_token = self._new("REFRESH")
        self.used_refresh_tokens: set[str] = set()
        self.expired_access_tokens: set[str] = set()
        self.uploads: dict[str, bytes] = {}
        self._sent: list[OASent] = []
        self.not_zalo_users: set[str] = set()
        self.zns_templates: dict[str, set[str]] = {}  # id -> parameter names; empty: any
        self._zns_sent: list[ZNSSent] = []

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v2.0/oa/upload/{kind}", self._upload)
        app.router.add_get("/media/{name}", self._media)
        app.router.add_post("/message/template", self._zns)

    # --- test controls --------------------------------------------------------------------

    def initial_tokens(self, *, valid_for: timedelta = timedelta(hours=25)) -> OATokens:
        now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
        return OATokens(self.access_token, self.refresh_token, now + valid_for)

    def expire_access_token(self) -> None:
        """The current access token now answers −220 (the store still thinks it is valid)."""
        self.expired_access_tokens.add(self.access_token)

    def fail_cs(self, error: int, *, times: int = 1, user_id: str | None = None) -> None:
        body = {"error": error, "message": MESSAGES.get(error, "error")}
        self.inject(200, body, method="cs", chat_id=user_id, times=times)

    def fail_zns(self, error: int, *, times: int = 1, phone: str | None = None) -> None:
        body = {"error": error, "message": MESSAGES.get(error, "error")}
        self.inject(200, body, method="zns", chat_id=phone, times=times)

    def zns_sent(self, phone: str | None = None) -> list[ZNSSent]:
        with self._lock:
            return [s for s in self._zns_sent if phone is None or s.phone == phone]

    def sent(self, user_id: str | None = None) -> list[OASent]:
        with self._lock:
            return [s for s in self._sent if user_id is None or s.user_id == user_id]

    def texts(self, user_id: str) -> list[str]:
        return [str(s.message.get("text", "")) for s in self.sent(user_id) if "text" in s.message]

    def add_media(self, data: bytes, name: str = "photo.jpg") -> str:
        self.media[name] = data
        return f"{self.url}/media/{name}"

    def signed(
        self,
        event: dict[str, Any],
        *,
        secret: str | None = None,
        app_id: str | None = None,
        tamper: bool = False,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook request (raw body, headers) signed as Zalo signs it.

        `secret`/`app_id` sign with wrong values; `tamper` changes the body after signing.
        """
        body = json.dumps(event, ensure_ascii=False).encode()
        timestamp = str(event.get("timestamp", ""))
        data = (app_id or self.app_id).encode() + body + timestamp.encode()
        mac = hashlib.sha256(data + (secret or self.oa_secret).encode()).hexdigest()
        if tamper:
            body = body.replace(b"}", b' ,"x": 1}', 1) if b"}" in body else body + b" "
        return body, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}

    # --- HTTP -----------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        call = self.record("access_token", params, request)
        await self.delay("access_token")
        if (
            request.headers.get("secret_key") != self.app_secret
            or params.get("app_id") != self.app_id
        ):
            response = web.json_response({"error": -14001, "error_name": "Invalid app"})
        elif params.get("grant_type") != "refresh_token":
            response = web.json_response({"error": -14002, "error_name": "Invalid grant_type"})
        elif params.get("refresh_token") != self.refresh_token:
            # Spent (single-use) or unknown refresh token.
            response = web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        else:
            self.used_refresh_tokens.add(self.refresh_token)
            self.access_token, self.refresh_token = self._new("ACCESS"), self._new("REFRESH")
            self.refreshes += 1
            response = web.json_response(
                {
                    "access_token": self.access_token,
                    "refresh_token": self.refresh_token,
                    "expires_in": "90000",
                }
            )
        call.status = response.status
        return response

    async def _cs(self, request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        call = self.record("cs", params, request)
        await self.delay("cs")
        user_id = str((params.get("recipient") or {}).get("user_id", ""))
        response = self._cs_answer(request.headers.get("access_token", ""), user_id, params)
        call.status = response.status
        return response

    def _cs_answer(self, token: str, user_id: str, params: dict[str, Any]) -> web.Response:
        error = self._token_error(token)
        if error:
            return _error(error)
        fault = self.take_fault("cs", user_id)
        if fault is not None:
            return web.json_response(fault.body, status=fault.status)
        if user_id in self.not_followers:
            return _error(-213)
        if user_id in self.no_interaction:
            return _error(-230)
        message = params.get("message") or {}
        if "text" in message and not 1 <= len(str(message["text"])) <= 2000:
            return _error(-201, "Text length is invalid")
        message_id = f"oa{next(self._serial):08d}"
        with self._lock:
            self._sent.append(OASent(user_id, message_id, message))
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": message_id, "user_id": user_id},
            }
        )

    async def _zns(self, request: web.Request) -> web.Response:
        """ZNS template send: the OA's access token in the header, JSON body."""
        params, _ = await read_params(request)
        call = self.record("zns", params, request)
        await self.delay("zns")
        response = self._zns_answer(request.headers.get("access_token", ""), params)
        call.status = response.status
        return response

    def _zns_answer(self, token: str, params: dict[str, Any]) -> web.Response:
        if self._token_error(token):
            return _error(-124)  # ZNS has one code for a bad or expired token
        phone = str(params.get("phone", ""))
        fault = self.take_fault("zns", phone)
        if fault is not None:
            return web.json_response(fault.body, status=fault.status)
        template_id = str(params.get("template_id", ""))
        data = params.get("template_data")
        if not ZNS_PHONE.fullmatch(phone):
            return _error(-108)
        if self.zns_templates and template_id not in self.zns_templates:
            return _error(-109)
        if not isinstance(data, dict) or (
            self.zns_templates and set(data) != self.zns_templates[template_id]
        ):
            return _error(-112)
        if phone in self.not_zalo_users:
            return _error(-118)
        msg_id = f"zns{next(self._serial):08d}"
        with self._lock:
            self._zns_sent.append(
                ZNSSent(phone, template_id, data, str(params.get("tracking_id", "")), msg_id)
            )
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": msg_id,
                    "sent_time": str(int(time.time() * 1000)),
                    "quota": {"dailyQuota": "500", "remainingQuota": "499"},
                },
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        params, files = await read_params(request)
        kind = request.match_info["kind"]
        call = self.record(f"upload/{kind}", params, request)
        call.files = files
        error = self._token_error(request.headers.get("access_token", ""))
        if error:
            response = _error(error)
        elif "file" not in files:
            response = _error(-201, "File is required")
        else:
            handle = f"{kind}{next(self._serial):06d}"
            self.uploads[handle] = files["file"]
            field = "attachment_id" if kind == "image" else "token"
            response = web.json_response(
                {"error": 0, "message": "Success", "data": {field: handle}}
            )
        call.status = response.status
        return response

    async def _media(self, request: web.Request) -> web.Response:
        data = self.media.get(request.match_info["name"])
        return web.Response(status=404) if data is None else web.Response(body=data)

    def _token_error(self, token: str) -> int:
        if token in self.expired_access_tokens:
            return -220
        return 0 if token == self.access_token else -216

    def _new(self, kind: str) -> str:
        return f"{kind}-{next(self._serial):04d}-{secrets.token_hex(6)}"


def _error(code: int, message: str | None = None) -> web.Response:
    return web.json_response({"error": code, "message": message or MESSAGES.get(code, "error")})


# --- event builders -------------------------------------------------------------------------

_ids = itertools.count(1)
OA_ID = "388613280878808645"


def text_event(
    user_id: str, text: str, *, app_id: str = "4512345678901234567", timestamp_ms: int | None = None
) -> dict[str, Any]:
    """A `user_send_text` webhook event, fields in Zalo's order."""
    stamp = timestamp_ms or int(time.time() * 1000)
    return {
        "app_id": app_id,
        "user_id_by_app": f"app-{user_id}",
        "event_name": "user_send_text",
        "timestamp": str(stamp),
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"text": text, "msg_id": f"msg{next(_ids):08d}"},
    }


def image_event(
    user_id: str, url: str, *, text: str = "", app_id: str = "4512345678901234567"
) -> dict[str, Any]:
    event = text_event(user_id, text, app_id=app_id)
    event["event_name"] = "user_send_image"
    event["message"]["attachments"] = [{"type": "image", "payload": {"thumbnail": url, "url": url}}]
    return event
