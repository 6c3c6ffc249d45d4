"""Env-name parsing, requirements, and tox.ini kept equal to the matrix."""

from __future__ import annotations

import configparser

import pytest

from harness.matrix import toxini
from harness.matrix.envs import BadEnvName, parse_env_name
from harness.matrix.labels import LABELS, all_env_names
from harness.matrix.toxini import TOX_INI


def test_parses_python_django_and_stack() -> None:
    spec = parse_env_name("py311-django42-ws4redis06")
    assert (spec.python, spec.django) == ((3, 11), (4, 2))
    assert spec.stack.family == "ws4redis" and spec.stack.version == "0.6.0"
    assert spec.servers == ("runserver", "uwsgi")


def test_two_digit_django_minor_and_python_2() -> None:
    spec = parse_env_name("py27-django111-ws4redis04")
    assert spec.python_version == "2.7" and spec.django_version == "1.11"
    assert spec.requirements()[:2] == ["Django>=1.11,<1.12", "django-websocket-redis==0.4.6"]


@pytest.mark.parametrize("name", ["py27-django18", "django18-py27-ws4redis04", "py27-django18-ws4redis99", ""])
def test_bad_names_say_what_is_expected(name: str) -> None:
    with pytest.raises(BadEnvName, match="py<XY>-django<XY>|unknown stack release"):
        parse_env_name(name)


def test_every_matrix_env_parses() -> None:
    for name in all_env_names():
        assert parse_env_name(name).name == name


def test_tox_ini_env_list_and_labels_are_generated_from_the_matrix() -> None:
    current = TOX_INI.read_text()
    assert toxini.render(current) == current, "tox.ini is out of date: run `python -m harness.matrix.toxini`"


def test_tox_ini_lists_every_env_and_label() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(TOX_INI)
    assert parser["tox"]["env_list"].split() == all_env_names()
    labels = [line.split("=")[0].strip() for line in parser["tox"]["labels"].strip().splitlines()]
    assert labels == list(LABELS)


def test_channels_modes_are_server_times_layer() -> None:
    spec = parse_env_name("py311-django42-channels4")
    assert "daphne+redis" in spec.servers and "uvicorn+pubsub" in spec.servers
    assert len(spec.servers) == 9
    assert len(parse_env_name("py38-django30-channels2").servers) == 6  # no pub/sub layer in channels_redis 2
