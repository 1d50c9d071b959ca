"""Every Vietnamese sentence the assistant shows a person, in one place.

Templates use str.format fields; keep diacritics exact: cadres read these.
"""

from __future__ import annotations

BOT_NAME = "Trợ lý Thi đua"

WELCOME = (
    "Xin chào! Tôi là Trợ lý Thi đua. Anh/chị có thể hỏi tôi về quy định thi đua, khen thưởng, "
    "ví dụ: «Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?» hoặc «Điều 27 Luật Thi đua, "
    "khen thưởng». Gõ /help để xem hướng dẫn."
)

HELP = (
    "Tôi trả lời câu hỏi về quy định thi đua, khen thưởng từ các văn bản đã nạp, kèm căn cứ "
    "pháp lý (số văn bản, cơ quan ban hành, ngày, Điều/Khoản/Điểm).\n"
    "• Hỏi bằng tiếng Việt, có dấu hoặc không dấu: «tieu chuan lao dong tien tien».\n"
    "• Tra cứu trực tiếp: «Điều 24 Luật Thi đua, khen thưởng», «khoản 1 Điều 27», "
    "«Nghị định 91/2017».\n"
    "• /help — hướng dẫn; /exit — thoát (trên máy tính)."
)

UNKNOWN_COMMAND = "Tôi chưa biết lệnh «{command}». Gõ /help để xem các lệnh."

EMPTY_QUESTION = (
    "Anh/chị chưa nhập câu hỏi. Hãy gõ câu hỏi về thi đua, khen thưởng, ví dụ: "
    "«Tiêu chuẩn Tập thể lao động xuất sắc là gì?»"
)

NO_WORDS = (
    "Tôi chưa hiểu tin nhắn này. Anh/chị hãy gõ câu hỏi bằng chữ, ví dụ: "
    "«Ai có thẩm quyền phát động phong trào thi đua?»"
)

TOO_LONG = (
    "Câu hỏi khá dài ({length} ký tự); tôi chỉ xét {limit} ký tự đầu. "
    "Lần sau anh/chị hãy hỏi ngắn gọn từng ý để có kết quả chính xác hơn."
)

NOT_FOUND = (
    "Tôi chưa tìm thấy quy định nào phù hợp với câu hỏi này trong các văn bản đã nạp.\n"
    "Anh/chị có thể diễn đạt lại (nêu rõ danh hiệu, hình thức khen thưởng hoặc số văn bản), "
    "hoặc liên hệ Ban Thi đua - Khen thưởng để được hướng dẫn. "
    "Câu hỏi đã được ghi lại để bộ phận phụ trách bổ sung tài liệu."
)

BASIS = "Căn cứ: {basis}"
SEE_ALSO = "Xem thêm:"
SEE_ALSO_ITEM = "• {basis}"
NOT_IN_FORCE = "⚠ Lưu ý: văn bản này {status}; chỉ dùng để tham khảo, không làm căn cứ hiện hành."
PARTIAL_TEXT = (
    "(Kho văn bản mẫu chỉ có trích đoạn của văn bản này; hãy đối chiếu toàn văn trước khi dùng.)"
)

CONSOLE_PROMPT = "Bạn"
CONSOLE_BOT = "Trợ lý"
CONSOLE_BYE = "Tạm biệt!"
CONSOLE_INTRO = (
    "Trò chuyện với Trợ lý Thi đua trên máy tính. Gõ /help để xem hướng dẫn, /exit để thoát."
)

INDEX_BUILDING = "Đang lập chỉ mục kho văn bản mẫu (chỉ làm một lần)…"
INDEX_READY = "Đã lập chỉ mục {documents} văn bản, {chunks} đoạn."

INGEST_SUMMARY = (
    "Đã nạp: {added} văn bản mới, {updated} văn bản cập nhật, {unchanged} không đổi, "
    "{removed} đã gỡ; {embedded} đoạn được mã hoá."
)
INGEST_FAILED = "Lỗi: {message}"
INGEST_NOTHING = "Không tìm thấy tệp nào để nạp trong: {paths}"

UNANSWERED_EMPTY = "Chưa có câu hỏi nào chưa trả lời được."
UNANSWERED_HEADER = "Các câu hỏi chưa trả lời được (mới nhất trước):"

CONFIG_ERROR = "Cấu hình không hợp lệ: {details}"

ROLE_LABELS = {
    "office_admin": "Ban Thi đua - Khen thưởng",
    "cluster_lead": "Cụm/khối trưởng",
    "unit_head": "Thủ trưởng đơn vị",
    "unit_officer": "Cán bộ làm công tác thi đua",
    "cadre": "Cán bộ",
}
