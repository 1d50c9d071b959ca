"""The emulation titles of Luật Thi đua, khen thưởng số 06/2022/QH15 (Điều 20–28): seed data.

Names follow the law's wording; an office may rename a title in the database and the seed will
not overwrite it (it only adds missing codes).
"""

from __future__ import annotations

from typing import NamedTuple

LAW = "Luật Thi đua, khen thưởng 2022"
INDIVIDUAL = "cá nhân"
COLLECTIVE = "tập thể"


class TitleSeed(NamedTuple):
    code: str
    name: str
    scope: str
    legal_basis: str


TITLES: tuple[TitleSeed, ...] = (
    TitleSeed("LDTT", "Lao động tiên tiến", INDIVIDUAL, f"Điều 24 {LAW}"),
    TitleSeed("CSTT", "Chiến sĩ tiên tiến", INDIVIDUAL, f"Điều 24 {LAW}"),
    TitleSeed("CSTDCS", "Chiến sĩ thi đua cơ sở", INDIVIDUAL, f"Điều 23 {LAW}"),
    TitleSeed("CSTD_TINH", "Chiến sĩ thi đua Bộ, ban, ngành, tỉnh", INDIVIDUAL, f"Điều 22 {LAW}"),
    TitleSeed("CSTDTQ", "Chiến sĩ thi đua toàn quốc", INDIVIDUAL, f"Điều 21 {LAW}"),
    TitleSeed("TTLDTT", "Tập thể lao động tiên tiến", COLLECTIVE, f"Điều 28 {LAW}"),
    TitleSeed("DVTT", "Đơn vị tiên tiến", COLLECTIVE, f"Điều 28 {LAW}"),
    TitleSeed("TTLDXS", "Tập thể lao động xuất sắc", COLLECTIVE, f"Điều 27 {LAW}"),
    TitleSeed("DVQT", "Đơn vị quyết thắng", COLLECTIVE, f"Điều 27 {LAW}"),
    TitleSeed("CO_TINH", "Cờ thi đua của Bộ, ban, ngành, tỉnh", COLLECTIVE, f"Điều 26 {LAW}"),
    TitleSeed("CO_CP", "Cờ thi đua của Chính phủ", COLLECTIVE, f"Điều 25 {LAW}"),
)
