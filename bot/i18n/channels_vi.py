"""Vietnamese strings the channel adapters show themselves (command menu, text choices, files).

Kept apart from vi.py because adapters may import this catalogue section but not the core's.
"""

from __future__ import annotations

# Telegram's command menu (setMyCommands): command without the slash, short description.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Bắt đầu; liên kết tài khoản bằng mã mời"),
    ("help", "Hướng dẫn sử dụng"),
    ("dangky", "Đăng ký thi đua của đơn vị"),
    ("baocao", "Báo cáo tiến độ, kết quả thực hiện chỉ tiêu"),
    ("giaouoc", "Ký kết giao ước thi đua"),
    ("huy", "Huỷ thao tác đang làm"),
)

# Under numbered choices on channels without buttons (Zalo).
CHOICE_HINT = "Anh/chị trả lời bằng số thứ tự (ví dụ: 1) để chọn."

# An attachment the channel cannot carry as a file; {name} the file name, {url} a link.
ATTACHMENT_LINK = "Tệp đính kèm «{name}»: {url}"
ATTACHMENT_NOT_SENT = "Tệp đính kèm «{name}» không gửi được qua kênh này; mời xem trên Telegram."

# An update given up after its tries (a dead letter): its files could not be fetched from the
# platform, or the update itself could not be read. Nothing of it was done.
ATTACHMENT_UNREADABLE = (
    "Không đọc được tệp đính kèm «{name}» nên tin nhắn này chưa được xử lý."
    " Anh/chị vui lòng gửi lại tệp."
)
THE_FILE = "tệp"
UPDATE_UNREADABLE = (
    "Không đọc được tin nhắn vừa gửi nên tin nhắn này chưa được xử lý. Anh/chị vui lòng gửi lại."
)

# An incoming file over the size limit; sizes already formatted ("12,5 MB").
FILE_TOO_LARGE = (
    "Tệp «{name}» quá lớn ({size}); giới hạn là {limit}. Anh/chị gửi tệp nhỏ hơn hoặc nén lại."
)
