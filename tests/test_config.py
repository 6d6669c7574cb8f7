"""Settings: precedence (defaults < TOML < environment < overrides), list settings from the
environment, formats checked up front, and a config file that is missing or broken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dailypapers.config import load_settings
from dailypapers.errors import UsageError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No setting leaks in from the developer's environment or working directory."""
    for name in list(os.environ):
        if name.startswith("DAILYPAPERS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def write_config(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- precedence ---------------------------------------------------------------------------------


def test_defaults_toml_environment_and_overrides_in_that_order(tmp_path, monkeypatch):
    config = write_config(
        tmp_path,
        'template = "report-zh"\nlimit = 5\nmin_upvotes = 3\nformats = ["html"]\n',
    )
    monkeypatch.setenv("DAILYPAPERS_CONFIG", str(config))
    monkeypatch.setenv("DAILYPAPERS_LIMIT", "7")
    monkeypatch.setenv("DAILYPAPERS_MIN_UPVOTES", "4")
    settings = load_settings(min_upvotes=9, lang=None)
    assert settings.token_budget == 24_000  # default: nobody set it
    assert settings.template == "report-zh"  # TOML over the default
    assert settings.formats == ["html"]
    assert settings.limit == 7  # environment over TOML
    assert settings.min_upvotes == 9  # an override over everything
    assert settings.lang is None  # a None override is no override


def test_dailypapers_toml_in_the_working_directory_is_read(tmp_path):
    write_config(tmp_path, 'template = "digest-en"\n', name="dailypapers.toml")
    assert load_settings().template == "digest-en"


def test_config_toml_in_the_data_folder_is_read(tmp_path):
    (tmp_path / "data").mkdir()
    write_config(tmp_path / "data", "limit = 2\n", name="config.toml")
    assert load_settings().limit == 2


# --- the config file ----------------------------------------------------------------------------


def test_a_config_file_that_does_not_exist_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(UsageError, match=r"^config file not found: .*nope\.toml"):
        load_settings()


def test_a_toml_syntax_error_is_a_one_line_usage_error(tmp_path, monkeypatch):
    config = write_config(tmp_path, 'template = "digest-vi"\nlimit = = 3\n')
    monkeypatch.setenv("DAILYPAPERS_CONFIG", str(config))
    with pytest.raises(UsageError) as exc:
        load_settings()
    message = str(exc.value)
    assert message.startswith(f"config file {config} is not valid TOML: ")
    assert "line 2" in message and "\n" not in message


def test_a_config_file_in_the_working_directory_with_bad_toml_is_a_usage_error(tmp_path):
    write_config(tmp_path, "formats = [md\n", name="dailypapers.toml")
    with pytest.raises(UsageError, match="is not valid TOML"):
        load_settings()


# --- list settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("formats", "md,html", ["md", "html"]),
        ("formats", " MD , json ,md", ["md", "json"]),
        ("formats", '["md", "html"]', ["md", "html"]),  # JSON still works (compose.yaml)
        ("keywords", "agent, diffusion model", ["agent", "diffusion model"]),
        ("exclude_keywords", "survey", ["survey"]),
        ("keywords", "", []),
        ("publish", "site,s3://bucket/daily", ["site", "s3://bucket/daily"]),
        (
            "notify",
            "mailto:a@example.org,b@example.org?smtp=mail.example.org,slack:https://hooks.x/y",
            ["mailto:a@example.org,b@example.org?smtp=mail.example.org", "slack:https://hooks.x/y"],
        ),
        ("notify", '["webhook:https://a.example/x"]', ["webhook:https://a.example/x"]),
    ],
)
def test_list_settings_take_comma_separated_strings_from_the_environment(
    monkeypatch, name, raw, expected
):
    monkeypatch.setenv(f"DAILYPAPERS_{name.upper()}", raw)
    assert getattr(load_settings(), name) == expected


def test_a_comma_separated_string_in_toml_is_a_list_too(tmp_path, monkeypatch):
    config = write_config(tmp_path, 'formats = "json,md"\nkeywords = ["a", "b"]\n')
    monkeypatch.setenv("DAILYPAPERS_CONFIG", str(config))
    settings = load_settings()
    assert (settings.formats, settings.keywords) == (["json", "md"], ["a", "b"])


def test_a_broken_json_list_in_the_environment_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_KEYWORDS", '["agent",')
    with pytest.raises(UsageError, match="invalid setting keywords: not a valid JSON list"):
        load_settings()


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [(["md"], ["md"]), (["HTML", "md", "html"], ["html", "md"]), (["md,json"], ["md", "json"])],
)
def test_formats_are_lower_cased_and_deduplicated(given, expected):
    assert load_settings(formats=given).formats == expected


@pytest.mark.parametrize("given", [["md", "pdf"], "md,pdf", []])
def test_an_unknown_or_empty_format_is_a_usage_error(given):
    with pytest.raises(UsageError, match=r"^invalid setting formats: ") as exc:
        load_settings(formats=given)
    assert "Value error" not in str(exc.value)


def test_an_unknown_format_in_the_environment_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_FORMATS", "md,docx")
    with pytest.raises(UsageError, match="unknown format 'docx' \\(choose from md, html, json\\)"):
        load_settings()


def test_run_with_a_bad_format_exits_2_before_any_work(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")},
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
        "DAILYPAPERS_HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: no work may start
    }
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers", "run", "--date", "2026-01-02", "--format", "md,pdf"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "unknown format 'pdf'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # nothing was touched
