"""The verdict of one cell, from what each client observed."""

from __future__ import annotations

from harness.clients import Frame
from harness.run.delivery import CellSpec, delivery_cells, judge
from harness.stacks.channels import ChannelsProtocol
from harness.stacks.ws4redis import Ws4redisProtocol

TEXT = "probe:t:1 user from admin to john"


def _frames(**per_user: list[str]) -> dict[str, list[Frame]]:
    frames: dict[str, list[Frame]] = {user: [] for user in ("admin", "john", "mary")}
    for user, texts in per_user.items():
        frames[user] = [Frame(text, 1.0 + i * 0.01) for i, text in enumerate(texts)]
    return frames


def test_matrix_has_the_seed_cells() -> None:
    cells = delivery_cells(Ws4redisProtocol.publish_paths)
    assert [c.kind for c in cells] == ["broadcast"] * 3 + ["user"] * 9 + ["group"] * 3
    assert [c.path for c in cells] == ["socket"] * 3 + ["http"] * 12
    assert CellSpec("group", "admin", "chatusers").expected == ("john", "mary")
    assert CellSpec("broadcast", "mary", "everybody").expected == ("admin", "john", "mary")


def test_exactly_the_expected_recipient_is_good() -> None:
    ok, received, latency, problems = judge(
        CellSpec("user", "admin", "john"), TEXT, "probe:t:1", _frames(john=[TEXT]), sent_at=0.99
    )
    assert ok and received == ["john"] and problems == []
    assert latency == 10.0


def test_a_leak_to_a_third_user_is_bad() -> None:
    ok, received, _, problems = judge(
        CellSpec("user", "admin", "john"), TEXT, "probe:t:1", _frames(john=[TEXT], mary=[TEXT]), 1.0
    )
    assert not ok and received == ["john", "mary"]
    assert problems == ["mary received it but should not have"]


def test_missing_duplicate_and_altered_copies_are_bad() -> None:
    cell = CellSpec("broadcast", "admin", "everybody")
    text = "probe:t:1 broadcast"
    ok, _, latency, problems = judge(
        cell, text, "probe:t:1", _frames(admin=[text, text], john=["probe:t:1 broadcasX"]), 1.0
    )
    assert not ok and latency is None
    assert "admin received it 2 times" in problems
    assert "john did not receive it" in problems
    assert any("john got an altered copy" in p for p in problems)
    assert "mary did not receive it" in problems


def test_another_probe_with_a_longer_id_is_not_taken_for_this_one() -> None:
    ok, _, _, problems = judge(
        CellSpec("user", "admin", "john"), TEXT, "probe:t:1", _frames(john=[TEXT], mary=["probe:t:12 x"]), 1.0
    )
    assert ok, problems


def test_channels_checks_every_kind_on_both_publish_paths() -> None:
    cells = delivery_cells(ChannelsProtocol.publish_paths)
    assert len(cells) == 30
    assert [c.path for c in cells] == ["socket"] * 15 + ["http"] * 15
    assert len({str(c) for c in cells}) == 30
