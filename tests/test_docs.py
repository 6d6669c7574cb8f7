"""The README stays true: every command has help and is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailypapers.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    from typer.main import get_command

    root = get_command(app)
    names = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        names.append(name)
        names += [f"{name} {sub}" for sub in getattr(command, "commands", {})]
    return sorted(names)


def test_there_are_commands():
    assert {"run", "list", "fulltext", "site", "templates list", "templates show"} <= set(
        commands()
    )


@pytest.mark.parametrize("command", commands())
def test_command_has_help_and_is_in_readme(command):
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    top = command.split()[0]
    assert f"`dailypapers {top}" in README, f"{command} is not in the README"


def test_readme_quick_start_is_two_commands():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 2
    assert "dailypapers run" in lines[0]


def test_run_documents_the_contract_flags():
    help_text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    for flag in (
        "--date",
        "--template",
        "--lang",
        "--out",
        "--format",
        "--limit",
        "--min-upvotes",
        "--force",
        "--no-llm",
        "--from",
        "--to",
        "--dry-run",
    ):
        assert flag in help_text, flag
        assert flag in README, flag
