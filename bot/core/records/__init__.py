"""Questions answered from the records for whoever may see them: who has not registered, who
has not filed a period's report, where a cluster's pledge stands, one unit's standing.

The office asks about the province, a cluster lead about their cluster, a unit's head or
officer about their own unit; the rest is «ngoài phạm vi». Nothing here goes to the legal Q&A.
"""

from __future__ import annotations

from bot.core.records.answer import answer

__all__ = ["answer"]
