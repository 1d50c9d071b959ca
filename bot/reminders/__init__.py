"""Reminders: deadlines and overdue items pushed to the people who owe them, escalated, summarised.

planning (pure: when a deadline's reminders fall), calendar (working days, quiet hours),
standing (who owes what), chase (one pass: what is due, to whom), escalation, digest (the weekly
summary), reach (which chat reaches a person), buttons (snooze, "filed on paper"), loop (one
leader runs a pass every minute). bot.core never imports this package: the composition root
hands the router the buttons' handlers.
"""
