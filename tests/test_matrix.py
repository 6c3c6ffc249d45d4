"""Env-name parsing, requirements, and tox.ini kept equal to the matrix."""

from __future__ import annotations

import configparser
import re

import pytest

from harness.matrix import toxini
from harness.matrix.envs import BadEnvName, parse_env_name
from harness.matrix.labels import LABELS, TOOL_LABELS, all_env_names
from harness.matrix.toxini import TOX_INI
from harness.matrix.variants import VARIANTS
from harness.run.modes import first_modes_of_servers


def test_parses_python_django_and_stack() -> None:
    spec = parse_env_name("py311-django42-ws4redis06")
    assert (spec.python, spec.django) == ((3, 11), (4, 2))
    assert spec.stack.family == "ws4redis" and spec.stack.version == "0.6.0"
    assert spec.servers == ("runserver", "uwsgi")


def test_two_digit_django_minor_and_python_2() -> None:
    spec = parse_env_name("py27-django111-ws4redis04")
    assert spec.python_version == "2.7" and spec.django_version == "1.11"
    # not a row of the matrix, so not in the lock: its inputs as they are
    assert spec.requirements()[:2] == ["Django>=1.11,<1.12", "django-websocket-redis==0.4.8"]
    assert parse_env_name("py27-django18-ws4redis04").requirements()[:2] == [
        "Django==1.8.19",
        "django-websocket-redis==0.4.8",
    ]


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
    assert labels == [*LABELS, *TOOL_LABELS]


def test_channels_modes_are_server_times_layer() -> None:
    spec = parse_env_name("py311-django42-channels4")
    assert "daphne+redis" in spec.servers and "uvicorn+pubsub" in spec.servers
    assert len(spec.servers) == 9
    assert len(parse_env_name("py38-django30-channels2").servers) == 6  # no pub/sub layer in channels_redis 2


def test_variant_is_a_trailing_factor_with_its_own_pins() -> None:
    spec = parse_env_name("py27-django18-ws4redis04-wsaccel")
    assert (spec.release_key, spec.variant) == ("ws4redis04", "wsaccel")
    assert spec.requirements() == [*parse_env_name("py27-django18-ws4redis04").requirements(), "wsaccel==0.6.3"]
    assert spec.chat_environment() == {}
    # The newest release declaring each Python (harness/matrix/variants.py).
    assert parse_env_name("py37-django22-ws4redis06-wsaccel").requirements()[-1] == "wsaccel==0.6.4"
    assert parse_env_name("py312-django52-ws4redis06-wsaccel").requirements()[-1] == "wsaccel==0.6.7"
    sessions = parse_env_name("py27-django18-ws4redis04-redissessions")
    assert sessions.requirements()[-1] == "django-redis-sessions==0.6.2"
    assert "redis==2.10.6" in sessions.requirements()  # the release's redis-py pin is kept
    assert sessions.chat_environment() == {"CHAT_SESSIONS": "redis"}


def test_default_env_has_no_variant() -> None:
    spec = parse_env_name("py27-django18-ws4redis04")
    assert spec.variant == "" and spec.chat_environment() == {}
    assert not any("wsaccel" in r or "redis-sessions" in r for r in spec.requirements())


def test_every_variant_pin_is_exact() -> None:
    for variant in VARIANTS.values():
        assert variant.families and variant.summary
        for _, pins in variant.pins:
            assert pins and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9a-z.]*", pin) for pin in pins), pins


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "py27-django18-ws4redis04-nosuch",
            "unknown variant 'nosuch' in 'py27-django18-ws4redis04-nosuch': known are redissessions, wsaccel",
        ),
        (
            "py311-django42-channels4-wsaccel",
            "variant 'wsaccel' does not apply to channels ('py311-django42-channels4-wsaccel'); "
            "variants of channels: none",
        ),
    ],
)
def test_bad_variant_is_one_clear_line(name: str, message: str) -> None:
    with pytest.raises(BadEnvName) as caught:
        parse_env_name(name)
    assert str(caught.value) == message and "\n" not in message


@pytest.mark.parametrize("name", ["py27-django18-ws4redis04-", "py27-django18-ws4redis04-wsaccel-redissessions"])
def test_malformed_variant_factor_is_a_bad_name(name: str) -> None:
    with pytest.raises(BadEnvName, match=r"expected py<XY>-django<XY>-<line>\[-<variant>\]\[-latest\]"):
        parse_env_name(name)


def test_variant_envs_get_their_own_venv_and_work_folder() -> None:
    default, variant = parse_env_name("py27-django18-ws4redis04"), parse_env_name("py27-django18-ws4redis04-wsaccel")
    assert default.name != variant.name  # the work folder (and its venv) is named after the env
    assert default.requirements() != variant.requirements()  # and the venv recipe differs too


def test_main_label_runs_the_variants_beside_their_defaults() -> None:
    for name in LABELS["variants"]:
        spec = parse_env_name(name)
        assert spec.variant and name in LABELS["main"] and name in LABELS["full"]
        assert name.removesuffix(f"-{spec.variant}") in LABELS["main"]


def test_a_suite_suffix_adds_checks_and_shares_the_plain_envs_venv() -> None:
    spec = parse_env_name("py27-django18-ws4redis04-wsaccel-deep")
    assert (spec.variant, spec.suite, spec.sut_name) == ("wsaccel", "deep", "py27-django18-ws4redis04-wsaccel")
    assert spec.suite_spec.deep and not spec.suite_spec.every_mode
    browser = parse_env_name("py311-django42-channels4-browser")
    assert (browser.variant, browser.sut_name) == ("", "py311-django42-channels4")
    assert browser.suite_spec.every_mode and not browser.suite_spec.deep
    plain = parse_env_name("py311-django42-channels4")
    assert (plain.suite, plain.sut_name, plain.suite_spec.deep) == ("", "py311-django42-channels4", False)


def test_suite_labels_rerun_matrix_envs_and_add_none_to_full() -> None:
    for label in ("deep", "browser", "deflate"):
        for name in LABELS[label]:
            spec = parse_env_name(name)
            # The browser label also runs the deflate envs: the compressed path browsers take.
            assert spec.suite in (label, "deflate") and spec.sut_name in LABELS["full"] and name not in LABELS["full"]


def test_per_server_checks_run_in_the_first_mode_of_each_server() -> None:
    modes = parse_env_name("py311-django42-channels4").servers
    assert first_modes_of_servers(modes) == {"runserver+redis", "daphne+redis", "uvicorn+redis"}
    assert first_modes_of_servers(("runserver", "uwsgi")) == {"runserver", "uwsgi"}
