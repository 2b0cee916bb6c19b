"""The MUSUBI_* settings helper: typed values, fail-fast errors, generated docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from musubi import config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def declared(monkeypatch):
    monkeypatch.setattr(config, "DECLARED", {})
    return config.DECLARED


def test_default_is_used_when_unset(declared, monkeypatch):
    monkeypatch.delenv("MUSUBI_SAMPLE", raising=False)
    assert config.env("MUSUBI_SAMPLE", 7, "help", kind="int") == 7


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("bool", "yes", True),
        ("bool", "Off", False),
        ("int", " 42 ", 42),
        ("list", "a, b,,c", ["a", "b", "c"]),
        ("path", "~/x", Path("~/x").expanduser()),
        ("str", "plain", "plain"),
    ],
)
def test_values_are_typed(declared, monkeypatch, kind, raw, value):
    monkeypatch.setenv("MUSUBI_SAMPLE", raw)
    assert config.env("MUSUBI_SAMPLE", None, "help", kind=kind) == value


@pytest.mark.parametrize(("kind", "raw"), [("bool", "maybe"), ("int", "ten")])
def test_bad_values_fail_fast_naming_the_variable(declared, monkeypatch, kind, raw):
    monkeypatch.setenv("MUSUBI_SAMPLE", raw)
    with pytest.raises(config.ConfigurationError, match=f"MUSUBI_SAMPLE={raw!r}"):
        config.env("MUSUBI_SAMPLE", None, "help", kind=kind)


def test_choice_rejects_values_outside_the_list(declared, monkeypatch):
    monkeypatch.setenv("MUSUBI_MODE", "carrier-pigeon")
    with pytest.raises(config.ConfigurationError, match="expected one of smtp, console"):
        config.choice("MUSUBI_MODE", "console", "Mode.", ("smtp", "console"))


def test_only_musubi_names_can_be_declared(declared):
    with pytest.raises(config.ConfigurationError):
        config.env("DEBUG", False, "help", kind="bool")


def test_markdown_lists_every_declaration_with_default_and_help(declared, monkeypatch):
    monkeypatch.delenv("MUSUBI_B", raising=False)
    monkeypatch.delenv("MUSUBI_A", raising=False)
    config.env("MUSUBI_B", ["x", "y"], "Bees.", kind="list")
    config.env("MUSUBI_A", True, "Ayes | pipes.", kind="bool")
    text = config.render_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| `MUSUBI_")]
    assert rows == [
        "| `MUSUBI_A` | bool | `true` | Ayes \\| pipes. |",
        "| `MUSUBI_B` | list | `x,y` | Bees. |",
    ]


def test_a_bad_value_stops_the_command_with_a_clear_message(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MUSUBI_DEBUG": "perhaps", "MUSUBI_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "musubi.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert "configuration error: MUSUBI_DEBUG='perhaps' is not a valid bool" in done.stderr
    assert "Traceback" not in done.stderr


def test_committed_configuration_docs_are_current():
    done = subprocess.run(
        [sys.executable, "-m", "musubi.cli", "config-docs", "--stdout"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout == (ROOT / "docs" / "configuration.md").read_text()
