"""The stack adapters read the matrix's one server and layer table."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import BadInput
from harness.matrix.releases import LAYERS, SERVERS, STACK_RELEASES
from harness.stacks import STACKS

PYTHON, BIN = Path("/venv/bin/python"), Path("/venv/bin")


@pytest.mark.parametrize("family", sorted(STACKS))
def test_every_server_of_the_table_has_a_command_and_no_other(family: str) -> None:
    assert sorted(STACKS[family].commands()) == sorted(SERVERS[family])


@pytest.mark.parametrize("release", sorted(STACK_RELEASES))
def test_every_mode_of_every_release_launches_on_its_port_and_layer(release: str) -> None:
    stack_release = STACK_RELEASES[release]
    for mode in stack_release.modes:
        launch = STACKS[stack_release.family].launch(mode, PYTHON, BIN, 20001)
        assert any("20001" in part for part in launch.cmd), launch.cmd
        layer = mode.partition("+")[2]
        assert launch.env == ({"CHAT_CHANNEL_LAYER": layer} if layer else {})
        assert not layer or layer in LAYERS[stack_release.family]


@pytest.mark.parametrize(
    ("family", "mode", "message"),
    [
        ("channels", "gunicorn+redis", "channels has no server 'gunicorn'"),
        ("channels", "daphne", "expected one of the layers redis, pubsub, inmemory"),
        ("channels", "daphne+memcached", "expected one of the layers"),
        ("ws4redis", "uwsgi+redis", "expected no channel layer"),
    ],
)
def test_a_mode_outside_the_table_is_refused(family: str, mode: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        STACKS[family].launch(mode, PYTHON, BIN, 20001)
