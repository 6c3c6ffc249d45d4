"""Env-name parsing, requirements, and tox.ini kept equal to the matrix."""

from __future__ import annotations

import configparser

import pytest

from harness.matrix import LABELS, BadEnvName, all_env_names, parse_env_name
from harness.stacks.base import ROOT


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


def _tox_ini() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    return parser


def test_tox_env_list_equals_matrix() -> None:
    env_list = _tox_ini()["tox"]["env_list"].split()
    assert env_list == all_env_names()


def test_tox_labels_equal_matrix_labels() -> None:
    lines = [line.strip() for line in _tox_ini()["tox"]["labels"].strip().splitlines()]
    labels = {name.strip(): [e.strip() for e in envs.split(",")] for name, envs in (ln.split("=") for ln in lines)}
    expected = {name: list(envs) for name, envs in LABELS.items()}
    expected["main"] = expected["main"] + ["report"]  # the main job ends with the report
    assert labels == expected
