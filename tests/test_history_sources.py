"""History shows edits, variations and DMs apart (issue #8): /imagine usage and the Home tab."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot import messages
from bot.home import history_blocks
from bot.store import HistoryItem, Totals, UserUsage
from bot.usage import user_usage_text

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_usage_counts_edits_variations_and_dms() -> None:
    usage = UserUsage(
        team_id="T1",
        user_id="U1",
        today=Totals(3, 0.1, 3),
        month=Totals(9, 0.3, 7),
        day_resets_at=NOW,
        month_resets_at=NOW,
        month_by_source={"command": 2, "edit": 2, "variation": 1, "dm": 3},
    )
    text = user_usage_text(usage, daily_limit=None, is_admin=False)
    assert "(2 edits, 1 variation request, 3 from DMs)" in text
    plain = UserUsage("T1", "U1", Totals(), Totals(), NOW, NOW, {"command": 4})
    assert "(" not in user_usage_text(plain, daily_limit=None, is_admin=False).split("month")[1]
    assert messages.source_counts({}) == ""


def test_the_home_tab_labels_edits_and_dms() -> None:
    items = [
        HistoryItem("j2", "make it green", "C1", "1.2", NOW, "ok", 1, 0.04, "edit", "j1", "a kite"),
        HistoryItem("j3", "a fox", "D1", None, NOW, "ok", 1, 0.04, "dm"),
        HistoryItem("j1", "a kite", "C1", None, NOW, "ok", 1, 0.04, "command"),
    ]
    rendered = [json.dumps(block.to_dict(), ensure_ascii=False) for block in history_blocks(items)]
    assert "edit of “a kite”" in rendered[1]
    assert "from a DM" in rendered[3]
    assert "earlier image" not in rendered[5] and "DM" not in rendered[5]
