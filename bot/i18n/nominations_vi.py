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

# --- the Law's checks (bot/core/nomination_checks.py) -----------------------------------
# Each names its basis; a warning never blocks: the council and the office decide.

WARNINGS_HEADER = f"Lưu ý đối chiếu {LAW} và hồ sơ thi đua (không chặn việc gửi; Hội đồng xét):"
WARN_CSTDCS_NEEDS_LDTT = (
    "{name} chưa có «Lao động tiên tiến» năm {year} (không có trong kết quả, đơn vị cũng chưa đề "
    "nghị): «Chiến sĩ thi đua cơ sở» cần đạt tiêu chuẩn «Lao động tiên tiến» "
    f"(Điều 23 khoản 1 {LAW})."
)
WARN_PROVINCIAL_NEEDS_THREE = (
    "{name} chưa có 03 lần liên tục «Chiến sĩ thi đua cơ sở» (các năm đã có: {years}): "
    f"chiến sĩ thi đua cấp tỉnh được chọn trong số đó (Điều 22 khoản 1 điểm a {LAW})."
)
WARN_NATIONAL_NEEDS_TWO = (
    "{name} chưa có 02 lần liên tục chiến sĩ thi đua Bộ, ban, ngành, tỉnh (các năm đã có: "
    f"{{years}}) (Điều 21 khoản 1 điểm a {LAW})."
)
NO_YEARS = "chưa có"
WARN_EXCELLENT_SHARE = (
    "Đơn vị mới có {count}/{people} người đạt hoặc được đề nghị «{basic}» năm {year} "
    f"({{percent}} %), dưới 70 % (Điều 27 khoản {{clause}} {LAW})."
)
WARN_EXCELLENT_NEEDS_CSTDCS = (
    "Đơn vị chưa có ai được đề nghị «Chiến sĩ thi đua cơ sở» năm {year} "
    f"(Điều 27 khoản 1 điểm d {LAW})."
)
WARN_FLAG_NO_CLUSTER = (
    "Đơn vị không thuộc cụm, khối thi đua nào năm {year}: cờ thi đua tặng tập thể dẫn đầu cụm, "
    f"khối (Điều {{article}} khoản 1 {LAW})."
)
WARN_FLAG_NO_RANKING = (
    "{cluster} chưa ghi kết quả bình xét, suy tôn năm {year}: chưa rõ đơn vị dẫn đầu "
    f"(Điều {{article}} khoản 1 {LAW})."
)
WARN_FLAG_NOT_LEADER = (
    "{cluster} suy tôn «{leader}» dẫn đầu năm {year}, không phải đơn vị này "
    f"(Điều {{article}} khoản 1 {LAW})."
)
WARN_FILES_MISSING = f"Hồ sơ còn thiếu {{missing}} (Điều 84 khoản {{clause}} {{points}} {LAW})."
WARN_OPINION_MISSING = (
    "Đề nghị «{award}» cần có trong hồ sơ ý kiến của cơ quan, tổ chức ở trung ương có liên quan "
    f"hoặc Ủy ban nhân dân cấp tỉnh; hồ sơ chưa có (Điều 84 khoản 3 {LAW})."
)
WARN_NOT_REGISTERED = "Đơn vị chưa có bản đăng ký thi đua cho phong trào «{movement}»."
WARN_REGISTERED_OTHER = "Đơn vị đã đăng ký «{registered}», nay đề nghị «{award}»."
WARN_REGISTERED_NO_COLLECTIVE = (
    "Bản đăng ký thi đua của đơn vị không có danh hiệu tập thể, nay đề nghị «{award}»."
)
WARN_TITLE_NOT_REGISTERED = "Bản đăng ký thi đua của đơn vị không có «{award}»."
WARN_NAME_NOT_REGISTERED = "{name} không có trong danh sách đăng ký «{award}» của đơn vị."
WARN_TARGETS = "Báo cáo «{period}» của đơn vị đạt {reached}/{total} chỉ tiêu ({percent} %).{basis}"
WARN_TARGETS_BASIS = {
    "CO_TINH": f" Cờ thi đua cần hoàn thành vượt các chỉ tiêu (Điều 26 khoản 1 điểm a {LAW}).",
    "CO_CP": f" Cờ thi đua cần hoàn thành vượt các chỉ tiêu (Điều 25 khoản 1 điểm a {LAW}).",
    "TTLDXS": f" Danh hiệu cần hoàn thành xuất sắc nhiệm vụ (Điều 27 khoản 1 điểm a {LAW}).",
    "TTLDTT": f" Danh hiệu cần hoàn thành tốt nhiệm vụ (Điều 28 khoản 1 điểm a {LAW}).",
}
WARN_QUOTA = (
    "Số «{award}» của đơn vị ({count}) vượt {limit} % số «{base}» ({base_count}) theo mức "
    "phong trào quy định."
)
FILE_KIND_NAMES = {
    "to_trinh": "Tờ trình",
    "bao_cao": "Báo cáo thành tích",
    "bien_ban": "Biên bản bình xét",
    "sang_kien": "Chứng nhận sáng kiến, đề tài",
    "y_kien": "Ý kiến của cơ quan trung ương hoặc Ủy ban nhân dân tỉnh",
    "khac": "Tài liệu khác",
}

# --- the /denghi form (bot/core/flows/nomination.py) -------------------------------------

STATUS_LABELS = {
    "draft": "Nháp",
    "pending_head": "Chờ thủ trưởng",
    "submitted": "Đã nộp",
    "returned": "Trả lại",
    "approved": "Đồng ý trình",
    "refused": "Không đồng ý",
}
NOM_NOT_FOR_YOU = (
    "Chỉ thủ trưởng và cán bộ làm công tác thi đua của đơn vị lập đề nghị khen thưởng."
)
NOM_START = "ĐỀ NGHỊ KHEN THƯỞNG năm {year}{movement}. Đơn vị đã có {count} đề nghị năm nay."
NOM_START_MOVEMENT = " — «{movement}»"
NOM_PAST_DEADLINE = (
    "Đã hết hạn gửi đề nghị khen thưởng ({deadline}). Chỉ đề nghị bị trả lại mới sửa được."
)
NOM_ASK_MOVEMENT = "Đề nghị khen thưởng trong phong trào nào?"
NOM_ASK_KIND = "Đề nghị khen thưởng cho ai?"
BTN_KIND_PERSON = "👤 Cá nhân trong đơn vị"
BTN_KIND_UNIT = "🏢 Chính đơn vị (tập thể)"
BTN_KIND_NAMED = "✍ Người chưa có trong danh sách"
NOM_ASK_PERSON = (
    "Chọn người được đề nghị, hoặc gõ một phần họ tên để tìm ({count} người trong đơn vị)."
)
NOM_ASK_PERSON_FOUND = "Có {count} người khớp «{query}»; anh/chị chọn một người, hoặc gõ tên khác."
NOM_PERSON_NONE = "Không có ai trong đơn vị khớp «{query}». Anh/chị gõ tên khác."
NOM_ASK_NAMED = "Họ và tên người được đề nghị (người chưa có trong danh sách cán bộ của đơn vị)?"
NOM_BAD_NAMED = "Họ và tên cần từ 3 đến 100 ký tự."
NOM_ASK_AWARD = "Danh hiệu hoặc hình thức khen thưởng đề nghị cho {nominee}?"
NOM_ASK_SUMMARY = (
    "Tóm tắt thành tích của {nominee} (vài câu: nhiệm vụ, kết quả nổi bật, sáng kiến nếu có)."
)
NOM_BAD_SUMMARY = "Tóm tắt thành tích cần từ 10 đến 3000 ký tự."
NOM_ASK_FILES = (
    f"Hồ sơ kèm theo (Điều 84 {LAW}). Bấm loại tài liệu rồi gửi tệp; bấm «Xong» khi đủ.\n{{files}}"
)
NOM_NO_FILES = "(chưa có tệp nào)"
NOM_FILE_LINE = "{number}. {kind}: {name}"
NOM_ASK_FILE = "Anh/chị gửi tệp «{kind}» (ảnh hoặc tệp PDF, Word), rồi bấm «Xong»."
NOM_FILE_KIND_FIRST = "Anh/chị bấm loại tài liệu trước, rồi gửi tệp."
NOM_SUMMARY = (
    "ĐỀ NGHỊ KHEN THƯỞNG — {unit}\n"
    "Năm: {year}{movement}\n"
    "Người/tập thể được đề nghị: {nominee}\n"
    "Danh hiệu/hình thức: {award}\n"
    "Trạng thái: {status}\n"
    "Tóm tắt thành tích: {summary}\n"
    "Hồ sơ kèm theo ({count} tệp):\n{files}"
)
NOM_SUMMARY_MOVEMENT = " — phong trào «{movement}»"
NOM_SUMMARY_REASON = "Lý do trả lại/không đồng ý: {reason}"
NOM_NO_WARNINGS = "✔ Không thấy điểm nào trái tiêu chuẩn theo hồ sơ đang có."
BTN_EDIT_WHO = "Sửa người được đề nghị"
BTN_EDIT_AWARD = "Sửa danh hiệu, hình thức"
BTN_EDIT_SUMMARY = "Sửa tóm tắt thành tích"
BTN_EDIT_FILES = "Sửa hồ sơ kèm theo"
NOM_DUPLICATE = (
    "{nominee} đã được đơn vị đề nghị «{award}» năm {year} (đề nghị số {id}). "
    "Anh/chị mở đề nghị đó để sửa: /denghi {id}"
)
NOM_SENT_TO_HEAD = "Đã gửi đề nghị số {id} (phiên bản {version}) để thủ trưởng xác nhận."
NOM_SUBMITTED = "Đã nộp đề nghị số {id} (phiên bản {version}) lên Ban Thi đua - Khen thưởng."
NOM_CONFLICT = (
    "Đề nghị này vừa được người khác thay đổi; chưa có gì được lưu. "
    "Anh/chị gõ /denghi {id} để mở bản mới nhất."
)
NOM_EDITING = "Đang sửa đề nghị số {id} (phiên bản {version})."
NOM_NOT_EDITABLE = "Đề nghị số {id} đang ở trạng thái «{status}», không sửa được nữa."
NOM_NOT_FOUND = "Không có đề nghị số {id} của đơn vị anh/chị."
NOM_HEAD_RETURNED = "Đã trả lại đề nghị cho cán bộ sửa."

# --- the head's confirmation (/xacnhandn) -------------------------------------------------

NOM_CONFIRM_NOT_FOR_YOU = "Chỉ thủ trưởng đơn vị xác nhận đề nghị khen thưởng."
NOM_CONFIRM_NOTHING = "Không có đề nghị khen thưởng nào đang chờ anh/chị xác nhận."
NOM_CONFIRM_HEADER = "{by} đã lập đề nghị này; anh/chị xem và xác nhận."
HANDOFF_TO_HEAD = (
    "📌 {by} đã gửi đề nghị khen thưởng, đề nghị anh/chị xác nhận và nộp.\n\n{summary}"
)
HANDOFF_TO_OFFICE = (
    "📌 {unit} đã nộp đề nghị khen thưởng số {id}: {nominee} — «{award}» ({warnings} lưu ý)."
)
BTN_VIEW_DECIDE = "Xem và xét"
HANDOFF_APPROVED = (
    "✅ Ban Thi đua - Khen thưởng đồng ý trình Hội đồng đề nghị: {nominee} — «{award}»."
)
HANDOFF_RETURNED = (
    "↩ {by} trả lại đề nghị khen thưởng {nominee} — «{award}» để sửa. Lý do: {reason}"
)
HANDOFF_REFUSED = (
    "⛔ Ban Thi đua - Khen thưởng không đồng ý đề nghị {nominee} — «{award}». Lý do: {reason}"
)
BTN_OPEN_NOMINATION = "Mở đề nghị để sửa"

# --- the office's review (/duyetdn) -------------------------------------------------------

NOM_REVIEW_NOT_FOR_YOU = "Chỉ Ban Thi đua - Khen thưởng xét đề nghị khen thưởng."
NOM_REVIEW_NOTHING = "Không có đề nghị khen thưởng nào đang chờ xét."
NOM_REVIEW_PICK = "Có {count} đề nghị khen thưởng đang chờ xét; chọn một đề nghị:"
BTN_APPROVE_NOM = "✅ Đồng ý trình Hội đồng"
BTN_RETURN_NOM = "↩ Trả lại đơn vị"
BTN_REFUSE_NOM = "⛔ Không đồng ý"
NOM_ASK_RETURN_REASON = "Lý do trả lại (đơn vị sẽ thấy lý do này)?"
NOM_ASK_REFUSE_REASON = "Lý do không đồng ý (đơn vị sẽ thấy lý do này)?"
NOM_APPROVED = "Đã đồng ý trình đề nghị số {id} ({unit}); đơn vị được báo."
NOM_RETURNED = "Đã trả lại đề nghị số {id} cho {unit}, kèm lý do."
NOM_REFUSED = "Đã ghi không đồng ý đề nghị số {id} của {unit}, kèm lý do."
NOM_REVIEW_CONFLICT = (
    "Đề nghị này vừa được thay đổi trong lúc anh/chị xem; chưa có gì được lưu. "
    "Anh/chị gõ /duyetdn để xem lại."
)

# --- the council's list (bot/admin/nomination_export.py) ---------------------------------

EXPORT_SHEET = "Đề nghị khen thưởng"
EXPORT_TALLY_SHEET = "Tổng hợp"
EXPORT_HEADERS = (
    "STT",
    "Danh hiệu, hình thức",
    "Mã đơn vị",
    "Đơn vị",
    "Cá nhân, tập thể được đề nghị",
    "Tóm tắt thành tích",
    "Số tệp kèm theo",
    "Trạng thái",
    "Lý do trả lại, không đồng ý",
    "Số lưu ý",
    "Lưu ý theo Luật và hồ sơ",
)
EXPORT_GROUP = "{award}: {count} đề nghị"
EXPORT_TALLY_UNIT = "Đơn vị"
EXPORT_TALLY_TOTAL = "Cộng"
EXPORT_DONE = "Đã ghi {file}: {count} đề nghị khen thưởng."
CLI_EXPORT_NOMINATIONS_HELP = (
    "Xuất danh sách đề nghị khen thưởng của một phong trào (theo danh hiệu, hình thức, kèm lưu ý "
    "và bảng tổng hợp theo đơn vị) ra Excel cho phiên họp Hội đồng."
)

# --- the cluster's year-end ranking (/xephang, bot/core/flows/ranking.py) ------------------

RANK_ASK = (
    "BÌNH XÉT, SUY TÔN — {cluster} năm {year}. Bấm các đơn vị theo thứ tự xếp hạng, bắt đầu từ "
    "đơn vị dẫn đầu (được đề nghị cờ thi đua).\nĐã xếp:\n{ranked}"
)
RANK_NONE_YET = "(chưa xếp đơn vị nào)"
RANK_LINE = "{number}. {unit}"
BTN_RANK_RESET = "↺ Xếp lại từ đầu"
BTN_RANK_SAVE = "💾 Lưu kết quả"
RANK_CONFIRM = (
    "KẾT QUẢ BÌNH XÉT — {cluster} năm {year}\n{ranked}\n"
    "Đơn vị dẫn đầu, đề nghị cờ thi đua: {leader}"
)
RANK_SAVED = "Đã lưu kết quả bình xét của {cluster}; các đơn vị thành viên và Ban được báo."
RANK_NOTICE = "🏆 {cluster} đã bình xét, suy tôn năm {year}:\n{ranked}\nĐơn vị dẫn đầu: {leader}"
RANK_VIEW = "KẾT QUẢ BÌNH XÉT — {cluster} năm {year}\n{ranked}"
RANK_NOT_RECORDED = "{cluster} chưa ghi kết quả bình xét, suy tôn năm {year}."
RANK_NO_CLUSTER = "Đơn vị của anh/chị không thuộc cụm, khối thi đua nào năm {year}."
CLI_RANKING_HELP = (
    "Ghi kết quả bình xét, suy tôn của một cụm/khối: các mã đơn vị theo thứ tự, đơn vị dẫn đầu "
    "trước (ví dụ: thidua clusters ranking K1 --year 2026 STP SNV)."
)
RANK_UNKNOWN_CLUSTER = "Không có cụm/khối mã «{code}» năm {year}."
RANK_NOT_MEMBER = "Đơn vị «{code}» không thuộc {cluster} năm {year}."
RANK_RECORDED = "Đã ghi kết quả bình xét của {cluster} năm {year}: {units}."

# --- a movement's nomination settings (thidua movement nominations) ------------------------

CLI_SETTINGS_HELP = (
    "Đặt hạn gửi đề nghị khen thưởng và tỷ lệ tối đa của một phong trào, ví dụ: thidua movement "
    "nominations PT2026 --deadline 10/12/2026 --quota CSTDCS:LDTT:15"
)
CLI_DEADLINE_HELP = "Hạn gửi đề nghị khen thưởng (31/12/2026); để trống: giữ như cũ."
CLI_QUOTA_HELP = (
    "Tỷ lệ tối đa «DANH_HIỆU:TRÊN_DANH_HIỆU:PHẦN_TRĂM», ví dụ CSTDCS:LDTT:15 (số Chiến sĩ thi đua "
    "cơ sở không quá 15 % số Lao động tiên tiến của đơn vị); lặp lại cho mỗi tỷ lệ."
)
CLI_CLEAR_QUOTAS_HELP = "Bỏ mọi tỷ lệ đã đặt."
SETTINGS_BAD_QUOTA = "Tỷ lệ «{value}» không hợp lệ: cần DANH_HIỆU:TRÊN_DANH_HIỆU:PHẦN_TRĂM (0–100)."
SETTINGS_SAVED = "Phong trào «{movement}»: hạn gửi đề nghị {deadline}; tỷ lệ: {quotas}."
SETTINGS_NO_DEADLINE = "không đặt"
SETTINGS_NO_QUOTAS = "không đặt"

# --- questions on the records (bot/core/nomination_questions.py) --------------------------

Q_NEED_UNIT = "Anh/chị chưa thuộc đơn vị nào trong danh sách nên chưa xem được đề nghị khen thưởng."
Q_NOT_YOURS = (
    "Anh/chị chỉ xem được đề nghị khen thưởng của đơn vị mình (hoặc cụm, khối mình phụ trách)."
)
Q_NONE_SENT = "{unit} chưa có đề nghị khen thưởng nào năm {year}."
Q_SENT = "{unit} năm {year} có {count} đề nghị khen thưởng: {statuses}."
Q_STATUS_PART = "{count} {status}"
Q_LINE = "• {nominee} — «{award}»: {status}"
Q_COUNT = (
    "Năm {year}, {unit} có {count} đề nghị «{award}» (không tính đề nghị bị không đồng ý){detail}."
)
Q_COUNT_ALL = (
    "Năm {year}, {unit} có {count} đề nghị khen thưởng (không tính đề nghị bị không đồng ý)"
    "{detail}."
)
Q_DETAIL = ": {parts}"

# --- reminders (bot/reminders/standing.py) ------------------------------------------------

SUBJECT_NOMINATION = "đề nghị khen thưởng «{movement}»"

# --- waiting on the next message (bot/core/nomination_notices.py) ------------------------

NOTICE_CONFIRM = "📌 {by} đã gửi đề nghị khen thưởng {nominee} — «{award}», chờ anh/chị xác nhận."
BTN_OPEN_CONFIRM = "Xem và xác nhận"
NOTICE_REVIEW = "📌 Có {count} đề nghị khen thưởng đang chờ Ban xét."
BTN_OPEN_REVIEW = "Xét đề nghị khen thưởng"
MENU_NOMINATE = "Đề nghị khen thưởng"
CLI_RESULTS_ADD_HELP = (
    "Ghi một kết quả khen thưởng (như một dòng của tệp nhập), ví dụ: thidua results add --year "
    '2025 --award CSTDCS --unit SNV --name "Trần Thị Mai" --decision 12/QĐ-SNV --date 20/12/2025'
)
RESULT_ROW_ERROR = "Lỗi: {reason}"
RESULT_ADDED = "Đã ghi kết quả khen thưởng ({created} mới, {updated} cập nhật)."
