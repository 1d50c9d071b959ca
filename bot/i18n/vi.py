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
    "• /dangky — đăng ký thi đua của đơn vị; /xacnhan — thủ trưởng xác nhận mọi việc đang chờ "
    "(đăng ký, báo cáo, giao ước); /duyet — Ban Thi đua - Khen thưởng duyệt.\n"
    "• /giaouoc — cụm/khối trưởng mở ký kết giao ước, thủ trưởng đơn vị ký, xem đơn vị nào đã ký; "
    "/baocao (hoặc «báo cáo tiến độ») — báo cáo kết quả thực hiện chỉ tiêu, kèm ảnh, tệp.\n"
    "• /denghi (hoặc «đề nghị khen thưởng») — đề nghị khen thưởng cuối năm, kèm hồ sơ, đối chiếu "
    "tiêu chuẩn của Luật; /xacnhandn — thủ trưởng xác nhận; /duyetdn — Ban xét; /xephang — "
    "cụm/khối trưởng ghi kết quả bình xét, suy tôn.\n"
    "• Trong biểu mẫu gõ «quay lại», «huỷ», «lưu nháp»; «tiếp tục» (/tieptuc) để làm tiếp.\n"
    "• Hỏi việc của đơn vị: «hạn nộp đăng ký thi đua là ngày nào», «đơn vị tôi thuộc khối nào», "
    "«đơn vị tôi đã nộp báo cáo quý 1 chưa»; Ban Thi đua - Khen thưởng và cụm/khối trưởng: "
    "«những đơn vị nào chưa nộp đăng ký thi đua», «đơn vị nào chưa nộp báo cáo quý 1», "
    "«cụm 3 đã ký giao ước chưa», «Sở Y tế đã nộp báo cáo quý 1 chưa».\n"
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
# "các khoản 1, 2 và 4 Điều 80 Luật …": a quote spanning several khoản of one Điều.
BASIS_CLAUSES = "các khoản {clauses} Điều {article} {document}"
AND = " và "
# An answer a language model wrote (checked against its sources): our own basis under it.
WRITTEN_BASIS = "Căn cứ:"
WRITTEN_BASIS_ITEM = "[{number}] {basis}"
WRITTEN_NOT_IN_FORCE = "   ⚠ văn bản này {status}; chỉ dùng để tham khảo."
SEE_ALSO = "Xem thêm:"
SEE_ALSO_ITEM = "• {basis}"
NOT_IN_FORCE = "⚠ Lưu ý: văn bản này {status}; chỉ dùng để tham khảo, không làm căn cứ hiện hành."
PARTIAL_TEXT = (
    "(Kho văn bản mẫu chỉ có trích đoạn của văn bản này; hãy đối chiếu toàn văn trước khi dùng.)"
)

# The status of a text (bot/core/qa_text.py): in the "⚠ Lưu ý" line, a citation's status_note,
# and the reply about a document the knowledge base does not hold.
STATUS_IN_FORCE = "đang có hiệu lực"
STATUS_IN_FORCE_UNTIL = "đang có hiệu lực, hết hiệu lực từ {date}"
STATUS_NOT_YET = "chưa có hiệu lực (có hiệu lực từ {date})"
STATUS_ENDED = "đã hết hiệu lực từ {date}"
STATUS_ENDED_UNDATED = "đã hết hiệu lực"
STATUS_UNKNOWN = "chưa rõ còn hiệu lực hay không, cần kiểm tra"
STATUS_REPLACED = "{status}, thay bằng {chain}"
CHAIN_NOW = ", nay là "
CHAIN_FROM = "{name}, có hiệu lực từ {date}"

NOT_LOADED = "Kho văn bản chưa có {name}, nên tôi chưa trả lời theo văn bản này."
NOT_LOADED_STATUS = "Tình trạng: {status}."
NOT_LOADED_SUCCESSOR = (
    "Văn bản đang áp dụng, {name}, đã có trong kho: anh/chị có thể hỏi theo văn bản này."
)
READ_AT = "Xem toàn văn tại: {url}"
SEARCH_AT = "Tra cứu toàn văn theo số hiệu {number} tại {site}"
UNKNOWN_DOCUMENT = (
    "Kho văn bản chưa có văn bản «{number}», và tôi chưa có thông tin về văn bản này "
    "(cơ quan ban hành, hiệu lực)."
)
UNKNOWN_DOCUMENT_SEARCH = "Anh/chị có thể tra cứu toàn văn tại https://vbpl.vn."
NOT_LOADED_LOGGED = "Câu hỏi đã được ghi lại để bộ phận phụ trách bổ sung văn bản."
NOT_LOADED_NOTE = "⚠ Lưu ý: kho văn bản chưa có {name} ({status})."
UNKNOWN_DOCUMENT_NOTE = "⚠ Lưu ý: kho văn bản chưa có văn bản «{number}»."

# A question naming a Điều, khoản or điểm the loaded texts do not hold (bot/core/qa_text.py).
ABSENT_PROVISION = "Kho văn bản chưa có {provision}."
ABSENT_ANYWHERE = "Kho văn bản chưa có {provision} trong các văn bản đã nạp."
ABSENT_ARTICLES = "Văn bản này có {count} Điều."
ABSENT_CLAUSES = "Điều {article} của văn bản này có {count} khoản."
ABSENT_POINTS = "Khoản {clause} Điều {article} của văn bản này có {count} điểm."
ABSENT_HINT = (
    "Anh/chị kiểm tra lại số Điều, khoản, điểm, hoặc hỏi theo nội dung cần tìm. "
    "Câu hỏi đã được ghi lại để bộ phận phụ trách xem xét."
)

CONSOLE_PROMPT = "Bạn"
CONSOLE_BOT = "Trợ lý"
CONSOLE_BYE = "Tạm biệt!"
# `thidua chat --as PHONE_OR_CODE`: the console plays that person (demos, training).
CONSOLE_AS = "Trò chuyện với vai trò: {name} — {roles}, {unit}."
CLI_CHAT_AS_HELP = (
    "Đóng vai một cán bộ (số điện thoại hoặc mã số cán bộ) để trình diễn, tập huấn; "
    "chỉ trên máy này."
)
CONSOLE_INTRO = (
    "Trò chuyện với Trợ lý Thi đua trên máy tính. Gõ /help để xem hướng dẫn, /exit để thoát."
)

INDEX_BUILDING = "Đang lập chỉ mục kho văn bản mẫu (khi kho còn trống hoặc có văn bản mẫu mới)…"
INDEX_READY = "Đã lập chỉ mục {documents} văn bản, {chunks} đoạn."
INDEX_UNREACHABLE = (
    "Không kết nối được máy chủ Chroma {url}: hãy kiểm tra máy chủ đã chạy và địa chỉ "
    "(THIDUA_CHROMA_URL hoặc --to) đúng chưa."
)
INDEX_CHANGED = (
    "Một tiến trình khác vừa ghi vào chỉ mục trong lúc lệnh này chạy; hãy chạy lại lệnh "
    "(mỗi lúc chỉ chạy một lệnh nạp văn bản)."
)

CLI_INDEX_HELP = "Chỉ mục văn bản: sao chép sang máy chủ Chroma."
CLI_INDEX_COPY_HELP = (
    "Sao chép chỉ mục nhúng trong data_dir (vectơ, văn bản, siêu dữ liệu, danh mục văn bản) "
    "sang máy chủ Chroma; chạy lại không sinh bản trùng."
)
CLI_INDEX_TO_HELP = "Địa chỉ máy chủ Chroma, vd. http://chroma:8000."
INDEX_COPY_BAD_URL = (
    "Địa chỉ máy chủ không hợp lệ: {url} (cần http://máy:cổng hoặc https://máy:cổng)."
)
INDEX_COPY_NOTHING = "Không có chỉ mục nhúng trong {path}: chưa có gì để sao chép."
INDEX_COPY_TASK = "Sao chép {collection}"
INDEX_COPIED = "{collection}: {records} bản ghi, trên máy chủ {on_server}{removed}."
INDEX_COPY_REMOVED = "; đã xoá {count} bản ghi máy chủ có mà data_dir không có"
INDEX_COPY_MISMATCH = "Số bản ghi trên máy chủ không khớp với data_dir; hãy chạy lại lệnh."
INDEX_COPY_DONE = (
    "Đã sao chép xong. Đặt THIDUA_CHROMA_URL={url} cho mọi tiến trình để dùng máy chủ này."
)

INGEST_SUMMARY = (
    "Đã nạp: {added} văn bản mới, {updated} văn bản cập nhật, {unchanged} không đổi, "
    "{removed} đã gỡ; {embedded} đoạn được mã hoá."
)
INGEST_FAILED = "Lỗi: {message}"
INGEST_SKIPPED = "Bỏ qua {path}: {reason}"
INGEST_HIDDEN = (
    "Bỏ qua {count} tệp/thư mục ẩn (tên bắt đầu bằng «.») hoặc tệp khoá của Office («~$»)."
)
INGEST_NOTHING = "Không tìm thấy tệp nào để nạp trong: {paths}"

UNANSWERED_EMPTY = "Chưa có câu hỏi nào chưa trả lời được."
UNANSWERED_HEADER = "Các câu hỏi chưa trả lời được (hỏi nhiều nhất trước):"

CONFIG_ERROR = "Cấu hình không hợp lệ: {details}"

ROLE_LABELS = {
    "office_admin": "Ban Thi đua - Khen thưởng",
    "cluster_lead": "Cụm/khối trưởng",
    "unit_head": "Thủ trưởng đơn vị",
    "unit_officer": "Cán bộ làm công tác thi đua",
    "cadre": "Cán bộ",
}


# ---------------------------------------------------------------------------------------------
# Admin commands: imports, templates, movements, exports (bot/admin/, bot/cli/admin.py). Column
# headers below are what the import files and templates use. (A failed invite code's sentences
# are bot.store.org's: the store imports no catalogue.)
# ---------------------------------------------------------------------------------------------

# Why an invite code did not link (bot.store.org.InviteError.reason).
INVITE_ERRORS = {
    "not_found": (
        "Mã mời không đúng. Anh/chị hãy kiểm tra lại mã (8 ký tự, gồm chữ và số) hoặc liên hệ "
        "Ban Thi đua - Khen thưởng để được cấp mã."
    ),
    "expired": (
        "Mã mời đã hết hạn. Anh/chị hãy liên hệ Ban Thi đua - Khen thưởng để được cấp mã mới."
    ),
    "used": (
        "Mã mời này đã được sử dụng. Mỗi mã chỉ dùng được một lần; nếu cần liên kết tài khoản "
        "khác, anh/chị hãy xin Ban Thi đua - Khen thưởng cấp mã mới."
    ),
}

ROLE_EXAMPLES = "Ban TĐKT, cụm trưởng, khối trưởng, thủ trưởng, cán bộ thi đua, cán bộ"

STATUS_LABELS = {
    "draft": "Bản nháp",
    "pending_confirmation": "Chờ thủ trưởng xác nhận",
    "pending_head": "Chờ thủ trưởng xác nhận",  # a progress report's status
    "submitted": "Đã nộp",
    "approved": "Đã duyệt",
    "returned": "Bị trả lại",
    "cancelled": "Đã huỷ",
}

# Import columns (units)
COL_UNIT_CODE = "mã đơn vị"
COL_UNIT_NAME = "tên đơn vị"
COL_UNIT_TYPE = "loại"
COL_UNIT_PARENT = "mã đơn vị cấp trên"
NOTE_UNIT_CODE = "Mã ngắn, không trùng, ví dụ SNV, UBND-HKH. Nhập lại cùng mã là cập nhật."
NOTE_UNIT_NAME = "Tên đầy đủ, ví dụ Sở Nội vụ."
NOTE_UNIT_TYPE = "Không bắt buộc, ví dụ: sở, ban, ngành; huyện, thị xã, thành phố; doanh nghiệp."
NOTE_UNIT_PARENT = "Không bắt buộc: mã của đơn vị cấp trên (trong tệp này hoặc đã nhập trước)."

# Import columns (people)
COL_PERSON_NAME = "họ và tên"
COL_PERSON_PHONE = "số điện thoại"
COL_PERSON_POSITION = "chức vụ"
COL_PERSON_UNIT = "mã đơn vị"
COL_PERSON_ROLES = "vai trò"
NOTE_PERSON_NAME = "Họ và tên đầy đủ, có dấu."
NOTE_PERSON_PHONE = (
    "Số di động hoặc cố định: 0912345678, +84 912 345 678 hoặc 84912345678. "
    "Nhập lại cùng số là cập nhật cán bộ đó."
)
NOTE_PERSON_POSITION = "Không bắt buộc, ví dụ Giám đốc, Chuyên viên."
NOTE_PERSON_UNIT = "Mã đơn vị đã nhập; bắt buộc với thủ trưởng, cán bộ thi đua, cụm/khối trưởng."
NOTE_PERSON_ROLES = (
    "Một hoặc nhiều vai trò, cách nhau bởi dấu ;  — Ban TĐKT, cụm trưởng, khối trưởng, "
    "thủ trưởng, cán bộ thi đua, cán bộ. Để trống = cán bộ (chỉ hỏi đáp). "
    "Nhập lại sẽ thay toàn bộ vai trò của người đó."
)

# Import columns (clusters)
COL_CLUSTER_CODE = "mã cụm/khối"
COL_CLUSTER_NAME = "tên cụm/khối"
COL_CLUSTER_KIND = "loại cụm/khối"
COL_CLUSTER_YEAR = "năm"
COL_CLUSTER_LEAD = "mã đơn vị cụm trưởng"
COL_CLUSTER_DEPUTY = "mã đơn vị cụm phó"
COL_CLUSTER_MEMBERS = "mã đơn vị thành viên"
NOTE_CLUSTER_CODE = "Mã cụm hoặc khối, ví dụ KHOI-VHXH. Cùng mã và năm là cập nhật."
NOTE_CLUSTER_NAME = "Ví dụ: Khối các cơ quan văn hoá - xã hội."
NOTE_CLUSTER_KIND = "cụm (theo địa bàn) hoặc khối (theo ngành, lĩnh vực)."
NOTE_CLUSTER_YEAR = "Năm thi đua, ví dụ 2026 (cụm/khối trưởng luân phiên hằng năm)."
NOTE_CLUSTER_LEAD = "Không bắt buộc: mã đơn vị làm cụm/khối trưởng năm đó."
NOTE_CLUSTER_DEPUTY = "Không bắt buộc: mã đơn vị làm cụm/khối phó năm đó."
NOTE_CLUSTER_MEMBERS = (
    "Mã các đơn vị thành viên trên cùng một ô, cách nhau bởi dấu ; (đơn vị trưởng, phó được "
    "tự thêm). Mỗi dòng là một cụm/khối; nhập lại sẽ thay danh sách thành viên."
)

# Reading a file and validating rows
TABLE_NO_FILE = "không tìm thấy tệp"
TABLE_BAD_FORMAT = "định dạng «{suffix}» chưa hỗ trợ; hãy dùng .xlsx hoặc .csv (UTF-8)"
TABLE_UNREADABLE = "không đọc được tệp Excel ({error})"
TABLE_NOT_UTF8 = "tệp CSV phải được lưu bằng bảng mã UTF-8 (trong Excel: CSV UTF-8)"
TABLE_EMPTY = "tệp không có dòng dữ liệu nào dưới dòng tiêu đề"
TABLE_MISSING_COLUMNS = "thiếu cột {columns}; các cột cần có: {expected}"
TABLE_DUPLICATE_COLUMN = "cột «{column}» xuất hiện hai lần"

VALUE_BAD_DATE = "ngày «{value}» không hợp lệ; hãy viết dạng 31/3/2026 hoặc 2026-03-31"
VALUE_BAD_YEAR = "năm «{value}» không hợp lệ; hãy viết 4 chữ số, ví dụ 2026"

ROW_MISSING = "thiếu «{column}»"
ROW_TOO_LONG = "«{column}» dài quá {limit} ký tự"
ROW_DUPLICATE = "«{value}» trùng với dòng {line}"
ROW_UNKNOWN_UNIT = "không có đơn vị mã «{code}» (hãy nhập đơn vị trước)"
ROW_UNIT_OWN_PARENT = "đơn vị không thể là cấp trên của chính mình"
ROW_UNIT_CYCLE = "cấp trên của đơn vị «{code}» tạo thành vòng lặp"
ROW_BAD_PHONE = "số điện thoại «{value}» không hợp lệ; ví dụ đúng: 0912345678 hoặc +84912345678"
ROW_AMBIGUOUS_PHONE = "số điện thoại «{value}» đang thuộc nhiều cán bộ (mã {ids}); hãy sửa trước"
ROW_UNKNOWN_ROLE = "không có vai trò «{role}»; dùng một trong: {known}"
ROW_ROLE_NEEDS_UNIT = "vai trò thủ trưởng, cán bộ thi đua, cụm/khối trưởng cần «mã đơn vị»"
ROW_BAD_CLUSTER_KIND = "loại «{value}» không hợp lệ; hãy ghi «cụm» hoặc «khối»"
ROW_LEAD_IS_DEPUTY = "một đơn vị không thể vừa là trưởng vừa là phó"
ROW_DOUBLE_MEMBERSHIP = "đơn vị «{unit}» đã thuộc {kind} «{other}» năm {year}"

IMPORT_FILE_ERROR = "{file}: {reason}"
IMPORT_ROW_ERROR = "{file}, dòng {line}: {reason}"
IMPORT_NOTHING_WRITTEN = "Có {count} lỗi; chưa ghi gì vào cơ sở dữ liệu. Hãy sửa rồi nhập lại."
IMPORT_DB_ERROR = "{file}: lỗi cơ sở dữ liệu, chưa ghi gì ({error})"
IMPORT_DONE = "Đã nhập {file}: {created} mới, {updated} cập nhật."

# Templates
TEMPLATE_UNITS_SHEET = "Đơn vị"
TEMPLATE_PEOPLE_SHEET = "Cán bộ"
TEMPLATE_CLUSTERS_SHEET = "Cụm, khối"
TEMPLATE_GUIDE_SHEET = "Hướng dẫn"
TEMPLATE_GUIDE_COLUMN = "Cột"
TEMPLATE_GUIDE_REQUIRED = "Bắt buộc"
TEMPLATE_GUIDE_NOTE = "Cách điền"
TEMPLATE_REQUIRED_YES = "có"
TEMPLATE_REQUIRED_NO = "không"
TEMPLATE_REQUIRED_MARK = " (bắt buộc)"
TEMPLATE_EXISTS = "{file} đã có; dùng --force để ghi đè."
TEMPLATE_WRITTEN = "Đã ghi tệp mẫu {file}."
TEMPLATE_COLUMNS = "Các cột:"
TEMPLATE_COLUMN_LINE = "• {label}{mark}: {note}"

# Movements
MOVEMENT_FILE_UNREADABLE = "không đọc được tệp YAML ({error})"
MOVEMENT_FILE_NOT_MAPPING = (
    "tệp YAML phải là các dòng «khoá: giá trị» (xem thidua movement template)"
)
MOVEMENT_BAD_PERIOD_FLAG = (
    "--period «{value}» phải có 6 phần «mã|tên|loại|từ ngày|đến ngày|hạn nộp», "
    "ví dụ Q1|Quý 1|tiến độ|1/1/2026|31/3/2026|5/4/2026"
)
MOVEMENT_UNKNOWN_FIELDS = "trường không dùng đến: {fields}"
MOVEMENT_MISSING = "thiếu «{field}»"
MOVEMENT_FIELD = "«{field}»: {reason}"
MOVEMENT_BAD_KIND = "kind «{value}» không hợp lệ; hãy ghi «thường xuyên» hoặc «chuyên đề»"
MOVEMENT_BAD_PERIOD_KIND = (
    "kind «{value}» không hợp lệ; hãy ghi «tiến độ», «sơ kết» hoặc «tổng kết»"
)
MOVEMENT_START_AFTER_END = "ngày bắt đầu sau ngày kết thúc"
MOVEMENT_DEADLINE_BEFORE_START = "hạn nộp trước ngày bắt đầu kỳ"
MOVEMENT_BEFORE_START = (
    "hạn trước ngày bắt đầu phong trào (start): đơn vị sẽ không đăng ký kịp mà vẫn bị nhắc"
)
MOVEMENT_AFTER_END = "hạn sau ngày kết thúc phong trào (end)"
MOVEMENT_PERIODS_NOT_LIST = "«periods» phải là một danh sách các kỳ báo cáo"
MOVEMENT_NOT_MAP = "phải gồm code, name, kind, start, end, deadline"
MOVEMENT_PERIOD = "kỳ báo cáo thứ {number}: {reason}"
MOVEMENT_PERIOD_DUPLICATE = "mã kỳ «{code}» bị trùng"
MOVEMENT_PERIOD_IN_USE = "kỳ «{code}» đã có báo cáo nên không bỏ được; hãy giữ kỳ này trong tệp"
MOVEMENT_ERROR_LINE = "{file}: {reason}"
MOVEMENT_CREATED = "Đã tạo phong trào số {id} ({code}): {title} — {periods} kỳ báo cáo."
MOVEMENT_UPDATED = "Đã cập nhật phong trào số {id} ({code}): {title} — {periods} kỳ báo cáo."
MOVEMENT_LIST_EMPTY = "Chưa có phong trào thi đua nào. Tạo bằng: thidua movement create --file …"
MOVEMENT_LIST_LINE = "{id}. [{code}] {title} ({start}–{end}; hạn đăng ký {deadline})"
MOVEMENT_TEMPLATE = """\
# Phong trào thi đua: sửa rồi chạy «thidua movement create --file {name}».
# Ngày viết dạng 31/3/2026 hoặc 2026-03-31. Chạy lại cùng tệp (cùng code) là cập nhật.
code: TD2026
title: Phong trào thi đua yêu nước năm 2026
theme: >-
  Đổi mới, sáng tạo, tổ chức sâu rộng, hiệu quả các phong trào thi đua yêu nước,
  xây dựng Hà Tĩnh phát triển nhanh, bền vững
motto: Đổi mới - Sáng tạo - Hiệu quả
kind: thường xuyên        # thường xuyên | chuyên đề
year: 2026
start: 1/1/2026
end: 31/12/2026
registration_deadline: 31/3/2026
pledge_deadline: 15/4/2026
periods:                  # kind: tiến độ | sơ kết | tổng kết
  - {{code: Q1, name: Quý 1, kind: tiến độ, start: 1/1/2026, end: 31/3/2026, deadline: 5/4/2026}}
  - {{code: 6T, name: Sơ kết 6 tháng, kind: sơ kết, start: 1/1/2026, end: 30/6/2026,
      deadline: 20/6/2026}}
  - {{code: Q3, name: Quý 3, kind: tiến độ, start: 1/7/2026, end: 30/9/2026, deadline: 5/10/2026}}
  - {{code: NAM, name: Tổng kết năm, kind: tổng kết, start: 1/1/2026, end: 31/12/2026,
      deadline: 15/12/2026}}
# Nhắc việc (bỏ cả khối này để dùng mặc định): số ngày so với hạn nộp (âm: trước hạn),
# rồi nhắc lại mỗi repeat_every_days ngày, tối đa repeat_times lần, khi vẫn chưa nộp.
reminders:
  offsets: [-7, -3, -1, 0, 1, 3]
  repeat_every_days: 7
  repeat_times: 8
  working_days: false       # true: đếm theo ngày làm việc
  escalate_cluster_after: 3 # quá hạn từng ấy ngày: báo cụm/khối trưởng
  escalate_office_after: 7  # quá hạn từng ấy ngày: báo Ban Thi đua - Khen thưởng
"""

MOVEMENT_REMINDERS_NOT_MAP = "reminders: phải là một khối các mục (offsets, repeat_every_days…)"
MOVEMENT_BAD_OFFSETS = "reminders.offsets: phải là danh sách số ngày nguyên từ {low} đến {high}"
MOVEMENT_BAD_NUMBER = "{field}: phải là số nguyên từ {low} đến {high}"
MOVEMENT_BAD_BOOL = "{field}: phải là true hoặc false"

# Invites
INVITE_CREATED = "Mã mời cho {name} ({phone}): {code}\nDùng một lần, hết hạn lúc {expires}."
INVITE_LINK = "Đường dẫn Telegram (bấm để liên kết): {link}"
INVITE_NO_BOT_USERNAME = (
    "Chưa đặt THIDUA_TELEGRAM_BOT_USERNAME nên chưa in được đường dẫn Telegram "
    "https://t.me/<tên bot>?start=<mã>; hãy đặt tên bot (không có @) rồi cấp lại mã."
)
INVITE_OTHER_CHANNELS = "Trên Telegram gõ /start {code}; trên Zalo gửi mã {code} cho trợ lý."
INVITE_NO_PERSON = "Không tìm thấy cán bộ «{person}» (mã số hoặc số điện thoại)."
INVITE_BAD_PERSON = "«{person}» không phải mã số cán bộ hay số điện thoại."
INVITE_AMBIGUOUS = "Số «{person}» thuộc nhiều cán bộ: {choices}; hãy dùng mã số cán bộ."

# Exports
EXPORT_NO_MOVEMENT = (
    "Không có phong trào mã hoặc số «{movement}»; xem danh sách bằng: thidua movement list"
)
EXPORT_NOT_SUBMITTED = "Chưa nộp"
EXPORT_NOT_XLSX = "{file}: tệp xuất phải có đuôi .xlsx"
EXPORT_DONE = "Đã xuất {count} bản ghi ra {file}."
EXPORT_YES = "có"
EXPORT_NO = "không"
EXPORT_REGISTRATIONS_SHEET = "Đăng ký thi đua"
EXPORT_REPORTS_SHEET = "Báo cáo"
EXPORT_SUMMARY_SHEET = "Tổng hợp"
EXPORT_LABEL_UNIT = "Đơn vị"
EXPORT_LABEL_MOVEMENT = "Phong trào"
EXPORT_LABEL_STATUS = "Trạng thái"
EXPORT_LABEL_COLLECTIVE = "Danh hiệu tập thể"
EXPORT_LABEL_SUBMITTED = "Ngày nộp"
EXPORT_TARGET_HEADERS = (
    "STT",
    "Nội dung chỉ tiêu",
    "Cách đo",
    "Đơn vị tính",
    "Giá trị ban đầu",
    "Giá trị đăng ký",
    "Hạn hoàn thành",
)
EXPORT_REGISTRATION_HEADERS = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Trạng thái",
    "Phiên bản",
    "Danh hiệu tập thể",
    "Danh hiệu cá nhân",
    *EXPORT_TARGET_HEADERS,
    "Ngày nộp",
)
EXPORT_REGISTRATION_SUMMARY_HEADERS = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Trạng thái",
    "Danh hiệu tập thể",
    "Ngày nộp",
)
EXPORT_INDIVIDUAL_HEADERS = ("Danh hiệu cá nhân", "Họ và tên", "Số lượng")
EXPORT_REPORT_HEADERS = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Kỳ báo cáo",
    "Hạn nộp",
    "Trạng thái",
    "Nộp muộn",
    "Ngày nộp",
    "STT",
    "Nội dung chỉ tiêu",
    "Đơn vị tính",
    "Giá trị đăng ký",
    "Giá trị thực hiện",
    "Tỷ lệ hoàn thành (%)",
    "Tóm tắt kết quả",
    "Số tệp đính kèm",
)
EXPORT_REPORT_SUMMARY_HEADERS = EXPORT_REPORT_HEADERS[:7]

# Help texts of the admin commands
CLI_UNITS_HELP = "Đơn vị: nhập từ Excel/CSV, tệp mẫu."
CLI_PEOPLE_HELP = "Cán bộ: nhập từ Excel/CSV (kèm vai trò), tệp mẫu."
CLI_CLUSTERS_HELP = "Cụm, khối thi đua: nhập từ Excel/CSV, tệp mẫu."
CLI_MOVEMENT_HELP = "Phong trào thi đua: tạo, cập nhật, liệt kê, tệp mẫu YAML."
CLI_EXPORT_HELP = "Xuất đăng ký thi đua hoặc báo cáo của một phong trào ra Excel."
CLI_INVITE_HELP = "Cấp mã mời dùng một lần để cán bộ liên kết tài khoản Telegram/Zalo."
CLI_FILE_HELP = "Tệp .xlsx hoặc .csv (UTF-8) có dòng tiêu đề như tệp mẫu."
CLI_OUT_HELP = "Tệp sẽ ghi (.xlsx hoặc .csv; tệp phong trào là .yaml)."
CLI_FORCE_HELP = "Ghi đè nếu tệp đã có."
CLI_DATE_HELP = "Ngày, dạng 31/3/2026 hoặc 2026-03-31."
CLI_MOVEMENT_FILE_HELP = "Tệp YAML mô tả phong trào (xem: thidua movement template)."
CLI_MOVEMENT_CODE_HELP = "Mã phong trào (mặc định: năm và tên không dấu)."
CLI_MOVEMENT_TITLE_HELP = "Tên phong trào."
CLI_MOVEMENT_THEME_HELP = "Chủ đề."
CLI_MOVEMENT_MOTTO_HELP = "Khẩu hiệu."
CLI_MOVEMENT_KIND_HELP = "thường xuyên hoặc chuyên đề."
CLI_MOVEMENT_YEAR_HELP = "Năm (mặc định: năm của ngày bắt đầu)."
CLI_MOVEMENT_PERIOD_HELP = "Kỳ báo cáo «mã|tên|loại|từ ngày|đến ngày|hạn nộp»; lặp lại cho mỗi kỳ."
CLI_INVITE_PERSON_HELP = "Mã số cán bộ hoặc số điện thoại."
CLI_DAYS_HELP = "Số ngày mã còn hiệu lực."
CLI_EXPORT_MOVEMENT_HELP = "Mã phong trào (vd. TD2026) hoặc số thứ tự (xem: thidua movement list)."
CLI_EXPORT_OUT_HELP = "Tệp Excel sẽ ghi (.xlsx)."
CLI_EXPORT_LAYOUT_HELP = "flat: một trang tính; per-unit: mỗi đơn vị một trang tính."

# --- forms: shared navigation and errors (bot.core.flows) ---------------------------------

BTN_BACK = "↩ Quay lại"
BTN_CANCEL = "✖ Huỷ"
BTN_SAVE = "💾 Lưu nháp"
BTN_DONE = "Xong"
FORM_CANCELLED = "Đã huỷ biểu mẫu. Những gì đã nộp trước đó không thay đổi."
FORM_SAVED = (
    "Đã lưu nháp. Khi nào tiện, anh/chị gõ «tiếp tục» (hoặc lệnh của biểu mẫu, ví dụ /dangky) "
    "để làm tiếp từ chỗ đang dừng."
)
FORM_RESUMED = "Tiếp tục biểu mẫu đang làm dở:"
NOTHING_TO_GO_BACK = "Đây là bước đầu tiên, không quay lại được nữa."
# /huy, /quaylai, /luunhap with no form open; /tieptuc with no form saved.
NO_OPEN_FORM = "Không có biểu mẫu nào đang mở."
NO_SAVED_FORM = "Không có biểu mẫu nào đang làm dở để tiếp tục."
STALE_BUTTON = "Nút này thuộc một tin nhắn cũ, không còn dùng được. Mời anh/chị chọn lại:"
STALE_BUTTON_NO_FORM = (
    "Nút này thuộc một tin nhắn cũ, không còn dùng được. Anh/chị muốn làm gì tiếp theo? "
    "(Hoặc gõ câu hỏi về thi đua, khen thưởng.)"
)
MENU_RESUME = "▶ Tiếp tục việc đang làm"
MENU_REGISTER = "Đăng ký thi đua"
MENU_REPORT = "Báo cáo tiến độ"
MENU_CONFIRM = "Xác nhận đăng ký"
MENU_PLEDGE = "Giao ước thi đua"
MENU_REVIEW = "Duyệt đăng ký"
MENU_HELP = "Hướng dẫn"
# The chat's own command menu (Telegram: the menu beside the text box), set for the person's
# role when the chat is linked: command without its slash -> a short description.
CHAT_COMMANDS: dict[str, str] = {
    "xacnhan": "Xác nhận việc đang chờ: đăng ký, báo cáo, giao ước",
    "dangky": "Đăng ký thi đua của đơn vị",
    "baocao": "Báo cáo tiến độ thực hiện chỉ tiêu",
    "giaouoc": "Giao ước thi đua của cụm, khối",
    "duyet": "Duyệt đăng ký thi đua các đơn vị đã nộp",
    "denghi": "Đề nghị khen thưởng cuối năm",
    "xacnhandn": "Xác nhận đề nghị khen thưởng cán bộ đã gửi",
    "duyetdn": "Duyệt đề nghị khen thưởng các đơn vị đã nộp",
    "xephang": "Ghi kết quả bình xét, xếp hạng của cụm, khối",
    "tieptuc": "Tiếp tục biểu mẫu đã lưu nháp",
    "huy": "Huỷ biểu mẫu đang làm",
    "web": "Đường dẫn đăng nhập trang quản lý",
    "help": "Hướng dẫn sử dụng",
}
CHOOSE_ONE = "Anh/chị hãy bấm một nút bên dưới, hoặc gõ số thứ tự / tên lựa chọn."
NOT_ALLOWED = "Anh/chị không có quyền thực hiện thao tác này cho đơn vị đó."
BUSY = "Tin nhắn trước của anh/chị vẫn đang được xử lý. Anh/chị vui lòng gửi lại sau giây lát."
INTERNAL_ERROR = (
    "Xin lỗi, đã có lỗi khi xử lý tin nhắn này. Bản nháp của anh/chị vẫn được giữ nguyên; "
    "anh/chị vui lòng thử lại."
)
SOMEONE = "một người khác"
# A button under someone else's form in a group chat; {name} the person the form belongs to.
BUTTON_NOT_YOURS = "Nút này dành cho {name}."

# --- identity -------------------------------------------------------------------------------

LINK_HOW = (
    "Để đăng ký thi đua, báo cáo hoặc ký giao ước, tài khoản chat cần được liên kết với hồ sơ "
    "cán bộ: anh/chị gửi mã mời (8 ký tự) do Ban Thi đua - Khen thưởng cấp, ví dụ «ABCD2345», "
    "hoặc bấm đường dẫn mời (tương đương lệnh /start ABCD2345). Chưa liên kết vẫn hỏi đáp được."
)
LINK_FIRST = "Tài khoản này chưa được liên kết với hồ sơ cán bộ.\n" + LINK_HOW
LINKED = "Đã liên kết: {name} — {roles}, {unit}. Gõ /help để xem các việc có thể làm."
# /start CODE in a chat already linked to someone: switch to the code's person only when asked.
SWITCH_ASK = (
    "Tài khoản chat này đang liên kết với {current}. Chuyển sang {name} — {roles}, {unit} "
    "(dùng mã mời này)?"
)
BTN_SWITCH_YES = "Có"
BTN_SWITCH_NO = "Không"
SWITCH_KEPT = "Giữ nguyên liên kết với {name}; mã mời chưa được dùng."
SWITCH_SAME = "Tài khoản chat này đã liên kết với {name}; không cần dùng mã mời."
# Too many wrong invite codes from this chat or account (bot.core.linking); the attempt is
# not checked at all until {until} (hh:mm), {minutes} minutes from now.
INVITE_THROTTLED = (
    "Anh/chị đã nhập sai mã mời quá nhiều lần nên tạm thời không thể liên kết tài khoản. "
    "Vui lòng thử lại sau {minutes} phút (từ {until}). Nếu chưa có mã đúng, anh/chị hãy liên hệ "
    "Ban Thi đua - Khen thưởng để được cấp mã."
)

# --- registration (đăng ký thi đua) ---------------------------------------------------------

REG_NOT_FOR_YOU = (
    "Chỉ thủ trưởng đơn vị hoặc cán bộ làm công tác thi đua của đơn vị mới đăng ký thi đua "
    "được. Nếu thông tin chưa đúng, anh/chị liên hệ Ban Thi đua - Khen thưởng."
)
REG_NO_MOVEMENT = "Hiện không có phong trào thi đua nào đang mở đăng ký cho đơn vị của anh/chị."
REG_START = "Đăng ký thi đua: {movement}."
REG_ASK_MOVEMENT = "Anh/chị đăng ký cho phong trào thi đua nào?"
REG_EDITING = (
    "Đơn vị đã có bản đăng ký (phiên bản {version}). Anh/chị xem lại, sửa phần cần sửa rồi "
    "xác nhận để lưu thành phiên bản mới."
)
REG_RETURNED_REASON = "Ban Thi đua - Khen thưởng đã trả lại bản đăng ký. Lý do: {reason}"
REG_ASK_COLLECTIVE = "Đơn vị đăng ký danh hiệu thi đua tập thể nào?"
REG_NO_COLLECTIVE = "Không đăng ký"
REG_ASK_INDIVIDUAL = (
    "Danh hiệu thi đua cá nhân. Đã có:\n{lines}\n"
    "Chọn một danh hiệu để nhập danh sách hoặc số lượng, hoặc bấm «Xong»."
)
REG_ASK_WHO = (
    "Danh hiệu «{title}»: nhập họ tên, cách nhau bằng dấu phẩy hoặc mỗi người một dòng "
    "(ví dụ: Nguyễn Văn An, Trần Thị Bình); hoặc chỉ nhập số lượng (ví dụ: 12). "
    "Nhập 0 để bỏ danh hiệu này."
)
REG_BAD_WHO = (
    "Chưa đọc được danh sách. Anh/chị nhập họ tên cách nhau bằng dấu phẩy (tối đa 200 người, "
    "mỗi tên dưới 100 ký tự) hoặc một số nguyên, ví dụ: 12."
)
REG_LINE_NAMES = "{title}: {count} người ({names})"
REG_LINE_COUNT = "{title}: {count} người"
REG_NONE = "(chưa có)"
REG_ASK_TARGETS = "Các chỉ tiêu đã nhập:\n{targets}\nThêm chỉ tiêu, xoá chỉ tiêu, hoặc bấm «Xong»."
BTN_ADD_TARGET = "➕ Thêm chỉ tiêu"
BTN_DELETE_TARGET = "Xoá chỉ tiêu {number}"
REG_TARGET_DELETED = "Đã xoá chỉ tiêu."
REG_TARGET_ADDED = "Đã thêm chỉ tiêu {number}."
REG_NEED_TARGET = "Bản đăng ký cần ít nhất một chỉ tiêu."
REG_ASK_T_DESC = (
    "Chỉ tiêu {number}: nhập nội dung chỉ tiêu, ví dụ: «Tỷ lệ hồ sơ thủ tục hành chính "
    "giải quyết đúng hạn»."
)
REG_BAD_T_DESC = "Nội dung chỉ tiêu cần từ 3 đến 500 ký tự. Anh/chị nhập lại nội dung chỉ tiêu."
REG_ASK_T_UNIT = "Đơn vị tính của chỉ tiêu (ví dụ: %, hồ sơ, km, triệu đồng)?"
BTN_NO_UNIT = "Không có đơn vị tính"
REG_BAD_T_UNIT = "Đơn vị tính tối đa 64 ký tự, ví dụ: %, hồ sơ, triệu đồng."
REG_ASK_T_VALUE = "Giá trị chỉ tiêu? Ví dụ: 95, 1.234,5 hoặc 85%."
REG_BAD_T_VALUE = (
    "Chưa đọc được số. Anh/chị nhập một số, ví dụ: 95, 1.234 (một nghìn hai trăm ba mươi tư), "
    "12,5 (mười hai phẩy năm) hoặc 85%."
)
REG_ASK_T_DUE = "Hạn hoàn thành? Ví dụ: 30/11, 30/11/2026 hoặc 2026-11-30."
BTN_DUE_END = "Hết phong trào ({date})"
REG_BAD_T_DUE = (
    "Chưa đọc được ngày. Anh/chị nhập ngày dạng ngày/tháng hoặc ngày/tháng/năm, ví dụ: 30/11 "
    "hoặc 30/11/2026, không sớm hơn ngày bắt đầu phong trào ({start})."
)
REG_TARGET_LINE = "{number}. {description}: {value} {unit}, hạn {due}"
REG_NO_DUE = "chưa đặt"
REG_SUMMARY = (
    "ĐĂNG KÝ THI ĐUA — {unit}\n"
    "Phong trào: {movement} ({year})\n"
    "Danh hiệu tập thể: {collective}\n"
    "Danh hiệu cá nhân:\n{lines}\n"
    "Chỉ tiêu:\n{targets}"
)
REG_WARNINGS = "Lưu ý theo Luật Thi đua, khen thưởng 2022 (không chặn việc nộp; Ban TĐKT sẽ xét):"
WARN_EXCELLENT_NEEDS_CSTDCS = (
    "Đăng ký danh hiệu tập thể xuất sắc nhưng chưa có cá nhân nào đăng ký «Chiến sĩ thi đua "
    "cơ sở» (Điều 27 khoản 1 điểm d Luật Thi đua, khen thưởng 2022)."
)
WARN_CSTDCS_OVER_BASIC = (
    "Số «Chiến sĩ thi đua cơ sở» ({cstdcs}) nhiều hơn số «Lao động tiên tiến»/«Chiến sĩ tiên "
    "tiến» ({basic}); danh hiệu này chỉ xét cho người đã đạt một trong hai danh hiệu đó "
    "(Điều 23 khoản 1 Luật Thi đua, khen thưởng 2022)."
)
WARN_TARGET_AFTER_END = "Chỉ tiêu {number} có hạn {due}, sau khi phong trào kết thúc ({end})."
BTN_SUBMIT = "✅ Xác nhận và nộp"
BTN_SEND_TO_HEAD = "📨 Gửi thủ trưởng xác nhận"
BTN_EDIT_COLLECTIVE = "Sửa danh hiệu tập thể"
BTN_EDIT_INDIVIDUAL = "Sửa danh hiệu cá nhân"
BTN_EDIT_TARGETS = "Sửa chỉ tiêu"
REG_SUBMITTED = (
    "Đã nộp bản đăng ký thi đua «{movement}» (phiên bản {version}). Ban Thi đua - Khen thưởng "
    "sẽ xem xét; anh/chị vẫn sửa được đến hết hạn đăng ký bằng lệnh /dangky."
)
REG_SENT_TO_HEAD = (
    "Đã gửi bản đăng ký thi đua «{movement}» (phiên bản {version}) để thủ trưởng đơn vị "
    "xác nhận. Thủ trưởng nhận được yêu cầu ngay, hoặc xem bằng lệnh /xacnhan."
)
REG_PAST_DEADLINE = (
    "Đã hết hạn đăng ký ({deadline}); bản đăng ký không sửa được nữa. Anh/chị liên hệ "
    "Ban Thi đua - Khen thưởng nếu cần điều chỉnh."
)
REG_CONFLICT = (
    "⚠ Bản đăng ký của đơn vị vừa được {by} lưu lúc {at} (phiên bản {version}) trong khi "
    "anh/chị đang sửa. Bản của anh/chị CHƯA được lưu và vẫn được giữ nguyên ở đây."
)
REG_CONFLICT_CHOICE = (
    "Anh/chị có thể xem bản vừa được lưu, hoặc nộp bản của mình thành phiên bản mới hơn "
    "(bản kia vẫn còn trong lịch sử)."
)
BTN_VIEW_STORED = "Xem bản vừa được lưu"
BTN_SAVE_MINE = "Nộp bản của tôi"
REG_STORED_IS = "Bản đang lưu:\n{summary}"

# --- unit head confirmation and the office's review ----------------------------------------

CONFIRM_NOT_FOR_YOU = "Chỉ thủ trưởng đơn vị mới xác nhận bản đăng ký thi đua của đơn vị."
CONFIRM_NOTHING = (
    "Không có việc nào đang chờ anh/chị xác nhận (đăng ký thi đua, báo cáo tiến độ, "
    "giao ước thi đua)."
)
# /xacnhan with several things waiting for the head: each a button that opens it.
WAITING_LIST = "Có {count} việc đang chờ anh/chị xác nhận. Anh/chị chọn việc muốn mở:"
WAITING_REGISTRATION = "Đăng ký thi đua — {movement} (do {by} soạn)"
WAITING_REPORT = "Báo cáo {period} — {movement} (do {by} gửi)"
WAITING_PLEDGE = "Ký giao ước — {cluster}"
CONFIRM_HEADER = "{by} đã soạn bản đăng ký thi đua dưới đây và đề nghị anh/chị xác nhận:"
NOTICE_CONFIRM = "📌 {by} đã soạn bản đăng ký thi đua của đơn vị, đang chờ anh/chị xác nhận."
BTN_OPEN_CONFIRM = "Xem và xác nhận"
NOTICE_RETURNED = "📌 Bản đăng ký thi đua của đơn vị bị trả lại. Lý do: {reason}"
BTN_OPEN_EDIT = "Sửa đăng ký"
NOTICE_REVIEW = "📌 Có {count} bản đăng ký thi đua đang chờ duyệt."
BTN_OPEN_REVIEW = "Duyệt đăng ký"
REVIEW_NOT_FOR_YOU = "Chỉ Ban Thi đua - Khen thưởng mới duyệt bản đăng ký thi đua."
REVIEW_NOTHING = "Không có bản đăng ký nào đang chờ duyệt."
REVIEW_PICK = "{count} bản đăng ký đang chờ duyệt. Chọn một bản để xem:"
BTN_APPROVE = "✅ Duyệt"
BTN_RETURN = "↩ Trả lại"
REVIEW_ASK_REASON = "Lý do trả lại (đơn vị sẽ thấy lý do này)?"
REVIEW_BAD_REASON = "Lý do cần từ 3 đến 2000 ký tự."
REVIEW_APPROVED = "Đã duyệt bản đăng ký của {unit}."
REVIEW_RETURNED = "Đã trả lại bản đăng ký của {unit}; đơn vị được báo kèm lý do."
# --- hand-offs pushed to the next person (bot.core.handoffs) --------------------------------

HANDOFF_CONFIRM = (
    "📌 {by} đã gửi bản đăng ký thi đua «{movement}» (phiên bản {version}) và đề nghị "
    "anh/chị xác nhận để nộp Ban Thi đua - Khen thưởng.\n\n{summary}"
)
BTN_VIEW = "Xem"
BTN_HEAD_RETURN = "↩ Trả lại cán bộ"
HANDOFF_REVIEW = "📌 {unit} đã nộp bản đăng ký thi đua «{movement}» (phiên bản {version})."
BTN_VIEW_REVIEW = "Xem và duyệt"
HANDOFF_APPROVED = (
    "✅ Ban Thi đua - Khen thưởng đã duyệt bản đăng ký thi đua «{movement}» của {unit}."
)
HANDOFF_RETURNED = (
    "↩ Ban Thi đua - Khen thưởng trả lại bản đăng ký thi đua «{movement}» của {unit}. "
    "Lý do: {reason}"
)
HANDOFF_HEAD_RETURNED = (
    "↩ Thủ trưởng {by} trả lại bản đăng ký thi đua «{movement}» để sửa. Lý do: {reason}"
)
HANDOFF_NOT_LINKED = "{who} chưa liên kết tài khoản với trợ lý; anh/chị hãy báo trực tiếp."
HANDOFF_WHO_HEAD = "Thủ trưởng"
HANDOFF_WHO_OFFICE = "Ban Thi đua - Khen thưởng"
HANDOFF_WHO_OFFICER = "Cán bộ soạn"
HANDOFF_WHO_UNIT = "Cán bộ và thủ trưởng đơn vị"
HANDOFF_REPORT_CONFIRM = (
    "📌 {by} đã gửi báo cáo {period} của {unit}, đề nghị anh/chị xác nhận và nộp."
)
HANDOFF_REPORT_LATE = "📌 {unit} đã nộp báo cáo {period} muộn (hạn {deadline})."
HANDOFF_PLEDGE_OPEN = (
    "📌 {cluster} đã mở ký kết giao ước thi đua «{movement}»; đơn vị của anh/chị chưa ký."
)
BTN_PLEDGE_SIGN_NOW = "✍ Ký"
HANDOFF_PLEDGE_SIGNED = (
    "✍ {unit} đã ký giao ước thi đua của {cluster}. Còn {count} đơn vị chưa ký: {left}."
)
HANDOFF_PLEDGE_NOT_LINKED = (
    "Thủ trưởng của {units} chưa liên kết tài khoản với trợ lý; anh/chị hãy báo trực tiếp."
)
HEAD_ASK_RETURN_REASON = "Lý do trả lại cho cán bộ (cán bộ sẽ thấy lý do này)?"
HEAD_RETURNED = "Đã trả lại bản đăng ký cho cán bộ sửa."
HEAD_RETURNED_REPORT = "Đã trả lại báo cáo cho cán bộ sửa."
HANDOFF_REPORT_RETURNED = "↩ Thủ trưởng {by} trả lại báo cáo {period} để sửa. Lý do: {reason}"
BTN_OPEN_REPORT_EDIT = "Sửa báo cáo"
HANDOFF_GONE = "Yêu cầu này đã được xử lý hoặc không còn chờ anh/chị."
REVIEW_CONFLICT = (
    "Bản đăng ký này vừa được thay đổi trong lúc anh/chị xem; chưa có gì được lưu. "
    "Anh/chị gõ /duyet để xem lại bản mới nhất."
)

# --- operational questions answered from the records (bot.core.operational) ----------------

OPS_NO_MOVEMENT = "Hiện chưa có phong trào thi đua nào đang diễn ra trong hệ thống."
OPS_DEADLINE = "• {movement}: hạn nộp đăng ký thi đua là ngày {deadline}."
OPS_YOUR_STATUS = " Đơn vị của anh/chị: {status}."
OPS_NOT_REGISTERED = "chưa đăng ký"
OPS_NEED_UNIT = (
    "Tôi cần biết anh/chị thuộc đơn vị nào để trả lời câu này. Tài khoản chưa được liên kết "
    "với hồ sơ cán bộ của một đơn vị (gửi mã mời để liên kết)."
)
OPS_NO_CLUSTER = "Năm {year}, đơn vị của anh/chị chưa được xếp vào cụm, khối thi đua nào."
OPS_CLUSTER = "Đơn vị của anh/chị thuộc {kind} «{name}»; {kind} trưởng: {lead}."
OPS_NO_PLEDGE = "Chưa có giao ước thi đua nào được mở trong năm nay."
OPS_REPORTS_OF = "Báo cáo của {unit}:"
OPS_REPORT_FILED = "• {period}: đã nộp ngày {date}"
OPS_LATE = " (nộp muộn)"
OPS_REPORT_MISSING = "• {period}: chưa nộp (hạn {deadline})"
OPS_OVERDUE = " — đã quá hạn"

# The office's and cluster leads' questions about every unit (bot.core.records): names, counts,
# scoped by role; «ngoài phạm vi» for what the asker may not see.
OPS_RECORDS_NOT_FOR_YOU = (
    "Tình hình nộp đăng ký, báo cáo và ký giao ước chỉ dành cho thủ trưởng, cán bộ thi đua của "
    "đơn vị, cụm/khối trưởng và Ban Thi đua - Khen thưởng; tài khoản của anh/chị không có "
    "vai trò này."
)
OPS_SCOPE_PROVINCE = "toàn tỉnh"
OPS_SCOPE_CLUSTER = "{kind} «{name}»"  # a cluster whose name does not say its kind
OPS_LIMIT_OWN = "anh/chị chỉ xem được tình hình của đơn vị mình ({unit})"
OPS_LIMIT_CLUSTER = "anh/chị xem được các đơn vị trong {cluster}"
OPS_OUT_OF_SCOPE_ALL = (
    "Danh sách các đơn vị nằm ngoài phạm vi của anh/chị: {limit}. Ban Thi đua - Khen thưởng "
    "xem toàn tỉnh, cụm/khối trưởng xem các đơn vị trong cụm/khối của mình."
)
OPS_OUT_OF_SCOPE_UNIT = "{unit} nằm ngoài phạm vi của anh/chị: {limit}."
OPS_OUT_OF_SCOPE_CLUSTER = "{cluster} nằm ngoài phạm vi của anh/chị: {limit}."
OPS_YOUR_UNIT_NOW = "Tình hình của đơn vị anh/chị:"
OPS_MOVEMENT_HEADING = "Phong trào «{movement}»:"
OPS_PRIVATE_ONLY = (
    "Tình hình của các đơn vị chỉ được trả lời trong tin nhắn riêng với trợ lý (trong nhóm có "
    "thể có người ngoài phạm vi của anh/chị). Anh/chị hỏi lại tôi trong tin nhắn riêng nhé."
)
OPS_MORE = " … và {count} đơn vị khác"
OPS_LIST_OVERDUE = ", đã quá hạn"
OPS_REG_LIST_HEADER = "Đăng ký thi đua «{movement}» (hạn {deadline}{overdue}) — {scope}:"
OPS_REPORT_LIST_HEADER = (
    "Báo cáo {period}{due_in} «{movement}» (hạn {deadline}{overdue}) — {scope}:"
)
OPS_PERIOD_DUE_IN = " (kỳ có hạn nộp trong {asked})"
OPS_LIST_FILED = "• Đã nộp: {count}/{total} đơn vị"
OPS_LIST_FILED_NAMES = "• Đã nộp: {count}/{total} đơn vị: {units}"
OPS_LIST_LATE = "• Nộp muộn: {count} đơn vị: {units}"
OPS_LIST_MISSING = "• Chưa nộp: {count}/{total} đơn vị: {units}"
OPS_LIST_NONE_MISSING = "• Không còn đơn vị nào chưa nộp."
OPS_LIST_PAPER = "• Báo đã nộp bằng văn bản (Ban kiểm tra lại): {count} đơn vị: {units}"
OPS_LIST_NO_UNITS = "Không có đơn vị nào phải nộp trong phạm vi này."
OPS_NOTE_PENDING = "chờ thủ trưởng xác nhận"
OPS_NOTE_RETURNED = "bị trả lại, đang sửa"
OPS_NOTE_DRAFT = "đang soạn"
OPS_NOTE_UNREGISTERED = "chưa nộp đăng ký thi đua"
OPS_NOTED = "{unit} ({note})"
OPS_UNIT_REG = "{unit} — đăng ký thi đua «{movement}»: {state}"
OPS_STATE_FILED = "đã nộp ngày {date}"
OPS_STATE_APPROVED = "đã được duyệt (nộp ngày {date})"
OPS_STATE_PENDING = "bản đăng ký đang chờ thủ trưởng xác nhận (hạn {deadline})"
OPS_STATE_RETURNED = "bị trả lại để sửa (hạn {deadline})"
OPS_STATE_MISSING = "chưa nộp (hạn {deadline})"
OPS_STATE_PAPER = "đơn vị báo đã nộp bằng văn bản"
OPS_REPORT_PAPER = "• {period}: đơn vị báo đã nộp bằng văn bản"
OPS_REPORT_RETURNED = "• {period}: thủ trưởng trả lại để sửa, chưa nộp (hạn {deadline})"
OPS_UNKNOWN_UNIT = "Không tìm thấy đơn vị «{name}» trong danh sách đơn vị của tỉnh."
OPS_DID_YOU_MEAN = " Có phải anh/chị muốn hỏi: {names}?"
OPS_AMBIGUOUS_UNIT = "Có {count} đơn vị khớp với «{name}»: {names}. Anh/chị ghi rõ tên đơn vị."
OPS_NOT_PARTICIPANT = (
    "{unit} là đơn vị của Ban Thi đua - Khen thưởng, không nộp đăng ký, báo cáo thi đua."
)
OPS_PERIOD_MONTH = "tháng {n}"
OPS_PERIOD_QUARTER = "quý {n}"
OPS_PERIOD_HALF = "sơ kết 6 tháng"
OPS_PERIOD_YEAR = "tổng kết năm"
OPS_INVALID_PERIOD = (
    "Không có kỳ báo cáo «{period}»: kỳ báo cáo là một tháng (1–12), một quý (1–4), "
    "sơ kết 6 tháng hoặc tổng kết năm."
)
OPS_UNKNOWN_PERIOD = (
    "Phong trào «{movement}» không có kỳ báo cáo {period}. Các kỳ báo cáo: {periods}."
)
OPS_NO_PERIODS = "Phong trào «{movement}» không có kỳ báo cáo nào."
OPS_UNKNOWN_CLUSTER = (
    "Năm {year} không có {kind} {number}. Các cụm, khối thi đua năm {year}: {names}."
)
OPS_NO_CLUSTERS = "Năm {year} chưa có cụm, khối thi đua nào."
OPS_KINDS = {"cum": "cụm", "khoi": "khối"}  # «cụm 3», «khối 3» as typed, folded
OPS_PLEDGE_UNOPENED = "• {cluster}: chưa mở ký kết giao ước ({kind} trưởng mở bằng /giaouoc)."
OPS_PLEDGE_SIGNED_ALL = "• {cluster}: đã ký đủ {total}/{total} đơn vị (hoàn tất ngày {date})."
OPS_PLEDGE_PROGRESS = "• {cluster}: đã ký {count}/{total} đơn vị; chưa ký {left}: {units}"
OPS_PLEDGE_MEMBER_OPEN = "• {cluster}: giao ước đang được ký; đơn vị của anh/chị ({unit}): {state}."
OPS_PLEDGE_UNIT = "• {unit} — {cluster}: {state}"
OPS_PLEDGE_STATE_SIGNED = "đã ký ngày {date}"
OPS_PLEDGE_STATE_UNSIGNED = "chưa ký"
OPS_PLEDGE_STATE_UNOPENED = "{kind} chưa mở ký kết giao ước"
OPS_PLEDGE_NO_CLUSTER = "{unit} chưa thuộc cụm, khối thi đua nào trong năm {year}."
OPS_PLEDGE_SCOPE_NOTE = (
    "(Thành viên xem được giao ước của {kind} mình và chữ ký của đơn vị mình; danh sách đơn vị "
    "đã ký, chưa ký do {kind} trưởng và Ban Thi đua - Khen thưởng theo dõi.)"
)

# --- pledge (ký kết giao ước thi đua, bot.core.flows.pledge) --------------------------------

PLEDGE_NOT_FOR_YOU = (
    "Cụm/khối trưởng mở ký kết giao ước thi đua; thủ trưởng các đơn vị thành viên ký. "
    "Tài khoản của anh/chị không có vai trò này."
)
PLEDGE_NOTHING = "Hiện không có giao ước thi đua nào đang chờ đơn vị của anh/chị ký."
PLEDGE_NONE_YET = "Chưa có giao ước thi đua nào được mở trong năm nay."
PLEDGE_MENU = "Anh/chị muốn mở ký kết giao ước mới hay ký giao ước cho đơn vị?"
BTN_PLEDGE_OPEN = "📝 Mở ký kết giao ước"
BTN_PLEDGE_SIGN = "✍ Ký giao ước"
PLEDGE_START = "Mở ký kết giao ước thi đua của {cluster} ({kind} trưởng: {unit})."
PLEDGE_ASK_MOVEMENT = "Mở ký kết giao ước cho phong trào thi đua nào?"
PLEDGE_ASK_CONTENT = (
    "Nội dung giao ước (lời mở đầu), ví dụ: «Các đơn vị trong khối thống nhất ký kết giao ước "
    "thi đua thực hiện thắng lợi nhiệm vụ chính trị năm 2026 với các nội dung sau»."
)
PLEDGE_BAD_CONTENT = "Nội dung giao ước cần từ 10 đến 4000 ký tự. Anh/chị nhập lại."
PLEDGE_ASK_COMMITMENTS = (
    "Các nội dung cam kết chung:\n{items}\nThêm cam kết, xoá cam kết, hoặc bấm «Xong»."
)
BTN_ADD_COMMITMENT = "➕ Thêm cam kết"
BTN_DELETE_COMMITMENT = "Xoá cam kết {number}"
PLEDGE_ASK_COMMITMENT = (
    "Cam kết {number}: nhập nội dung, ví dụ: «Hoàn thành 100% chỉ tiêu, nhiệm vụ được giao»."
)
PLEDGE_BAD_COMMITMENT = "Mỗi cam kết cần từ 3 đến 1000 ký tự. Anh/chị nhập lại."
PLEDGE_TOO_MANY = "Giao ước có tối đa {limit} cam kết."
PLEDGE_COMMITMENT_ADDED = "Đã thêm cam kết {number}."
PLEDGE_COMMITMENT_DELETED = "Đã xoá cam kết."
PLEDGE_NEED_COMMITMENT = "Giao ước cần ít nhất một nội dung cam kết."
PLEDGE_TEXT = (
    "GIAO ƯỚC THI ĐUA — {cluster} năm {year}\n"
    "Phong trào: {movement}\n"
    "{content}\n"
    "Các đơn vị cùng cam kết:\n{items}"
)
PLEDGE_MEMBERS = "Đơn vị ký kết: {units}."
BTN_PLEDGE_CONFIRM_OPEN = "✅ Mở ký kết"
BTN_EDIT_CONTENT = "Sửa nội dung"
BTN_EDIT_COMMITMENTS = "Sửa cam kết"
PLEDGE_OPENED = (
    "Đã mở ký kết giao ước. Thủ trưởng {count} đơn vị được đề nghị ký ngay (hoặc bằng lệnh "
    "/giaouoc); anh/chị được báo mỗi khi một đơn vị ký, và gõ /giaouoc để xem đơn vị nào đã ký."
)
PLEDGE_EXISTS = (
    "Giao ước của phong trào này vừa được mở (có thể bởi người khác). Gõ /giaouoc để xem."
)
PLEDGE_ASK_PICK = "Có {count} giao ước đang chờ đơn vị ký. Chọn một giao ước để xem:"
PLEDGE_ASK_SIGN = "Anh/chị đọc nội dung giao ước; bấm «Ký giao ước» để ký thay mặt {unit}."
PLEDGE_SIGNED = "Đã ký giao ước thay mặt {unit}. Còn {missing} đơn vị chưa ký."
PLEDGE_SIGNED_CLOSED = "Đã ký giao ước thay mặt {unit}. Tất cả đơn vị đã ký: giao ước đã hoàn tất."
PLEDGE_ALREADY_SIGNED = "{unit} đã ký giao ước này rồi."
PLEDGE_STATUS = (
    "GIAO ƯỚC — {cluster}, phong trào «{movement}»: {state}\n"
    "Đã ký ({signed}/{total}):\n{signed_lines}\n"
    "Chưa ký:\n{missing_lines}"
)
PLEDGE_STATE_OPEN = "đang ký kết"
PLEDGE_STATE_CLOSED = "đã hoàn tất ngày {date}"
PLEDGE_SIGNED_LINE = "• {unit} — {name}, {date}"
PLEDGE_MISSING_LINE = "• {unit}"
PLEDGE_NONE_LINE = "(không có)"
NOTICE_PLEDGE = "📌 {cluster} đã mở ký kết giao ước thi đua; đơn vị của anh/chị chưa ký."
BTN_OPEN_PLEDGE = "Xem và ký giao ước"
NOTICE_PLEDGE_CLOSED = "📌 Tất cả đơn vị của {cluster} đã ký giao ước thi đua."

# --- progress report (báo cáo tiến độ, bot.core.flows.report) -------------------------------

REPORT_NOT_FOR_YOU = (
    "Chỉ thủ trưởng đơn vị hoặc cán bộ làm công tác thi đua của đơn vị mới báo cáo tiến độ được."
)
REPORT_NO_REGISTRATION = (
    "Đơn vị chưa có bản đăng ký thi đua đã nộp nên chưa có chỉ tiêu để báo cáo. "
    "Gõ /dangky để đăng ký."
)
REPORT_NO_PERIOD = (
    "Hiện không có kỳ báo cáo nào đang mở cho đơn vị (báo cáo đã nộp chỉ sửa được đến hạn nộp)."
)
REPORT_START = "Báo cáo {period} — {movement} (hạn nộp {deadline})."
REPORT_ASK_PERIOD = (
    "Kỳ cần báo cáo lúc này: {period} (hạn {deadline}). Bấm để bắt đầu, hoặc chọn kỳ khác:"
)
REPORT_PERIOD_LABEL = "{period} — hạn {deadline}"
REPORT_PERIOD_FILED = " (đã nộp)"
REPORT_PERIOD_OVERDUE = " (quá hạn)"
REPORT_EDITING = (
    "Đơn vị đã có báo cáo kỳ này (phiên bản {version}). Anh/chị xem lại, sửa phần cần sửa rồi "
    "xác nhận để lưu thành phiên bản mới."
)
REPORT_ASK_VALUE = (
    "Chỉ tiêu {number}/{total}: {description}\n"
    "Đăng ký: {target}\n"
    "Kết quả thực hiện đến nay? Ví dụ: 95, 1.234,5 hoặc 85%."
)
BTN_KEEP_VALUE = "Giữ {value}"
REPORT_BAD_VALUE = (
    "Chưa đọc được số. Anh/chị nhập kết quả bằng số, ví dụ: 95, 1.234 (một nghìn hai trăm "
    "ba mươi tư), 12,5 (mười hai phẩy năm) hoặc 85%."
)
REPORT_ASK_NARRATIVE = (
    "Tóm tắt kết quả thực hiện trong kỳ (việc đã làm, khó khăn, đề xuất), từ 10 ký tự."
)
BTN_KEEP_NARRATIVE = "Giữ nội dung đã nhập"
REPORT_BAD_NARRATIVE = "Phần tóm tắt cần từ 10 đến 4000 ký tự. Anh/chị nhập lại."
REPORT_ASK_FILES = (
    "Gửi ảnh hoặc tệp minh chứng (tối đa {count} tệp, mỗi tệp không quá {limit}), rồi bấm "
    "«Xong»; không có thì bấm «Xong» luôn.\nĐã có:\n{files}"
)
BTN_DELETE_FILE = "Xoá tệp {number}"
REPORT_FILE_ADDED = "Đã nhận tệp «{name}» ({size})."
REPORT_FILE_DUPLICATE = "Tệp «{name}» đã có trong báo cáo; không thêm lần nữa."
REPORT_FILE_TOO_BIG = (
    "Tệp «{name}» ({size}) lớn hơn giới hạn {limit} cho mỗi tệp nên chưa được nhận. "
    "Anh/chị hãy gửi bản nhỏ hơn (ví dụ: nén ảnh, tách tệp PDF)."
)
REPORT_FILES_TOO_MANY = (
    "Báo cáo đã có đủ {limit} tệp nên chưa nhận «{name}». Anh/chị xoá bớt tệp nếu cần thay."
)
REPORT_FILE_UNREADABLE = "Chưa đọc được tệp «{name}»; anh/chị gửi lại giúp."
REPORT_FILES_OFF = "Máy chủ chưa được cấu hình nơi lưu tệp nên chưa nhận tệp; bấm «Xong» để tiếp."
REPORT_FILE_DELETED = "Đã xoá tệp."
REPORT_SEND_FILES = "Anh/chị đính kèm ảnh hoặc tệp vào tin nhắn, hoặc bấm «Xong»."
REPORT_SUMMARY = (
    "BÁO CÁO TIẾN ĐỘ — {unit}\n"
    "Phong trào: {movement}\n"
    "Kỳ: {period} (hạn nộp {deadline})\n"
    "Kết quả thực hiện chỉ tiêu:\n{values}\n"
    "Tóm tắt: {narrative}\n"
    "Tệp đính kèm:\n{files}"
)
REPORT_VALUE_LINE = "{number}. {description}: {actual} / {target}{percent}"
REPORT_PERCENT = " — đạt {percent}%"
REPORT_NO_VALUE = "chưa nhập"
REPORT_FILE_LINE = "{number}. {name} ({size})"
REPORT_LATE_WARNING = "⚠ Đã quá hạn nộp ({deadline}): báo cáo sẽ được ghi là nộp muộn."
BTN_EDIT_VALUES = "Sửa số liệu"
BTN_EDIT_NARRATIVE = "Sửa tóm tắt"
BTN_EDIT_FILES = "Sửa tệp đính kèm"
REPORT_SUBMITTED = (
    "Đã nộp báo cáo {period} (phiên bản {version}). Anh/chị vẫn sửa được đến hạn nộp "
    "{deadline} bằng lệnh /baocao."
)
REPORT_SUBMITTED_LATE = (
    "Đã nộp báo cáo {period} (phiên bản {version}); báo cáo được ghi là nộp muộn "
    "(hạn nộp {deadline})."
)
REPORT_SENT_TO_HEAD = (
    "Đã gửi báo cáo {period} (phiên bản {version}) để thủ trưởng đơn vị xác nhận. Thủ trưởng "
    "nhận được yêu cầu ngay, hoặc xem bằng lệnh /baocao."
)
REPORT_PAST_DEADLINE = (
    "Đã hết hạn nộp báo cáo {period} ({deadline}); báo cáo đã nộp không sửa được nữa. "
    "Anh/chị liên hệ Ban Thi đua - Khen thưởng nếu cần điều chỉnh."
)
REPORT_CONFLICT = (
    "⚠ Báo cáo kỳ này vừa được {by} lưu lúc {at} (phiên bản {version}) trong khi anh/chị đang "
    "sửa. Bản của anh/chị CHƯA được lưu và vẫn được giữ nguyên ở đây."
)
REPORT_CONFLICT_CHOICE = (
    "Anh/chị có thể nộp bản của mình thành phiên bản mới hơn (bản kia vẫn còn trong lịch sử), "
    "hoặc huỷ."
)
REPORT_CONFIRM_HEADER = "{by} đã soạn báo cáo dưới đây và đề nghị anh/chị xác nhận:"
NOTICE_REPORT_CONFIRM = "📌 {by} đã soạn báo cáo {period}, đang chờ anh/chị xác nhận."
BTN_OPEN_REPORT = "Xem và xác nhận báo cáo"
OPS_REPORT_PENDING = "• {period}: bản nháp đang chờ thủ trưởng xác nhận (hạn {deadline})"

# --- channels -----------------------------------------------------------------------------

NO_CHANNEL_CONFIGURED = (
    "Chưa cấu hình kênh nào (THIDUA_TELEGRAM_TOKEN, THIDUA_ZALO_BOT_TOKEN hoặc Zalo OA): "
    "máy chủ chỉ trả lời /healthz."
)
TELEGRAM_SETTINGS_MISSING = "Cần đặt THIDUA_TELEGRAM_TOKEN và THIDUA_TELEGRAM_WEBHOOK_SECRET."
ZALO_SETTINGS_MISSING = "Cần đặt THIDUA_ZALO_BOT_TOKEN và THIDUA_ZALO_BOT_WEBHOOK_SECRET."
WEBHOOK_SET = "Đã đăng ký webhook: {url}"
POLLING_STARTED = "Đang nhận tin qua {channels} (long polling). Nhấn Ctrl+C để dừng."

# --- Reminders, escalation and weekly summaries -------------------------------------------------

SUBJECT_REGISTRATION = "đăng ký thi đua «{movement}»"
SUBJECT_REPORT = "{period} («{movement}»)"
SUBJECT_PLEDGE = "ký kết giao ước thi đua {cluster} («{movement}»)"
REMIND_BEFORE = "⏰ Nhắc việc: {subject} của {unit} hạn nộp ngày {deadline}, còn {days} ngày."
REMIND_TODAY = "⏰ Nhắc việc: hôm nay ({deadline}) là hạn cuối {subject} của {unit}."
REMIND_OVERDUE = (
    "❗ {subject} của {unit} đã quá hạn {days} ngày (hạn {deadline}), đơn vị chưa nộp. "
    "Đề nghị anh/chị hoàn thành sớm."
)
REMIND_PENDING = " Bản của đơn vị đang chờ thủ trưởng xác nhận."
REMIND_RETURNED = " Bản của đơn vị đã bị trả lại, cần sửa và nộp lại."
REMIND_PLEDGE_OPEN = " Cụm/khối chưa mở ký kết: đồng chí cụm/khối trưởng mở để các đơn vị ký."
REMIND_AGAIN = "⏰ Nhắc lại theo hẹn: "
# The «status» field of a reminder's Zalo ZNS template
ZNS_STATUS_BEFORE = "còn {days} ngày"
ZNS_STATUS_TODAY = "hạn cuối hôm nay"
ZNS_STATUS_OVERDUE = "quá hạn {days} ngày"
BTN_SUBMIT_NOW = "📤 Nộp ngay"
BTN_SNOOZE = "⏰ Nhắc lại sau"
BTN_PAPER = "📄 Đã nộp bằng văn bản"
ESCALATE_CLUSTER = (
    "📣 {cluster}: {count} đơn vị chưa nộp {subject}, hạn {deadline} (quá {days} ngày):\n{units}"
)
ESCALATE_OFFICE = (
    "📣 Gửi Ban Thi đua - Khen thưởng: {count} đơn vị chưa nộp {subject}, hạn {deadline} "
    "(quá {days} ngày):\n{units}"
)
ESCALATE_UNIT_LINE = "• {unit}"
ESCALATE_UNIT_IN_CLUSTER = "• {unit} ({cluster})"
ESCALATE_UNREACHED = "\nChưa liên lạc được qua Telegram/Zalo: {people}."
SNOOZED = "Đã hẹn: tôi sẽ nhắc lại {subject} lúc {at}."
PAPER_RECORDED = (
    "Đã ghi nhận {unit} báo đã nộp {subject} bằng văn bản. Ban Thi đua - Khen thưởng sẽ đối "
    "chiếu; tôi không nhắc việc này nữa."
)
PAPER_ALREADY = "{unit} đã báo nộp {subject} bằng văn bản từ trước."
PAPER_NOTE = "{name} báo đã nộp bằng văn bản qua trợ lý."
REMINDER_UNKNOWN = "Không tìm thấy nhắc việc này; có thể nó đã cũ. Gõ /help để xem các việc."
REMINDER_NOT_YOURS = "Nhắc việc này không gửi cho anh/chị nên anh/chị không thay đổi được."
REMINDER_ALREADY_DONE = "{subject} của {unit} đã nộp rồi, không cần làm gì thêm."
DATE_TIME = "{time} ngày {date}"

SUMMARY_TITLE = "📊 Tổng hợp tuần {week} (đến {date}) — {scope}"
SUMMARY_SCOPE_OFFICE = "toàn tỉnh"
SUMMARY_SUBJECT = (
    "• {subject}, hạn {deadline}: đã nộp {submitted}, nộp muộn {late}, "
    "báo nộp bằng văn bản {paper}, chưa nộp {missing}"
)
SUMMARY_SUBJECT_UPCOMING = "• {subject}, hạn {deadline}: đã nộp {submitted}/{total}"
SUMMARY_LATE_UNITS = "   Quá hạn chưa nộp: {units}"
SUMMARY_PAPER_UNITS = "   Báo nộp bằng văn bản (cần đối chiếu): {units}"
SUMMARY_NOTHING = "Không có hạn nộp nào trong các phong trào đang diễn ra."
SUMMARY_UNREACHED = "Chưa liên lạc được trong tuần: {people}."
SUMMARY_CHART_CAPTION = "Tiến độ thực hiện chỉ tiêu theo đơn vị — {movement}"
SUMMARY_CHART_AXIS = "% chỉ tiêu đạt được (báo cáo gần nhất)"
SUMMARY_CHART_NO_REPORT = "chưa báo cáo"
SUMMARY_WRITTEN = "Đã ghi biểu đồ vào {path}."
CLI_SUMMARY_DRY_RUN_HELP = "Chỉ in bản tổng hợp và ghi biểu đồ, không gửi."
CLI_SUMMARY_OUT_HELP = (
    "Tệp PNG của biểu đồ (với --dry-run); mặc định trong thư mục dữ liệu, "
    "bieu-do/tong-hop-tien-do-<tuần>.png."
)
CLI_SUMMARY_CLUSTER_HELP = "Mã cụm/khối: bản tổng hợp của cụm/khối đó."
SUMMARY_QUEUED = "Đã xếp {count} tin tổng hợp vào hàng gửi."
SUMMARY_NO_MOVEMENT = "Không có phong trào nào đang diễn ra để tổng hợp."
SUMMARY_UNKNOWN_CLUSTER = "Không có cụm/khối mã {code} trong năm nay."
PLAN_SUBJECT = "{subject} — hạn {deadline}: nhắc ngày {days}"
PLAN_NOTHING = "Không có hạn nộp nào trong các phong trào đang diễn ra."
UNREACHED_HEADER = (
    "Cán bộ chưa liên lạc được trong {days} ngày qua (cần cập nhật Telegram/Zalo, số điện thoại):"
)
UNREACHED_LINE = "• {name} — {unit}{phone}: {count} nhắc việc, lần cuối {last}"
UNREACHED_NONE = "Trong {days} ngày qua, mọi nhắc việc đều có kênh để gửi."

# `thidua outbox failed|retry`: messages the sender gave up on, for the office to send again.
CLI_OUTBOX_HELP = "Tin chưa gửi được: xem danh sách, gửi lại."
CLI_OUTBOX_FAILED_HELP = (
    "Liệt kê tin đã thôi gửi (nền tảng từ chối, hoặc lỗi kéo dài quá thời hạn gửi lại)."
)
CLI_OUTBOX_RETRY_HELP = "Xếp lại các tin đã thôi gửi để gửi lần nữa (theo mã, hoặc --all)."
CLI_OUTBOX_IDS_HELP = "Mã các tin cần gửi lại (cột «Mã» của thidua outbox failed)."
CLI_OUTBOX_ALL_HELP = "Gửi lại mọi tin trong danh sách."
CLI_OUTBOX_LIMIT_HELP = "Số tin tối đa được liệt kê (cũ nhất trước)."
OUTBOX_FAILED_NONE = "Không có tin nào bị thôi gửi."
OUTBOX_FAILED_TITLE = "Tin chưa gửi được ({count})"
OUTBOX_COL_ID = "Mã"
OUTBOX_COL_CHANNEL = "Kênh"
OUTBOX_COL_CHAT = "Người nhận"
OUTBOX_COL_FIRST_FAILURE = "Lỗi lần đầu"
OUTBOX_COL_ATTEMPTS = "Số lần thử"
OUTBOX_COL_ERROR = "Lỗi gần nhất"
OUTBOX_COL_TEXT = "Nội dung"
OUTBOX_FAILED_HINT = "Gửi lại: thidua outbox retry <mã> … hoặc thidua outbox retry --all"
OUTBOX_RETRY_NOTHING = "Hãy ghi mã tin cần gửi lại, hoặc --all để gửi lại tất cả."
OUTBOX_RETRY_BOTH = "Chỉ dùng một trong hai: các mã tin, hoặc --all."
OUTBOX_RETRIED = "Đã xếp lại {count} tin để gửi; trợ lý đang chạy sẽ gửi ngay."
OUTBOX_RETRY_UNKNOWN = "Không có tin bị thôi gửi nào mang mã: {ids}."

# -- Feedback under answers, curated answers (issue 18, section 3) ---------------------------

GREETING = (
    "Chào anh/chị! Anh/chị cứ hỏi về quy định thi đua, khen thưởng, ví dụ: «Ai có thẩm quyền "
    "tặng Giấy khen?» hoặc «Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?». Gõ /help để xem "
    "hướng dẫn."
)
BTN_FEEDBACK_UP = "👍 Đúng ý"
BTN_FEEDBACK_DOWN = "👎 Chưa đúng"
BTN_FEEDBACK_SKIP = "Bỏ qua"
FEEDBACK_THANKS = "Cảm ơn anh/chị đã góp ý!"
FEEDBACK_NOTED = "Đã ghi nhận góp ý. Cảm ơn anh/chị!"
FEEDBACK_ASK_REASON = (
    "Cảm ơn anh/chị. Câu trả lời chưa đúng ở điểm nào? Anh/chị gõ một dòng lý do (không bắt "
    "buộc) hoặc bấm «Bỏ qua». Ban Thi đua - Khen thưởng sẽ xem lại."
)
FEEDBACK_REASON_THANKS = (
    "Đã ghi lý do. Cảm ơn anh/chị, Ban Thi đua - Khen thưởng sẽ xem lại câu trả lời này."
)
FEEDBACK_UNKNOWN = "Không tìm thấy câu trả lời này để đánh giá."

CURATED_BY = "Ban Thi đua - Khen thưởng trả lời (ngày {date})"
CURATED_PUSH = "Anh/chị đã hỏi ngày {date}: «{question}». Ban Thi đua - Khen thưởng đã trả lời:"
CURATED_GONE = "{basis}: văn bản không còn trong kho văn bản"
CURATED_SUPERSEDED = "{basis}: văn bản {status}"
CURATED_MISSING = "{basis}: không còn trong văn bản đã nạp"
CURATED_CHANGED = "{basis}: nội dung đã thay đổi khi văn bản được nạp lại"
CITE_UNPARSED = (
    "Không hiểu căn cứ «{spec}»: cần ghi văn bản (số hiệu hoặc tên) và Điều, ví dụ «khoản 1 "
    "Điều 75 Luật Thi đua, khen thưởng» hoặc «06/2022/QH15 Điều 75 khoản 1»."
)
CITE_AMBIGUOUS = "Căn cứ «{spec}» ứng với nhiều văn bản ({documents}); hãy ghi số hiệu văn bản."
CITE_MISSING = "Kho văn bản chưa có {where} {document}."
CITE_NOT_IN_FORCE = "{document} {status}; không dùng làm căn cứ cho câu trả lời mới."

CLI_ANSWERS_HELP = (
    "Câu trả lời của Ban Thi đua - Khen thưởng: thêm, liệt kê, gỡ, khôi phục, xuất và nhập Excel."
)
CLI_ANSWER_FROM_HELP = (
    "Câu hỏi lấy từ danh sách: U<số> (chưa trả lời được) hoặc F<số> (bị đánh giá 👎)."
)
CLI_ANSWER_QUESTION_HELP = "Câu hỏi (khi không dùng --from, hoặc để viết lại cho rõ)."
CLI_ANSWER_TEXT_HELP = "Nội dung câu trả lời."
CLI_ANSWER_CITE_HELP = (
    "Căn cứ, ví dụ «khoản 1 Điều 75 Luật Thi đua, khen thưởng»; lặp lại cho mỗi căn cứ."
)
CLI_ANSWER_ALSO_HELP = "Một cách hỏi khác cùng ý; lặp lại cho mỗi cách."
CLI_ANSWER_NO_PUSH_HELP = "Không báo cho những người đã hỏi."
CLI_ANSWER_REVIEW_HELP = "Chỉ liệt kê các câu trả lời đã tạm rút, cần xem lại."
CLI_ANSWER_ID_HELP = "Mã câu trả lời (A<số> hoặc số)."
CLI_FEEDBACK_BY_ARTICLE_HELP = "Gộp theo điều khoản được trích dẫn."
CLI_LIMIT_HELP = "Số dòng tối đa."

ANSWER_NEED_QUESTION = "Cần câu hỏi: dùng --from U<số>/F<số> hoặc --question."
ANSWER_NEED_CITE = "Cần ít nhất một căn cứ (--cite)."
ANSWER_NEED_TEXT = "Cần nội dung câu trả lời (--text)."
ANSWER_BAD_ITEM = "Không có mục {item} (xem: thidua unanswered)."
ANSWER_BAD_ID = "Không có câu trả lời {id} (xem: thidua answers list)."
ANSWER_ADDED = "Đã thêm câu trả lời A{id} cho «{question}»."
ANSWER_BASIS = "   Căn cứ: {basis}"
ANSWER_CLOSED = "Đã đóng {count} câu hỏi cùng ý trong danh sách chờ."
ANSWER_PUSHED = "Đã xếp tin báo tới {count} cuộc trò chuyện đã hỏi."
ANSWER_REMOVED = "Đã gỡ câu trả lời A{id}."
ANSWER_RESTORED = "Đã dùng lại câu trả lời A{id}, theo nội dung văn bản hiện tại."
ANSWERS_EMPTY = "Ban chưa có câu trả lời nào."
ANSWERS_REVIEW_EMPTY = "Không có câu trả lời nào cần xem lại."
ANSWERS_HEADER = "Câu trả lời của Ban Thi đua - Khen thưởng:"
ANSWER_LINE = "A{id}  [{status}]  {date}  «{question}»"
ANSWER_STATUS_ACTIVE = "đang dùng"
ANSWER_STATUS_WITHDRAWN = "cần xem lại"
ANSWER_ALSO = "   Cách hỏi khác: {questions}"
ANSWER_REVIEW_NOTE = "   Lý do tạm rút: {note}"
ANSWERS_WITHDRAWN = (
    "Câu trả lời A{id} của Ban đã tạm rút, cần xem lại ({note}). Xem: thidua answers list --review"
)
ANSWERS_EXPORTED = "Đã xuất {count} câu trả lời ra {file}."

UNANSWERED_GROUP = "{id}  ×{count} ({chats} cuộc trò chuyện)  lần cuối {last}  «{question}»"
UNANSWERED_DISLIKED_HEADER = "Câu trả lời bị đánh giá 👎 (Ban chưa trả lời):"
UNANSWERED_DISLIKED = "{id}  ×{count}  lần cuối {last}  «{question}»"
UNANSWERED_REASON = "   Lý do: {reason}"
UNANSWERED_HOW = "Trả lời một mục: thidua answers add --from <mã> --text «…» --cite «…»"

FEEDBACK_EMPTY = "Chưa có đánh giá nào."
FEEDBACK_HEADER = "Đánh giá câu trả lời (mới nhất trước):"
FEEDBACK_LINE = "F{id}  {when}  {mark}  [{channel}]  «{question}»"
FEEDBACK_REASON = "   Lý do: {reason}"
FEEDBACK_BASIS = "   Căn cứ: {basis}"
FEEDBACK_CURATED = "   (câu trả lời A{id} của Ban)"
FEEDBACK_NO_BASIS = "(không có căn cứ)"
FEEDBACK_BY_ARTICLE_HEADER = "Đánh giá theo điều khoản được trích dẫn (nhiều 👎 nhất trước):"
FEEDBACK_ARTICLE = "{basis}: 👍 {up}, 👎 {down}"
FEEDBACK_ARTICLE_DOWN = "   F{id} «{question}»{reason}"

COL_ANSWER_ID = "mã"
COL_ANSWER_QUESTION = "câu hỏi"
COL_ANSWER_TEXT = "câu trả lời"
COL_ANSWER_CITES = "căn cứ"
COL_ANSWER_ALSO = "cách hỏi khác"
COL_ANSWER_DATE = "ngày trả lời"
COL_ANSWER_STATUS = "trạng thái"
COL_ANSWER_NOTE = "lý do tạm rút"
NOTE_ANSWER_ID = "A<số> để sửa câu trả lời đã có; để trống để thêm mới."
NOTE_ANSWER_CITES = "Mỗi căn cứ một dòng, ví dụ «khoản 1 Điều 75 Luật Thi đua, khen thưởng»."
NOTE_ANSWER_ALSO = "Mỗi cách hỏi một dòng (không bắt buộc)."
NOTE_ANSWER_DATE = "Ngày Ban trả lời; để trống là hôm nay."
ANSWERS_SHEET = "Câu trả lời của Ban"
ROW_BAD_ANSWER_ID = "mã «{value}» không có (xem: thidua answers list)"
ROW_BAD_CITE = "căn cứ «{spec}»: {reason}"

# `thidua db` (bot/cli/db.py)
CLI_DB_HELP = "Cơ sở dữ liệu: nâng cấp lược đồ, chuyển sang PostgreSQL."
CLI_DB_MIGRATE_HELP = (
    "Nâng lược đồ CSDL (THIDUA_DATABASE_URL) lên phiên bản mới nhất; chạy lại không sao."
)
CLI_DB_COPY_HELP = (
    "Chép mọi bảng từ CSDL đang cấu hình (thường là tệp SQLite) sang một CSDL PostgreSQL trống:"
    " nâng lược đồ đích trước, giữ nguyên mã, đối chiếu số dòng từng bảng."
)
CLI_DB_COPY_TO_HELP = "URL của CSDL đích, ví dụ postgresql+psycopg://user:pass@host/thidua."
CLI_DB_BATCH_HELP = "Số dòng mỗi lần ghi."
DB_MIGRATED = "Lược đồ CSDL đã ở phiên bản mới nhất ({revision})."
DB_COPY_SAME = "CSDL đích trùng với CSDL nguồn; hãy chỉ một CSDL PostgreSQL khác."
DB_COPY_BAD_URL = "URL đích không đọc được: {error}"
DB_COPY_UNREACHABLE = "Không kết nối được CSDL {which}: {error}"
DB_SOURCE = "nguồn"
DB_TARGET = "đích"
DB_COPY_SOURCE_BEHIND = (
    "CSDL nguồn chưa ở phiên bản lược đồ mới nhất (đang ở {current}, mới nhất {head})."
    " Hãy chạy «thidua db migrate» với CSDL nguồn trước, rồi chép lại."
)
DB_COPY_UNKNOWN_TABLES = (
    "CSDL nguồn có bảng không thuộc ứng dụng ({tables}); không chép để khỏi bỏ sót dữ liệu."
)
DB_COPY_TARGET_NOT_EMPTY = (
    "CSDL đích đã có dữ liệu ({tables}); chỉ chép vào một CSDL trống. Không có gì bị thay đổi."
)
DB_COPY_MISMATCH = (
    "Bảng {table}: nguồn có {source} dòng, đích có {target} dòng; đã huỷ, CSDL đích vẫn trống."
)
DB_COPY_NEVER = "chưa có"
DB_COPY_DONE = "Đã chép {rows} dòng của {tables} bảng; số dòng từng bảng khớp với nguồn."
DB_COPY_NEXT = "Để dùng CSDL mới: đặt THIDUA_DATABASE_URL={url} rồi khởi động lại."
