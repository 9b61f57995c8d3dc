"""The rule-recording API that `rlvr rewards explain` is built on."""

from rewards.explain import decided_by, recording


def test_rules_are_recorded_in_order_only_inside_recording():
    decided_by("ignored: nothing is recording")
    with recording() as rules:
        decided_by("first")
        decided_by("second")
    decided_by("after")
    assert rules == ["first", "second"]


def test_recordings_nest_without_leaking():
    with recording() as outer:
        decided_by("outer")
        with recording() as inner:
            decided_by("inner")
    assert outer == ["outer"] and inner == ["inner"]
