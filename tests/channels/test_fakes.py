"""The fakes themselves, in the modes later tests rely on: a thread of their own, webhooks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from aiohttp import web

from bot.channels.zalo_bot import ZaloBotChannel
from tests.fakes.telegram_api import FakeTelegram, message_update
from tests.fakes.zalo_bot_api import FakeZaloBot, text_event

TOKEN = "99:thread-token"


def test_telegram_fake_in_a_thread_serves_a_blocked_long_poll() -> None:
    fake = FakeTelegram(token=TOKEN)
    with fake.running_in_thread():
        me = httpx.post(f"{fake.url}/bot{TOKEN}/getMe").json()
        assert me["result"]["username"] == fake.bot_username
        pusher = threading.Timer(0.05, fake.push_update, [message_update(5, "xin chào")])
        pusher.start()
        answer = httpx.post(f"{fake.url}/bot{TOKEN}/getUpdates", data={"timeout": "5"}, timeout=10)
        pusher.join()
        (update,) = answer.json()["result"]
        assert update["message"]["text"] == "xin chào"
        assert [c.method for c in fake.calls] == ["getMe", "getUpdates"]


def test_telegram_fake_records_json_form_and_multipart_calls_alike() -> None:
    """PTB sends form fields (nested values as JSON strings) or multipart; other clients
    JSON: the recorded params are the same, the keyboard an object each time."""
    markup = {"inline_keyboard": [[{"text": "Xác nhận", "callback_data": "nav:confirm"}]]}
    params = {"chat_id": "42", "text": "xin chào", "parse_mode": "HTML"}
    form = {**params, "reply_markup": json.dumps(markup)}
    fake = FakeTelegram(token=TOKEN)
    with fake.running_in_thread():
        send = f"{fake.url}/bot{TOKEN}/sendMessage"
        answers = [
            httpx.post(send, json={**params, "reply_markup": markup}),
            httpx.post(send, data=form),
            httpx.post(send, data=form, files={"unused": ("a.txt", b"x")}),
        ]
        assert [a.json()["ok"] for a in answers] == [True, True, True]
        recorded = [call.params for call in fake.calls_to("sendMessage")]
        assert recorded[0] == recorded[1] == {**params, "reply_markup": markup}
        assert recorded[2] == {
            **recorded[0],
            "unused": "attach://unused",
            "_filenames": {"unused": "a.txt"},
        }
        assert [d.reply_markup for d in fake.delivered("42")] == [markup] * 3


async def test_zalo_webhook_delivery_with_right_and_wrong_secret(zb_fake: FakeZaloBot) -> None:
    secret = "mykey-abcxyz-123"
    channel = ZaloBotChannel("1:t", base_url=zb_fake.url)
    received: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        if not ZaloBotChannel("1:zalo-test-token", webhook_secret=secret).verify_webhook(
            request.headers, b""
        ):
            return web.Response(status=403)
        received.append(channel.parse(await request.json()).dedupe_key)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/zalo", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    zb_fake.webhook = {"url": f"http://{host}:{port}/zalo", "secret_token": secret}
    event = text_event("u1", "xin chào", message_id="m1")
    assert (await zb_fake.deliver_webhook(event))[0] == 200
    assert (await zb_fake.deliver_webhook(event, secret="wrong-secret"))[0] == 403
    assert received == ["zb:message.text.received:m1"]
    await runner.cleanup()
    await channel.close()


def test_fake_in_its_own_process_is_controlled_over_http() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.serve", "telegram", "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        send = f"{url}/bot{TOKEN}/sendMessage"
        body = {"ok": False, "error_code": 429, "parameters": {"retry_after": 5}}
        fault = {"status": 429, "method": "sendMessage", "skip": 1, "body": body}
        assert httpx.post(f"{url}/_fake/inject", json=fault).status_code == 200
        assert httpx.post(f"{url}/_fake/config", json={"blocked": []}).status_code == 200
        assert httpx.post(f"{url}/_fake/config", json={"nope": 1}).status_code == 400
        statuses = [httpx.post(send, data={"chat_id": "1", "text": "a"}).status_code for _ in "ab"]
        assert statuses == [200, 429]
        calls = httpx.get(f"{url}/_fake/calls").json()
        assert [(c["method"], c["status"]) for c in calls] == [
            ("sendMessage", 200),
            ("sendMessage", 429),
        ]
    finally:
        process.kill()
        process.wait()
