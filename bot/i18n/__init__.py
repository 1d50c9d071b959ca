"""Message catalogues, one module per language; Vietnamese is the only one for now."""

from bot.i18n import vi

__all__ = ["vi"]
