"""The docs stay true: README's Python examples run, its tables come from the script."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks(README))))
def test_readme_python_examples_run(index: int, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code = python_blocks(README)[index].replace("replications=200", "replications=10")
    exec(compile(code, f"README.md[python {index}]", "exec"), {})  # noqa: S102


def test_readme_names_the_two_commands() -> None:
    assert "pip install -e . && simrev run scenarios/hire5.yaml" in README
    assert "pip install -e '.[test]' && pytest" in README


@pytest.mark.parametrize("marker", ["plans", "compare"])
def test_readme_tables_were_written_by_the_script(marker: str) -> None:
    block = re.search(rf"<!-- {marker}:start -->\n(.*?)<!-- {marker}:end -->", README, re.S)
    assert block and "Written by `python docs/plans_table.py`".lower() in block.group(1).lower()
    for plan in ("hire5", "enablement", "support", "ai_assist"):
        assert f"`{plan}`" in block.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && pytest" in ci
    assert os.access(ROOT / ".ci" / "run", os.R_OK)


def simrev_commands(text: str) -> list[str]:
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#")[0].strip()
            if "simrev " in line and "--scheduler" not in line:
                commands.append(line[line.index("simrev "):])
    return commands


@pytest.mark.parametrize("command", simrev_commands(README))
def test_readme_commands_run(command: str, tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from cli.main import main

    monkeypatch.chdir(ROOT)
    args = command.split()[1:] + ["--replications", "4", "--set", "quarters=1",
                                  "--out", str(tmp_path), "--quiet", "--workers", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, (command, result.stderr)
    assert any(tmp_path.iterdir())


def test_readme_has_runnable_commands() -> None:
    commands = simrev_commands(README)
    assert any(c.startswith("simrev run") for c in commands)
    assert any("--vary" in c for c in commands)
    assert any("--hire" in c for c in commands)


def test_generated_reference_blocks_match_the_code() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("reference", ROOT / "docs" / "reference.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    assert reference.stale() == [], "run python docs/reference.py"
