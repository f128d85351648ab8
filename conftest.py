"""Test-wide settings: the suite runs against whatever DATABASE_URL names (SQLite by default)."""

import os

os.environ.setdefault("YINGSHANG_TESTING", "1")
