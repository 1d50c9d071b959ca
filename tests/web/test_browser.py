"""The dashboard in headless Chromium (Debian's, driven by Playwright): sign in with a link,
the movements page, a unit, return one registration (its notice reaches the fake Telegram
server) and approve another, sign out; upload a people file with a bad row (its error shown,
nothing written), then a good one, issue an invite, download an export and read it with
openpyxl; answer a waiting question with a cited curated answer and see it in force, then
filter the audit log; open the nominations, see a warning of the Law, return one with a reason
(its notice reaches the fake Telegram server), at a phone's width. Screenshots go to
tests/web/screenshots/ (git-ignored)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.i18n import vi
from bot.store.models import ChannelIdentity, InviteCode, Person, Registration
from bot.store.nominations import Nomination
from bot.store.qa_models import UnansweredQuestion
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.forms.conftest import World
from tests.integration.live import serving
from tests.integration.services import FAST, services, settle
from tests.web.conftest import dashboard_for, link_for, with_answers
from tests.web.test_access import submitted
from tests.web.test_nominations import nominated
from tests.web.test_org import GOOD_PEOPLE, PEOPLE_HEADER, csv_bytes
from tests.web.test_questions import ANSWER, CITE, DEADLINE, ask

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"
TOKEN = "123456:TEST-token"
HEAD_CHAT = "9001"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


def on_telegram(world: World, user: str, chat: str) -> None:
    with world.sessions.begin() as session:
        session.add(
            ChannelIdentity(
                channel="telegram",
                external_id=chat,
                person_id=world.people[user],
                linked_at=world.clock() - timedelta(days=1),
                last_interaction_at=world.clock() - timedelta(hours=1),
            )
        )


@asynccontextmanager
async def chromium_page() -> AsyncIterator[Any]:
    """A phone-sized page in Debian's chromium."""
    from playwright.async_api import async_playwright

    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield await browser.new_page(
                viewport={"width": 414, "height": 900}, accept_downloads=True
            )
        finally:
            await browser.close()


async def test_the_office_reviews_in_a_browser(world: World) -> None:
    returned, approved = submitted(world, "SNV"), submitted(world, "STP")
    on_telegram(world, "head", HEAD_CHAT)
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        telegram = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        running = services(
            world, {"telegram": telegram}, limits={"telegram": FAST}, background=False
        )
        await telegram.start()
        async with serving(create_app(running, dashboard_for(world))) as url:
            link = f"{url}/web/login/{link_for(world, 'office')}"
            async with chromium_page() as page:
                await page.goto(link)
                await page.screenshot(path=SHOTS / "01-sign-in.png", full_page=True)
                await page.get_by_role("button", name="Đăng nhập").click()
                await page.wait_for_url("**/web/movements")
                assert await page.get_by_role("heading", name="Phong trào thi đua").is_visible()
                await page.screenshot(path=SHOTS / "02-movements.png", full_page=True)
                await page.get_by_role("link", name="Sở Nội vụ").first.click()
                await page.wait_for_url("**/web/units/*")
                assert await page.get_by_text("Nguyễn Văn Hùng").is_visible()
                await page.screenshot(path=SHOTS / "03-unit.png", full_page=True)
                await page.get_by_role("link", name="Duyệt đăng ký").click()
                section = page.locator(f"#r{returned}")
                await section.get_by_label("Lý do trả lại").fill(
                    "Thiếu chỉ tiêu về cải cách hành chính"
                )
                await page.screenshot(path=SHOTS / "04-review.png", full_page=True)
                await section.get_by_role("button", name="Trả lại").click()
                await page.get_by_text("Đã trả lại").wait_for()
                await page.locator(f"#r{approved}").get_by_role("button", name="Duyệt").click()
                await page.get_by_text("Đã duyệt").wait_for()
                await page.screenshot(path=SHOTS / "05-reviewed.png", full_page=True)
                await page.get_by_role("button", name="Đăng xuất").click()
                await page.get_by_text("đã đăng xuất").wait_for()
                await page.screenshot(path=SHOTS / "06-signed-out.png", full_page=True)
                await page.goto(f"{url}/web/movements")
                assert page.url.endswith("/web/login")
            await settle(running)  # before the app's shutdown closes the channel
        assert any("Thiếu chỉ tiêu về cải cách hành chính" in t for t in fake.texts(HEAD_CHAT))
    with world.sessions() as session:
        states = dict(session.execute(select(Registration.id, Registration.status)).all())
    assert states == {returned: "returned", approved: "approved"}


def people_count(world: World) -> int:
    with world.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Person)) or 0)


async def test_the_office_imports_invites_and_exports_in_a_browser(
    world: World, tmp_path: Path
) -> None:
    submitted(world, "SNV")
    bad = tmp_path / "can-bo-loi.csv"
    bad.write_bytes(
        csv_bytes(PEOPLE_HEADER, [GOOD_PEOPLE[0], ["Lý Văn Tám", "12ab", "", "SNV", ""]])
    )
    good = tmp_path / "can-bo.csv"
    good.write_bytes(csv_bytes(PEOPLE_HEADER, GOOD_PEOPLE))
    before = people_count(world)
    running = services(world, {}, background=False)
    async with serving(create_app(running, dashboard_for(world))) as url, chromium_page() as page:
        await page.goto(f"{url}/web/login/{link_for(world, 'office')}")
        await page.get_by_role("button", name="Đăng nhập").click()
        await page.wait_for_url("**/web/movements")
        await page.get_by_role("link", name="Tổ chức").click()
        await page.wait_for_url("**/web/org")
        await page.screenshot(path=SHOTS / "07-organisation.png", full_page=True)

        people_form = page.get_by_role("form", name="Cán bộ")
        await people_form.get_by_label("Tệp").set_input_files(bad)
        await people_form.get_by_role("button", name="Tải lên và nhập").click()
        errors = page.locator(".import-errors")
        await errors.wait_for()
        row = errors.get_by_role("row").filter(has_text="12ab")
        assert (await row.get_by_role("cell").all_inner_texts()) == [
            "3",
            vi.ROW_BAD_PHONE.format(value="12ab"),
        ]
        assert "chưa ghi gì" in await errors.inner_text()
        await page.screenshot(path=SHOTS / "08-import-bad-row.png", full_page=True)
        assert people_count(world) == before

        people_form = page.get_by_role("form", name="Cán bộ")
        await people_form.get_by_label("Tệp").set_input_files(good)
        await people_form.get_by_role("button", name="Tải lên và nhập").click()
        await page.get_by_text("2 mới, 0 cập nhật").wait_for()
        assert people_count(world) == before + 2
        await page.get_by_role("button", name="Cấp mã mời: Bùi Thị Thu").click()
        await page.get_by_text("Mã mời cho Bùi Thị Thu").wait_for()
        with world.sessions() as session:
            code = session.scalars(select(InviteCode.code)).one()
        assert code in await page.locator(".invite .code").inner_text()
        await page.screenshot(path=SHOTS / "09-imported-and-invited.png", full_page=True)

        await page.get_by_role("link", name="Xuất Excel").click()
        await page.wait_for_url("**/web/exports")
        await page.get_by_label("Cách trình bày").select_option("flat")
        await page.screenshot(path=SHOTS / "10-exports.png", full_page=True)
        async with page.expect_download() as waiting:
            await page.get_by_role("button", name="Tải về").click()
        download = await waiting.value
        assert download.suggested_filename == "Đăng ký thi đua - PT2026.xlsx"
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
    book = load_workbook(saved)
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2]) for r in rows] == [
        ("SNV", vi.STATUS_LABELS["submitted"]),
        ("STP", vi.EXPORT_NOT_SUBMITTED),
        ("SYT", vi.EXPORT_NOT_SUBMITTED),
    ]


async def fits_the_phone(page: Any) -> bool:
    """Nothing wider than the screen but the tables' own scrolling boxes."""
    width: bool = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return width


async def test_the_office_answers_a_question_and_reads_the_audit_log(
    world: World, bundled_data_dir: Path
) -> None:
    [asked, other] = ask(world, ("telegram", "111", DEADLINE), ("zalo_bot", "222", DEADLINE))
    running = services(world, {}, background=False)
    app = create_app(running, with_answers(world, bundled_data_dir))
    async with serving(app) as url, chromium_page() as page:
        await page.goto(f"{url}/web/login/{link_for(world, 'office')}")
        await page.get_by_role("button", name="Đăng nhập").click()
        await page.wait_for_url("**/web/movements")
        await page.get_by_role("link", name="Câu hỏi", exact=True).click()
        await page.wait_for_url("**/web/questions")
        item = page.locator(f"#U{other}")
        assert await item.get_by_text("hỏi 2 lần, 2 cuộc trò chuyện").is_visible()
        assert await fits_the_phone(page)
        await page.screenshot(path=SHOTS / "11-questions.png", full_page=True)
        await item.get_by_role("link", name="Trả lời câu hỏi này").click()
        await page.wait_for_url("**/web/questions/new?item=*")
        assert await page.get_by_label("Câu hỏi", exact=True).input_value() == DEADLINE
        await page.get_by_label("Câu trả lời", exact=True).fill(ANSWER)
        cites = page.get_by_label("Căn cứ (mỗi dòng một căn cứ)")
        await cites.fill("khoản 9 Điều 84 Luật Thi đua, khen thưởng")
        await page.get_by_role("button", name="Lưu câu trả lời").click()
        await page.get_by_text("Kho văn bản chưa có khoản 9 Điều 84").wait_for()
        assert await page.get_by_label("Câu trả lời", exact=True).input_value() == ANSWER
        assert await fits_the_phone(page)
        await page.screenshot(path=SHOTS / "12-answer-refused.png", full_page=True)
        await cites.fill(CITE)
        await page.get_by_role("button", name="Lưu câu trả lời").click()
        await page.wait_for_url("**/web/questions/answers?*")
        in_force = page.locator("#active")
        assert await in_force.get_by_text(ANSWER).is_visible()
        assert await in_force.get_by_text("Căn cứ: khoản 1 Điều 84 06/2022/QH15").is_visible()
        assert await page.get_by_text("báo tới 2 cuộc trò chuyện").is_visible()
        assert await fits_the_phone(page)
        await page.screenshot(path=SHOTS / "13-answers.png", full_page=True)
        await page.get_by_role("link", name="Nhật ký").click()
        await page.wait_for_url("**/web/audit")
        await page.get_by_label("Người thực hiện").fill("pham thi lan")
        await page.get_by_label("Từ ngày").fill("10/03/2026")
        await page.get_by_role("button", name="Lọc").click()
        await page.wait_for_url("**/web/audit?*")
        assert await page.get_by_role("cell", name="Thêm câu trả lời của Ban").is_visible()
        assert await page.get_by_text("1 dòng, trang 1/1").is_visible()
        assert await fits_the_phone(page)
        await page.screenshot(path=SHOTS / "14-audit.png", full_page=True)
        await page.get_by_label("Từ ngày").fill("11/03/2026")
        await page.get_by_role("button", name="Lọc").click()
        await page.get_by_text("Không có dòng nhật ký nào khớp.").wait_for()
    with world.sessions() as session:
        answered = session.scalars(select(UnansweredQuestion.answered_by)).all()
    assert answered == [1, 1] and asked < other


async def test_the_office_returns_a_nomination_in_a_browser(world: World) -> None:
    nom_id = nominated(world, "SNV", "CSTDCS", "officer")  # no «Lao động tiên tiến» this year
    on_telegram(world, "head", HEAD_CHAT)
    reason = "Bổ sung chứng nhận sáng kiến và biên bản bình xét"
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        telegram = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        running = services(
            world, {"telegram": telegram}, limits={"telegram": FAST}, background=False
        )
        await telegram.start()
        async with serving(create_app(running, dashboard_for(world))) as url:
            async with chromium_page() as page:
                await page.goto(f"{url}/web/login/{link_for(world, 'office')}")
                await page.get_by_role("button", name="Đăng nhập").click()
                await page.wait_for_url("**/web/movements")
                await page.get_by_role("link", name="Đề nghị khen thưởng", exact=True).click()
                await page.wait_for_url("**/web/nominations")
                item = page.locator(f"#n{nom_id}")
                warning = item.locator(".warnings li").filter(has_text="Điều 23 khoản 1")
                assert await warning.is_visible()
                assert "chưa có «Lao động tiên tiến» năm 2026" in await warning.inner_text()
                assert await item.get_by_role("link", name="to_trinh-tệp.pdf").is_visible()
                assert await fits_the_phone(page)
                await page.screenshot(path=SHOTS / "15-nominations.png", full_page=True)
                await item.get_by_label("Lý do trả lại").fill(reason)
                await item.get_by_role("button", name="Trả lại đơn vị").click()
                await page.get_by_text("Đã trả lại đề nghị").wait_for()
                assert await page.locator(f"#n{nom_id}").get_by_text(reason).is_visible()
                await page.screenshot(path=SHOTS / "16-nomination-returned.png", full_page=True)
            await settle(running)  # before the app's shutdown closes the channel
        assert any(reason in text for text in fake.texts(HEAD_CHAT))
    with world.sessions() as session:
        returned = session.get(Nomination, nom_id)
        assert returned is not None and (returned.status, returned.reason) == ("returned", reason)
