"""Admin verbs of the `thidua` command: imports, templates, movements, invites, Excel exports.

Only the CLI (a composition root) uses this package; it reads Settings and opens the database.
"""
