"""What a simulated unit head does in a chat, step by step, for tests and benchmarks alike."""

from __future__ import annotations

# (kind, text): "say" types the text; "press" presses the button whose label contains it.
# A whole registration: one collective title, one individual title for 12 people, one target.
REGISTRATION: list[tuple[str, str]] = [
    ("say", "Đăng ký thi đua"),
    ("press", "Tập thể lao động xuất sắc"),
    ("say", "1"),  # numbered choice: Lao động tiên tiến
    ("say", "12"),
    ("say", "xong"),
    ("say", "thêm chỉ tiêu"),
    ("say", "Thu ngân sách trên địa bàn"),
    ("say", "triệu đồng"),
    ("say", "1.234,5"),
    ("say", "30/11"),
    ("press", "Xong"),
    ("press", "Xác nhận và nộp"),
]
