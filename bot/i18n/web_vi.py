"""Vietnamese texts of the office's web dashboard (bot/web): page titles, labels, messages."""

from __future__ import annotations

APP_TITLE = "Trợ lý Thi đua — Trang quản lý"
NAV_MOVEMENTS = "Phong trào"
NAV_REVIEW = "Duyệt đăng ký"
NAV_QUESTIONS = "Câu hỏi"
NAV_AUDIT = "Nhật ký"
SIGN_OUT = "Đăng xuất"
SIGNED_IN_AS = "Đang đăng nhập: {name}"

SIGN_IN_TITLE = "Đăng nhập"
SIGN_IN_HOW = (
    "Trang quản lý không dùng mật khẩu. Anh/chị gõ /web trong Telegram hoặc Zalo với "
    "Trợ lý Thi đua để nhận liên kết đăng nhập (dùng một lần, trong {minutes} phút)."
)
SIGN_IN_CONFIRM = "Bấm nút dưới đây để đăng nhập trên thiết bị này."
SIGN_IN_BUTTON = "Đăng nhập"
SIGN_IN_SPENT = (
    "Liên kết đăng nhập này đã dùng hoặc đã hết hạn. Anh/chị gõ /web trong cuộc trò chuyện "
    "với trợ lý để nhận liên kết mới."
)
SIGNED_OUT = "Anh/chị đã đăng xuất."
SESSION_ENDED = "Phiên đăng nhập đã kết thúc (hết hạn hoặc vai trò đã thay đổi). Mời đăng nhập lại."

FORBIDDEN_TITLE = "Không có quyền truy cập"
FORBIDDEN = "Anh/chị không có quyền xem trang hoặc thực hiện thao tác này."
CSRF_FAILED = "Biểu mẫu không hợp lệ hoặc đã cũ. Mời tải lại trang và thử lại."
NOT_FOUND_TITLE = "Không tìm thấy"
NOT_FOUND = "Không tìm thấy trang hoặc dữ liệu yêu cầu."

# The chat command /web and the command line
WEB_LINK = "🔗 Liên kết đăng nhập trang quản lý (dùng một lần, hết hạn sau {minutes} phút):\n{url}"
WEB_NOT_LINKED = "Anh/chị cần liên kết tài khoản với trợ lý trước khi đăng nhập trang quản lý."
WEB_NOT_FOR_YOU = (
    "Trang quản lý dành cho Ban Thi đua, trưởng cụm/khối và đơn vị; anh/chị chưa có vai trò đó."
)
WEB_PERSON_UNKNOWN = "Không tìm thấy cán bộ có số điện thoại hoặc mã «{who}»."
WEB_PERSON_AMBIGUOUS = "Có nhiều cán bộ khớp với «{who}»; hãy dùng mã cán bộ (số)."

# Movements
MOVEMENTS_TITLE = "Phong trào thi đua"
MOVEMENTS_NONE = "Không có phong trào nào đang diễn ra."
MOVEMENT_DATES = "Từ {start} đến {end} · hạn đăng ký {deadline}"
FILTER_CLUSTER = "Cụm/khối"
FILTER_STATUS = "Trạng thái đăng ký"
FILTER_ALL = "Tất cả"
FILTER_APPLY = "Lọc"
COL_UNIT = "Đơn vị"
COL_REGISTRATION = "Đăng ký"
COL_PLEDGE = "Giao ước"
COL_ACTIONS = "Thao tác"
CHART_TITLE = "Tiến độ đăng ký thi đua"
CHART_AXIS = "Số đơn vị"
OVERDUE_LINK = "{subject}: {count} đơn vị quá hạn chưa nộp"
OVERDUE_TITLE = "Đơn vị quá hạn chưa nộp — {subject}"
OVERDUE_CLEAR = "Xem tất cả đơn vị"
SHOW_UNITS = "Xem từng đơn vị: đăng ký, báo cáo, giao ước ›"
UNITS_PAGE = "{total} đơn vị, trang {page}/{pages}"
REMIND_NOW = "🔔 Nhắc ngay các đơn vị này"
REMIND_HINT = "Thủ trưởng và cán bộ đầu mối nhận lời nhắc qua trợ lý; mỗi giờ nhắc tối đa một lần."
REMINDED = "Đã xếp {count} lời nhắc vào hàng gửi (trong giờ nghỉ, lời nhắc đi vào sáng hôm sau)."
REMINDED_NONE = (
    "Không có lời nhắc mới: các đơn vị này vừa được nhắc trong giờ này, "
    "hoặc chưa ai của đơn vị liên kết tài khoản với trợ lý."
)

# Registration states shown on the board
REG_STATES = {
    "missing": "chưa nộp",
    "pending": "chờ thủ trưởng",
    "submitted": "đã nộp",
    "late": "nộp muộn",
    "returned": "trả lại",
    "approved": "đã duyệt",
    "paper": "nộp bản giấy",
}
# Report periods and pledges
REPORT_STATES = {
    "submitted": "đã nộp",
    "late": "nộp muộn",
    "missing": "chưa nộp",
    "pending": "chờ thủ trưởng",
    "returned": "trả lại",
    "paper": "nộp bản giấy",
}
PLEDGE_STATES = {
    "submitted": "đã ký",
    "missing": "chưa ký",
    "waiting": "chưa mở",
    "paper": "ký bản giấy",
}

# A unit
UNIT_TITLE = "Đơn vị: {name}"
UNIT_REGISTRATION = "Đăng ký thi đua — {movement}"
UNIT_NO_REGISTRATION = "Chưa có đăng ký."
UNIT_STATUS = "Trạng thái: {status} · phiên bản {version}"
UNIT_RETURN_REASON = "Lý do trả lại: {reason}"
UNIT_TITLES = "Danh hiệu đăng ký"
UNIT_COLLECTIVE = "Danh hiệu tập thể: {title}"
UNIT_TARGETS = "Chỉ tiêu"
COL_TARGET = "Chỉ tiêu"
COL_TARGET_VALUE = "Mục tiêu"
COL_DUE = "Hạn"
COL_TITLE = "Danh hiệu"
COL_NAMES = "Cá nhân"
COL_COUNT = "Số lượng"
UNIT_VERSIONS = "Các phiên bản"
VERSION_LINE = "Phiên bản {version} — {at}"
UNIT_REPORTS = "Báo cáo"
COL_PERIOD = "Kỳ báo cáo"
COL_STATUS = "Trạng thái"
COL_SUBMITTED_AT = "Ngày nộp"
UNIT_PEOPLE = "Cán bộ"
COL_NAME = "Họ tên"
COL_ROLES = "Vai trò"
COL_CHATS = "Tài khoản đã liên kết"
NO_CHAT = "chưa liên kết"
ROLE_NAMES = {
    "office_admin": "Ban Thi đua",
    "cluster_lead": "Trưởng cụm/khối",
    "unit_head": "Thủ trưởng",
    "unit_officer": "Cán bộ thi đua",
    "cadre": "Cán bộ",
}
REG_STATUS = {
    "draft": "đang soạn",
    "pending_confirmation": "chờ thủ trưởng",
    "submitted": "đã nộp, chờ duyệt",
    "returned": "trả lại",
    "approved": "đã duyệt",
}

# Review
REVIEW_TITLE = "Đăng ký chờ duyệt"
REVIEW_NONE = "Không có đăng ký nào chờ duyệt."
REVIEW_SUBMITTED = "Nộp ngày {at}"
REVIEW_APPROVE = "✅ Duyệt"
REVIEW_RETURN = "↩️ Trả lại"
REVIEW_REASON = "Lý do trả lại"
REVIEW_REASON_HINT = "Nêu rõ nội dung đơn vị cần sửa"
REVIEW_DONE_APPROVED = "Đã duyệt bản đăng ký; đơn vị đã được báo qua trợ lý."
REVIEW_DONE_RETURNED = "Đã trả lại bản đăng ký; đơn vị đã được báo qua trợ lý."
REVIEW_DONE_UNREACHED = (
    "Đã ghi quyết định, nhưng chưa ai của đơn vị liên kết tài khoản với trợ lý: "
    "anh/chị hãy báo trực tiếp cho đơn vị."
)
REVIEW_BAD_REASON = "Lý do trả lại cần từ 3 đến 2000 ký tự."
REVIEW_CONFLICT = "Đăng ký này vừa được người khác thay đổi; mời xem lại."
REVIEW_OPEN_UNIT = "Xem đơn vị"
REVIEW_PAGE = "{total} đăng ký chờ duyệt, trang {page}/{pages} (cũ nhất trước)."
PAGER_LABEL = "Chuyển trang"
PAGER_PREVIOUS = "‹ Trang trước"
PAGER_NEXT = "Trang sau ›"
PAGER_POSITION = "Trang {page}/{pages}"

# A unit's page: warnings, report values, attachments, pledges, reminders
UNIT_WARNINGS = "Cảnh báo theo Luật Thi đua, khen thưởng"
UNIT_REPORT_VALUES = "Kết quả so với chỉ tiêu — {period}"
COL_PLANNED = "Chỉ tiêu"
COL_ACTUAL = "Đạt được"
COL_SHARE = "Tỷ lệ"
UNIT_ATTACHMENTS = "Tệp đính kèm"
UNIT_PLEDGES = "Giao ước thi đua"
COL_CLUSTER = "Cụm/khối"
COL_MOVEMENT = "Phong trào"
COL_SIGNED = "Đơn vị ký"
COL_SIGNATURES = "Đã ký"
PLEDGE_NOT_SIGNED = "chưa ký"
UNIT_NO_PLEDGE = "Cụm/khối của đơn vị chưa mở giao ước nào."
UNIT_REMINDERS = "Lời nhắc và thông báo gần đây"
UNIT_NO_REMINDERS = "Chưa có lời nhắc nào gửi đến đơn vị."
COL_SENT_AT = "Thời điểm"
COL_REMINDER_SUBJECT = "Nội dung"
COL_RECIPIENT = "Người nhận"
COL_CHANNEL = "Kênh"
REMINDER_REGISTRATION = "Đăng ký thi đua — {movement}"
REMINDER_REPORT = "Báo cáo {period}"
REMINDER_PLEDGE = "Ký giao ước — {movement}"
REMINDER_HANDOFF = "Thông báo chuyển bước xử lý"
REMINDER_STATES = {
    "sent": "đã gửi",
    "unreached": "chưa liên lạc được (chưa liên kết)",
    "skipped": "bỏ lỡ khung giờ gửi",
}

# Organisation: imports, invite codes, people without a linked chat
NAV_ORG = "Tổ chức"
ORG_TITLE = "Tổ chức: đơn vị, cụm/khối, cán bộ"
ORG_IMPORT = "Nhập từ tệp Excel/CSV"
ORG_IMPORT_HOW = (
    "Cùng tệp với lệnh «thidua … import»: mọi dòng được kiểm tra trước khi ghi; chỉ một dòng "
    "sai là không ghi gì. Tệp .xlsx hoặc .csv (UTF-8), tối đa {mb} MB."
)
IMPORT_KINDS = {"units": "Đơn vị", "clusters": "Cụm, khối thi đua", "people": "Cán bộ"}
IMPORT_FILE = "Tệp"
IMPORT_BUTTON = "Tải lên và nhập"
IMPORT_TEMPLATE = "Tải tệp mẫu"
IMPORT_DONE = "Đã nhập tệp «{file}» ({kind}): {created} mới, {updated} cập nhật."
IMPORT_ROWS_FAILED = (
    "Tệp «{file}» ({kind}) có {count} lỗi; chưa ghi gì vào cơ sở dữ liệu. "
    "Hãy sửa các dòng dưới đây rồi tải lên lại."
)
IMPORT_FILE_FAILED = "Không dùng được tệp «{file}»: {reason}."
IMPORT_DB_FAILED = "Cơ sở dữ liệu từ chối tệp «{file}»; chưa ghi gì. Mời thử lại sau."
IMPORT_NO_FILE = "Chưa chọn tệp để tải lên."
COL_LINE = "Dòng"
COL_ERROR = "Lỗi"
UPLOAD_REFUSED_TITLE = "Không nhận tệp"
UPLOAD_TOO_LARGE = "Tệp quá lớn: tối đa {mb} MB. Hãy chia tệp thành nhiều phần."
UPLOAD_NO_LENGTH = "Trình duyệt không cho biết kích thước tệp; mời tải lên lại."

UNLINKED_TITLE = "Cán bộ chưa liên kết tài khoản trò chuyện"
UNLINKED_HOW = (
    "Những cán bộ này chưa nhận được nhắc việc qua Telegram/Zalo. Cấp mã mời rồi gửi cho họ: "
    "mã dùng một lần, hết hạn sau {days} ngày."
)
UNLINKED_TOTAL = "{unlinked} trên {people} cán bộ chưa liên kết."
UNLINKED_NONE = "Mọi cán bộ đã liên kết tài khoản."
COL_PEOPLE = "Số cán bộ"
COL_UNLINKED = "Chưa liên kết"
COL_PHONE = "Điện thoại"
NO_UNIT = "(chưa thuộc đơn vị)"
FILTER_UNIT = "Đơn vị"
INVITE_BUTTON = "Cấp mã mời"
INVITE_ISSUED = "Mã mời cho {name}: {code} — dùng một lần, hết hạn lúc {expires}."
INVITE_ONCE = "Mã chỉ hiện lần này: hãy gửi ngay cho cán bộ."
INVITE_TELEGRAM = "Đường dẫn Telegram (bấm để liên kết):"
INVITE_ELSEWHERE = "Trên Telegram gõ /start {code}; trên Zalo gửi mã {code} cho trợ lý."

# Exports
NAV_EXPORTS = "Xuất Excel"
EXPORTS_TITLE = "Xuất Excel"
EXPORTS_SCOPE_ALL = "Bảng tính gồm mọi đơn vị của tỉnh."
EXPORTS_SCOPE_SOME = "Bảng tính chỉ gồm {count} đơn vị anh/chị được xem."
EXPORTS_NONE = "Chưa có phong trào nào để xuất."
EXPORT_MOVEMENT = "Phong trào"
EXPORT_MOVEMENT_OPTION = "{title} ({code})"
EXPORT_KIND = "Nội dung"
EXPORT_KINDS = {"registrations": "Đăng ký thi đua", "reports": "Báo cáo tiến độ, sơ kết, tổng kết"}
EXPORT_LAYOUT = "Cách trình bày"
EXPORT_LAYOUTS = {
    "flat": "Một bảng (dễ lọc, tổng hợp)",
    "per-unit": "Mỗi đơn vị một trang tính (dễ in)",
}
EXPORT_BUTTON = "Tải về"
EXPORT_FILE = "{kind} - {code}{layout}.xlsx"
EXPORT_FILE_KINDS = {"registrations": "Đăng ký thi đua", "reports": "Báo cáo thi đua"}
EXPORT_FILE_PER_UNIT = " - từng đơn vị"
TEMPLATE_FILE = "Mẫu nhập - {kind}.xlsx"
COL_INVITE = "Mã mời"
INVITE_PENDING = "Đã cấp mã, còn hạn đến {at}"

# Questions: what the bot could not answer, and the office's answers
QUESTIONS_TITLE = "Câu hỏi chờ Ban trả lời"
QUESTIONS_TABS_LABEL = "Các mục của trang câu hỏi"
QUESTIONS_TABS_WAITING = "Câu hỏi chờ trả lời"
QUESTIONS_TABS_ANSWERS = "Câu trả lời của Ban"
QUESTIONS_NEW = "✍️ Viết câu trả lời cho câu hỏi mới"
UNANSWERED_HEADING = "Câu hỏi trợ lý chưa trả lời được (hỏi nhiều nhất trước)"
UNANSWERED_NONE = "Không có câu hỏi nào đang chờ."
UNANSWERED_META = "{item} · hỏi {count} lần, {chats} cuộc trò chuyện · lần cuối {last}"
DISLIKED_HEADING = "Câu trả lời bị đánh giá 👎 (nhiều nhất trước)"
DISLIKED_NONE = "Không có câu trả lời nào bị đánh giá 👎 đang chờ."
DISLIKED_META = "{item} · {count} lượt 👎 · lần cuối {last}"
DISLIKED_REASONS = "Lý do người hỏi nêu"
DISLIKED_ANSWER = "Câu trả lời trợ lý đã đưa"
DISLIKED_BASIS = "Căn cứ đã dẫn: {basis}"
WRITE_ANSWER = "Trả lời câu hỏi này"
MORE_WAITING = "Chỉ hiện {shown} nhóm đầu."

ANSWER_FORM_NEW = "Viết câu trả lời của Ban"
ANSWER_FORM_EDIT = "Sửa câu trả lời A{id}"
ANSWER_FOR_ITEM = "Trả lời mục {item}: {count} lượt hỏi đang chờ"
ANSWER_ASKED_AS = "Các cách đã hỏi"
FIELD_QUESTION = "Câu hỏi"
FIELD_QUESTION_HINT = "Câu hỏi như cán bộ hay hỏi"
FIELD_ANSWER = "Câu trả lời"
FIELD_ANSWER_HINT = "Nội dung Ban trả lời, ngắn gọn, rõ ràng"
FIELD_CITES = "Căn cứ (mỗi dòng một căn cứ)"
FIELD_CITES_HINT = "khoản 1 Điều 75 Luật Thi đua, khen thưởng\n06/2022/QH15 Điều 84 khoản 1"
FIELD_ALSO = "Cách hỏi khác (không bắt buộc, mỗi dòng một câu)"
FIELD_PUSH = "Báo câu trả lời tới những người đã hỏi (qua trợ lý)"
ANSWER_SAVE = "Lưu câu trả lời"
ANSWER_CANCEL = "Quay lại"
ANSWER_ERRORS = "Chưa lưu được, mời sửa:"
ANSWER_NEED_QUESTION = "Cần ghi câu hỏi."
ANSWER_NEED_TEXT = "Cần ghi nội dung câu trả lời."
ANSWER_NEED_CITE = "Cần ít nhất một căn cứ (văn bản và Điều)."
ANSWER_TOO_LONG = "{field} dài quá {limit} ký tự."
ANSWER_TOO_MANY = "{field}: nhiều nhất {limit} dòng."
ANSWER_ITEM_GONE = "Mục {item} không còn chờ trả lời (có thể Ban vừa trả lời)."
ANSWER_NO_LIBRARY = (
    "Máy chủ chưa nạp kho văn bản nên không kiểm tra được căn cứ; chưa thể lưu câu trả lời. "
    "Mời báo người quản trị (thidua serve nạp kho văn bản khi chạy)."
)
ANSWER_CONFLICT = "Câu trả lời này vừa được thay đổi ở nơi khác; mời tải lại trang."

CURATED_TITLE = "Câu trả lời của Ban Thi đua - Khen thưởng"
CURATED_WITHDRAWN_HEADING = "Tạm rút, chờ Ban xem lại"
CURATED_WITHDRAWN_NONE = "Không có câu trả lời nào cần xem lại."
CURATED_ACTIVE_HEADING = "Đang dùng"
CURATED_ACTIVE_NONE = "Ban chưa có câu trả lời nào đang dùng."
CURATED_META = "A{id} · trả lời ngày {date}"
CURATED_FROM = " · từ mục {source}"
CURATED_BASIS = "Căn cứ: {basis}"
CURATED_ALSO = "Cách hỏi khác"
CURATED_NOTE = "Lý do tạm rút: {note}"
CURATED_EDIT = "✏️ Sửa"
CURATED_WITHDRAW = "Tạm rút"
CURATED_WITHDRAW_NOTE = "Lý do tạm rút (không bắt buộc)"
CURATED_RESTORE = "↩️ Dùng lại"
CURATED_BY_OFFICE = "Ban rút lại ngày {date}"
DONE_ADDED = (
    "Đã lưu câu trả lời A{id}; đã đóng {closed} câu hỏi cùng ý, báo tới {pushed} cuộc trò chuyện."
)
DONE_UPDATED = "Đã sửa câu trả lời A{id}; câu trả lời đang được dùng."
DONE_WITHDRAWN = "Đã tạm rút câu trả lời A{id}; trợ lý không dùng nữa cho đến khi Ban dùng lại."
DONE_RESTORED = "Đã dùng lại câu trả lời A{id}, theo nội dung văn bản hiện tại."
RESTORE_FAILED = "Chưa dùng lại được A{id}: {reason} Mời sửa căn cứ của câu trả lời."

# The audit log
AUDIT_TITLE = "Nhật ký thay đổi"
AUDIT_UNIT = "Đơn vị (tên hoặc mã)"
AUDIT_PERSON = "Người thực hiện (tên hoặc số điện thoại)"
AUDIT_FROM = "Từ ngày"
AUDIT_TO = "Đến ngày"
AUDIT_DATE_HINT = "dd/mm/yyyy"
AUDIT_CLEAR = "Bỏ lọc"
AUDIT_BAD_DATE = "{field}: «{value}» không phải ngày dạng dd/mm/yyyy; chưa lọc theo ngày này."
AUDIT_DATES_REVERSED = "«Từ ngày» sau «Đến ngày»: không có dòng nào trong khoảng đó."
AUDIT_NO_UNIT = "Không có đơn vị nào khớp «{value}»."
AUDIT_NO_PERSON = "Không có cán bộ nào khớp «{value}»."
AUDIT_NONE = "Không có dòng nhật ký nào khớp."
AUDIT_PAGE = "{total} dòng, trang {page}/{pages} (mới nhất trước)."
COL_AT = "Thời gian"
COL_ACTOR = "Người thực hiện"
COL_ACTION = "Thao tác"
COL_SUBJECT = "Đối tượng"
COL_DETAILS = "Chi tiết"
AUDIT_SYSTEM = "hệ thống / dòng lệnh"
AUDIT_BEFORE = "Trước"
AUDIT_AFTER = "Sau"
AUDIT_ENTITIES = {
    "registration": "đăng ký thi đua",
    "progress_report": "báo cáo",
    "pledge": "giao ước",
    "channel_identity": "tài khoản trò chuyện",
    "person": "cán bộ",
    "unit": "đơn vị",
    "cluster": "cụm/khối",
    "movement": "phong trào",
    "curated_answer": "câu trả lời của Ban",
    "nomination": "đề nghị khen thưởng",
}
AUDIT_ACTIONS = {
    "registration.draft": "Lưu nháp đăng ký",
    "registration.pending_confirmation": "Gửi thủ trưởng xác nhận đăng ký",
    "registration.submitted": "Nộp đăng ký",
    "registration.returned": "Trả lại đăng ký",
    "registration.approved": "Duyệt đăng ký",
    "report.pending_head": "Gửi thủ trưởng xác nhận báo cáo",
    "report.submitted": "Nộp báo cáo",
    "report.returned": "Trả lại báo cáo",
    "pledge.open": "Mở ký giao ước",
    "pledge.sign": "Ký giao ước",
    "pledge.close": "Đóng giao ước",
    "identity.link": "Liên kết tài khoản",
    "identity.link_failed": "Liên kết tài khoản không thành",
    "identity.link_throttled": "Tạm khoá liên kết tài khoản",
    "invite.create": "Cấp mã mời",
    "movement.create": "Tạo phong trào",
    "movement.update": "Sửa phong trào",
    "import": "Nhập danh sách",
    "curated.add": "Thêm câu trả lời của Ban",
    "curated.update": "Sửa câu trả lời của Ban",
    "curated.withdraw": "Tạm rút câu trả lời của Ban",
    "curated.restore": "Dùng lại câu trả lời của Ban",
    "nomination.draft": "Lưu nháp đề nghị khen thưởng",
    "nomination.pending_head": "Gửi thủ trưởng xác nhận đề nghị khen thưởng",
    "nomination.submitted": "Nộp đề nghị khen thưởng",
    "nomination.returned": "Trả lại đề nghị khen thưởng",
    "nomination.approved": "Đồng ý trình đề nghị khen thưởng",
    "nomination.refused": "Không đồng ý đề nghị khen thưởng",
}

# Nominations (đề nghị khen thưởng): the list, its filters and counts, the office's review
NAV_NOMINATIONS = "Đề nghị khen thưởng"
NOMS_TITLE = "Đề nghị khen thưởng năm {year}"
NOMS_YEAR = "Năm"
NOMS_MOVEMENT = "Phong trào"
NOMS_ALL_MOVEMENTS = "Mọi phong trào"
NOMS_STATUS = "Trạng thái"
NOMS_AWARD = "Danh hiệu, hình thức"
NOMS_CLEAR = "Bỏ lọc"
UNIT_NOMINATIONS = "Đề nghị khen thưởng của đơn vị ›"
NOMS_SCOPE_SOME = "Chỉ gồm đề nghị của {count} đơn vị anh/chị được xem; không có thao tác xét."
NOMS_BY_STATUS = "Theo trạng thái"
NOMS_BY_AWARD = "Theo danh hiệu, hình thức"
NOMS_COUNT = "{label}: {count}"
NOMS_NONE = "Không có đề nghị khen thưởng nào khớp."
NOMS_PAGE = "{total} đề nghị, trang {page}/{pages} (đề nghị chờ Ban xét lên trước)."
NOM_HEADING = "{nominee} — «{award}»"
NOM_NUMBER = "Đề nghị số {id}"
NOM_SUBMITTED_AT = "nộp ngày {at}"
NOM_DECIDED_AT = "Ban xét ngày {at}"
NOM_SUMMARY = "Tóm tắt thành tích: {summary}"
NOM_REASON = "Lý do trả lại, không đồng ý: {reason}"
NOM_FILES = "Hồ sơ kèm theo ({count} tệp)"
NOM_NO_FILES = "Chưa có tệp nào."
NOM_WARNINGS = "Lưu ý đối chiếu Luật Thi đua, khen thưởng và hồ sơ (không chặn; Hội đồng xét)"
NOM_NO_WARNINGS = "Không thấy điểm nào trái tiêu chuẩn theo hồ sơ đang có."
NOM_APPROVE = "✅ Đồng ý trình Hội đồng"
NOM_RETURN = "↩️ Trả lại đơn vị"
NOM_REFUSE = "⛔ Không đồng ý"
NOM_RETURN_REASON = "Lý do trả lại"
NOM_REFUSE_REASON = "Lý do không đồng ý"
NOM_REASON_HINT = "Đơn vị sẽ thấy lý do này"
NOM_DONE_APPROVED = "Đã đồng ý trình Hội đồng; đơn vị đã được báo qua trợ lý."
NOM_DONE_RETURNED = "Đã trả lại đề nghị; đơn vị đã được báo qua trợ lý, kèm lý do."
NOM_DONE_REFUSED = "Đã ghi không đồng ý; đơn vị đã được báo qua trợ lý, kèm lý do."
NOM_BAD_REASON = "Lý do cần từ 3 đến 2000 ký tự; chưa ghi gì."
NOM_CONFLICT = "Đề nghị này vừa được thay đổi hoặc không còn chờ Ban xét; mời xem lại."
