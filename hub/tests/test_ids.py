"""Public ids sort by creation, also when many are made in one millisecond."""

from __future__ import annotations

import re

from orderhub.hub import ids


def test_ids_made_in_a_burst_keep_increasing():
    made = [ids.new_id("ord") for _ in range(5000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"ord_[0-9a-hjkmnp-tv-z]{26}", i) for i in made)


def test_a_clock_that_steps_back_does_not_make_an_older_looking_id(monkeypatch):
    first = ids.new_id("ord")
    now = ids.time.time_ns()
    monkeypatch.setattr(ids.time, "time_ns", lambda: now - 10_000_000_000)  # 10 s earlier
    later = [ids.new_id("ord") for _ in range(3)]
    assert [first, *later] == sorted([first, *later])
    assert len({first, *later}) == 4
