"""Roles a person can hold; what each may see and change is decided in bot.core.access."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICE_ADMIN = "office_admin"  # Ban Thi đua - Khen thưởng: everything
    CLUSTER_LEAD = "cluster_lead"  # cụm/khối trưởng: the units of their cluster
    UNIT_HEAD = "unit_head"  # thủ trưởng đơn vị: signs for their unit
    UNIT_OFFICER = "unit_officer"  # cán bộ làm công tác thi đua: drafts for their unit
    CADRE = "cadre"  # any cadre: asks questions


# How people write roles in an import file (lowercased, diacritics kept) -> Role.
ROLE_ALIASES: dict[str, Role] = {
    "ban tđkt": Role.OFFICE_ADMIN,
    "ban thi đua - khen thưởng": Role.OFFICE_ADMIN,
    "quản trị": Role.OFFICE_ADMIN,
    "office_admin": Role.OFFICE_ADMIN,
    "cụm trưởng": Role.CLUSTER_LEAD,
    "khối trưởng": Role.CLUSTER_LEAD,
    "cluster_lead": Role.CLUSTER_LEAD,
    "thủ trưởng": Role.UNIT_HEAD,
    "thủ trưởng đơn vị": Role.UNIT_HEAD,
    "unit_head": Role.UNIT_HEAD,
    "cán bộ thi đua": Role.UNIT_OFFICER,
    "cán bộ làm công tác thi đua": Role.UNIT_OFFICER,
    "unit_officer": Role.UNIT_OFFICER,
    "cán bộ": Role.CADRE,
    "cadre": Role.CADRE,
}
