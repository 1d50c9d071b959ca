"""Vietnamese text of the year-end nominations (đề nghị khen thưởng): the /denghi form, the
head's and the office's decisions, the Law's checks, the results import and the exports.

A catalogue of its own beside bot.i18n.vi, which several features edit at once.
"""

from __future__ import annotations

LAW = "Luật Thi đua, khen thưởng 2022"

# --- results import (bot/admin/results.py) -----------------------------------------------

COL_YEAR = "năm"
COL_AWARD = "danh hiệu, hình thức"
COL_UNIT = "mã đơn vị"
COL_NAME = "họ và tên"
COL_PHONE = "số điện thoại"
COL_DECISION = "số quyết định"
COL_DATE = "ngày quyết định"
COL_ISSUER = "cấp quyết định"
NOTE_YEAR = "Năm thi đua được khen, ví dụ 2025."
NOTE_AWARD = (
    "Tên hoặc mã danh hiệu, hình thức: «Lao động tiên tiến» (LDTT), «Chiến sĩ thi đua cơ sở» "
    "(CSTDCS), «Chiến sĩ thi đua Bộ, ban, ngành, tỉnh» (CSTD_TINH), «Tập thể lao động xuất sắc» "
    "(TTLDXS), «Giấy khen» (GK), «Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh» (BK_TINH)…"
)
NOTE_UNIT = "Mã đơn vị của tập thể được khen, hoặc của đơn vị nơi cá nhân công tác."
NOTE_NAME = "Họ và tên cá nhân được khen; để trống khi khen chính đơn vị (tập thể)."
NOTE_PHONE = "Không bắt buộc: số điện thoại của cán bộ đã có trong danh sách, để khớp đúng người."
NOTE_DECISION = "Số quyết định khen thưởng, ví dụ 125/QĐ-UBND."
NOTE_DATE = "Ngày ký quyết định, ví dụ 20/12/2025."
NOTE_ISSUER = "Cấp hoặc người ra quyết định, ví dụ Chủ tịch UBND tỉnh."
TEMPLATE_RESULTS_SHEET = "Kết quả khen thưởng"
ROW_UNKNOWN_AWARD = "không có danh hiệu, hình thức «{value}»"
ROW_AWARD_NEEDS_NAME = "«{award}» là danh hiệu cá nhân: cần «họ và tên»"
ROW_AWARD_FOR_UNIT = "«{award}» là danh hiệu tập thể: để trống «họ và tên»"
ROW_UNKNOWN_PHONE = "không có cán bộ nào có số điện thoại «{value}»"
ROW_PHONE_OTHER_UNIT = "cán bộ có số điện thoại «{value}» thuộc đơn vị khác"
ROW_SAME_RESULT = "kết quả này trùng với dòng {line}"
CLI_RESULTS_HELP = "Kết quả khen thưởng các năm (để đối chiếu khi xét đề nghị)."
CLI_RESULTS_IMPORT_HELP = "Nhập kết quả khen thưởng (năm, danh hiệu, người/đơn vị, quyết định)."
CLI_RESULTS_TEMPLATE_HELP = "Ghi tệp mẫu nhập kết quả khen thưởng."
