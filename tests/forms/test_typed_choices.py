"""A button's number typed at a step that also takes free text; a stale button outside a form."""

from __future__ import annotations

from bot.i18n import vi
from tests.forms.conftest import World


def test_a_typed_number_picks_the_steps_button_where_text_is_also_taken(world: World) -> None:
    chat = world.chat("head")
    chat.say("đăng ký thi đua")
    chat.press("Tập thể lao động xuất sắc")
    chat.press("Xong")
    chat.press("Thêm chỉ tiêu")
    chat.say("Tỷ lệ hồ sơ giải quyết đúng hạn")
    chat.say("1")  # «%», the first choice under "Đơn vị tính"
    chat.say("95")
    chat.say("1")  # «Hết phong trào (31/12/2026)», the only choice under "Hạn hoàn thành"
    assert "1. Tỷ lệ hồ sơ giải quyết đúng hạn: 95 %, hạn 31/12/2026" in chat.text
    chat.press("Thêm chỉ tiêu")
    chat.say("Số sáng kiến được công nhận")
    chat.say("2")  # «Không có đơn vị»
    chat.say("5")
    chat.say("30/11")
    assert "2. Số sáng kiến được công nhận: 5, hạn 30/11/2026" in chat.text
    chat.press("Thêm chỉ tiêu")
    chat.say("Thu ngân sách trên địa bàn")
    chat.say("triệu đồng")  # typed text is still the unit itself
    chat.say("1.234,5")
    chat.say("3")  # no third choice: not a date either, so it is refused and asked again
    assert vi.REG_ASK_T_DUE in chat.text


def test_a_stale_button_outside_any_form_says_so_and_offers_the_menu(world: World) -> None:
    chat = world.chat("officer")
    chat.say("đăng ký thi đua")
    chat.say("huỷ")
    assert chat.text == vi.FORM_CANCELLED
    chat.send_payload("t:TTLDXS", text="Tập thể lao động xuất sắc")  # from the old message
    assert chat.text.startswith(vi.STALE_BUTTON_NO_FORM)
    assert world.qa.asked == []  # not taken for an empty question
    labels = [b.label for b in chat.buttons()]
    assert vi.MENU_REGISTER in labels and vi.MENU_REPORT in labels
    assert vi.MENU_REVIEW not in labels  # an officer does not review
    chat.press(vi.MENU_REGISTER)
    assert vi.REG_ASK_COLLECTIVE in chat.text

    chat.say("lưu nháp")  # a saved form: the menu offers to resume it
    chat.send_payload("nav:back", text="Quay lại")
    assert vi.MENU_RESUME in [b.label for b in chat.buttons()]
