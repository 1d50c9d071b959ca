"""The office's data: units, people, clusters and movements from Excel/CSV, templates, exports.

Its commands are in bot.cli.admin (a composition root), which reads Settings and opens the
database; nothing here does.
"""
