"""Fake Telegram Bot API, Zalo Bot API and Zalo OA servers on 127.0.0.1 for channel tests.

Each fake records every call, can delay answers and inject faults; see tests/fakes/base.py
for the shared controls and tests/fakes/serve.py to run one in a process of its own.
"""
