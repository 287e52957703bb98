"""Issue 10, the inputs: a scenario never leaks another file's contents, never reads without
limit, refuses text and YAML 1.1 readings it cannot mean, reserved role names and sweeps
that change nothing; the Python API raises `ScenarioError` for every bad argument."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from sim import api
from sim.safe_yaml import MAX_FILE_BYTES
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import MAX_EXTENDS
from tests.test_scenario_errors import BASE, line_of, sub

SECRET = "s3cr3t-Token_value"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, *overrides: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, list(overrides))
    message = str(info.value)
    assert "\n" not in message, message
    return info.value


# -- item 2: never print the contents of a file simrev did not write

# Files that are not scenarios, each holding SECRET: not YAML, not a mapping, binary, or a
# mapping by accident. The error names the file (and line) and never shows the secret.
NOT_SCENARIOS = [
    ("shadow", f"root:{SECRET}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"),
    ("passwd", f"root:x:0:0:{SECRET}:/root:/bin/bash\n"),
    ("plain-words", f"{SECRET} and more words\n"),
    ("ini", f"[default]\naws_access_key_id = AKIA\naws_secret_access_key = {SECRET}\n"),
    ("env", f"TOKEN={SECRET}\nOTHER: x: y\n"),
    ("list", f"- {SECRET}\n- two\n"),
    ("gh-hosts", f"github.com:\n  oauth_token: {SECRET}\n  user: me\n"),
    ("docker-json", f'{{"auths": {{"registry": {{"auth": "{SECRET}"}}}}}}\n'),
    ("undefined-alias", f"a: *{SECRET}\n"),
    ("bad-tag-at-top", f"!{SECRET} 1\n"),
    ("unknown-key-bad-tag", f"token: !vault {SECRET}\n"),
]


@pytest.mark.parametrize("text", [t for _, t in NOT_SCENARIOS],
                         ids=[i for i, _ in NOT_SCENARIOS])
def test_an_extends_target_that_is_not_a_scenario_is_named_not_shown(
    tmp_path: Path, text: str
) -> None:
    target = write(tmp_path / "secret.txt", text)
    child = write(tmp_path / "child.yaml", f"extends: {target}\n" + BASE)
    error = error_of(child)
    assert SECRET not in str(error), str(error)
    assert str(target) in str(error)
    assert "expected" in str(error)


@pytest.mark.parametrize("text", [t for _, t in NOT_SCENARIOS],
                         ids=[i for i, _ in NOT_SCENARIOS])
def test_a_scenario_path_that_is_not_a_scenario_is_named_not_shown(
    tmp_path: Path, text: str
) -> None:
    target = write(tmp_path / "secret.txt", text)
    error = error_of(target)
    assert SECRET not in str(error), str(error)
    assert str(error).startswith(str(target))


def test_binary_file_bytes_are_not_shown(tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    target.write_bytes(b"name: x\n\xff\xfe" + SECRET.encode() + b"\x80")
    error = error_of(target)
    assert "not UTF-8" in str(error) and error.line == 2
    assert "\\xff" not in str(error) and SECRET not in str(error)


def test_invalid_yaml_shows_the_line_number_not_the_line(tmp_path: Path) -> None:
    text = sub("churn: 0.12", f"churn: {SECRET}: 3")
    path = write(tmp_path / "case.yaml", text)
    error = error_of(path)
    assert error.line == line_of(text, SECRET)
    assert "invalid YAML" in str(error) and SECRET not in str(error)


def test_extends_of_a_non_scenario_says_who_extended_it(tmp_path: Path) -> None:
    target = write(tmp_path / "notes.txt", "just some words\n")
    child = write(tmp_path / "child.yaml", "name: child\nextends: notes.txt\n")
    error = error_of(child)
    assert error.file == str(target) and error.line == 1
    assert f"extended by {child}:2" in str(error)


def test_values_of_a_scenario_are_still_quoted(tmp_path: Path) -> None:
    path = write(tmp_path / "case.yaml", sub("win_rate: 0.22", "win_rate: 1.5"))
    assert ": segments.mid.win_rate: 1.5: " in str(error_of(path))


# -- item 3 and 12: bounded reads, regular files only, chain length


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_reading(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    child = write(tmp_path / "child.yaml", f"extends: {device}\n" + BASE)
    error = error_of(child)
    assert (error.file, error.key_path, error.line) == (str(child), "extends", 1)
    assert "character device, not a regular file" in str(error)
    direct = error_of(Path(device))
    assert "not a regular file" in str(direct)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # nobody writes to it: opening it to read would block forever
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert "named pipe" in str(error_of(fifo))


def test_a_file_over_the_size_cap_is_refused_at_once(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(BASE.encode())
        handle.truncate(50 * 1024 * 1024)  # 50 MB, sparse: written instantly
    error = error_of(big)
    assert "at most 1 MiB" in str(error) and f"{50 * 1024 * 1024:,}" in str(error)
    write(tmp_path / "ok.yaml", BASE + "#" * (MAX_FILE_BYTES - len(BASE) - 10) + "\n")
    assert load_scenario(tmp_path / "ok.yaml").name == "base"


def test_the_extends_chain_is_capped_naming_its_start(tmp_path: Path) -> None:
    count = 1000
    for i in range(count):
        write(tmp_path / f"s{i}.yaml", f"extends: s{i + 1}.yaml\n")
    write(tmp_path / f"s{count}.yaml", BASE)
    error = error_of(tmp_path / "s0.yaml")
    start = str(tmp_path / "s0.yaml")
    assert f"starts at {start}" in str(error) and f"at most {MAX_EXTENDS} files" in str(error)
    assert error.key_path == "extends" and "nest" not in str(error)
    # a chain within the cap loads
    write(tmp_path / f"s{MAX_EXTENDS - 1}.yaml", BASE)
    assert load_scenario(tmp_path / "s0.yaml").name == "base"


# -- item 10: text that is not plain Unicode text


@pytest.mark.parametrize("escape, code", [
    ("\\ud800", "U+D800"), ("\\udfff", "U+DFFF"), ("\\0", "U+0000"), ("\\e[31m", "U+001B"),
    ("\\x7f", "U+007F"), ("\\x9b", "U+009B"), ("\\r", "U+000D"),
])
def test_text_with_surrogates_or_controls_is_refused_at_load(
    tmp_path: Path, escape: str, code: str
) -> None:
    text = sub("name: base", f'name: base\ndescription: "ok {escape}"')
    error = error_of(write(tmp_path / "case.yaml", text))
    assert error.key_path == "description" and code in str(error)
    assert error.line == 2
    assert str(error).isprintable()


def test_bad_text_in_a_key_or_from_set_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "case.yaml", BASE)
    error = error_of(path, 'description="x\\ud800"')
    assert "U+D800" in str(error) and "--set" in str(error)
    text = sub("  manager:", '  "mgr\\u0007":')
    error = error_of(write(tmp_path / "key.yaml", text))
    assert "U+0007" in str(error) and "key" in str(error)


def test_tabs_newlines_and_unicode_text_are_fine(tmp_path: Path) -> None:
    text = sub("name: base", 'name: base\ndescription: "caf\\u00e9\\tplan\\nline two \\U0001F600"')
    assert load_scenario(write(tmp_path / "case.yaml", text)).description.startswith("café")


# -- item 11: YAML 1.1 readings of keys and values


@pytest.mark.parametrize("key, read_as", [
    ("null", "null"), ("~", "null"), ("yes", "the boolean true"), ("off", "the boolean false"),
    ("1", "the number 1"), ("1.5", "the number 1.5"), ("2027-01-01", "the date 2027-01-01"),
])
def test_a_key_yaml_reads_as_something_else_says_so(
    tmp_path: Path, key: str, read_as: str
) -> None:
    text = sub("  manager:", f"  {key}:")
    error = error_of(write(tmp_path / "case.yaml", text))
    assert error.key_path == f"roles.{key}"
    assert read_as in str(error) and "quotes" in str(error)
    assert error.line == line_of(text, f"  {key}:")


def test_quoted_keys_are_names(tmp_path: Path) -> None:
    text = sub("  manager:", "  'yes':").replace("{role: ae,", "{role: ae,")
    assert "yes" in load_scenario(write(tmp_path / "case.yaml", text)).roles


@pytest.mark.parametrize("written, what", [
    ("010", "octal (8)"), ("0_10", "octal (8)"), ("007", "octal (7)"),
    ("1:30", "base-60 number (90)"), ("1:30.5", "base-60"),
])
def test_octal_and_base_60_numbers_are_refused(tmp_path: Path, written: str, what: str) -> None:
    text = sub("headcount: 10", f"headcount: {written}")
    error = error_of(write(tmp_path / "case.yaml", text))
    assert error.key_path == "roles.ae.headcount" and what in str(error)
    assert error.line == line_of(text, f"headcount: {written}")


def test_plain_numbers_still_read(tmp_path: Path) -> None:
    text = sub("headcount: 10", "headcount: 0").replace("cost: 170_000", "cost: 0x10")
    scenario = load_scenario(write(tmp_path / "case.yaml", text))
    assert scenario.roles["ae"].headcount == 0 and scenario.roles["ae"].cost == 16


def test_duplicate_keys_still_name_both_lines(tmp_path: Path) -> None:
    text = sub("quarters: 4", "quarters: 4\nquarters: 8")
    error = error_of(write(tmp_path / "case.yaml", text))
    assert "first set on line 3" in str(error) and error.line == 4


# -- item 13: reserved role names


def test_a_role_named_total_is_refused(tmp_path: Path) -> None:
    text = sub("  manager:", "  total:")
    error = error_of(write(tmp_path / "case.yaml", text))
    assert error.key_path == "roles.total" and "heads_total" in str(error)
    assert "'total'" in str(error) and error.line == line_of(text, "  total:")
    error = error_of(write(tmp_path / "base.yaml", BASE), "roles.total.kind=manager",
                     "roles.total.span=3")
    assert "reserved" in str(error)


# -- item 14: sweeps that change nothing; --vary errors say --vary


@pytest.mark.parametrize("vary", [
    "seed=1,2,3", "replications=10,20", "name=a,b", "description=x,y", "seed=5",
])
def test_vary_of_a_key_outside_the_model_is_refused(tmp_path: Path, vary: str) -> None:
    path = write(tmp_path / "base.yaml", BASE)
    with pytest.raises(ScenarioError, match="does not change what is simulated"):
        api.sweep(path, vary)


def test_vary_values_that_give_the_same_scenario_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "base.yaml", BASE)
    with pytest.raises(ScenarioError, match="20 and 20 give the same scenario"):
        api.sweep(path, "roles.ae.headcount=20,20")
    with pytest.raises(ScenarioError, match="give the same scenario"):
        api.sweep(path, "segments.mid.cycle_days={mean: 75},75")
    _, values, variants = api.sweep(path, "roles.ae.headcount=10,12")
    assert [v.roles["ae"].headcount for v in variants] == [10, 12]


@pytest.mark.parametrize("vary, needle", [
    ("roles.ae.headcount=x,2", "(from --vary roles.ae.headcount=x)"),
    ("roles.ae.hedcount=1,2", "--vary: unknown key 'hedcount'"),
    ("roles..ae=1,2", "--vary: not a key path"),
    ("roles.ae.ramp[9]=1,2", "--vary: index 9 is out of range"),
])
def test_vary_errors_are_worded_as_vary(tmp_path: Path, vary: str, needle: str) -> None:
    path = write(tmp_path / "base.yaml", BASE)
    with pytest.raises(ScenarioError) as info:
        api.sweep(path, vary)
    assert needle in str(info.value) and "--set" not in str(info.value)


def test_vary_seed_through_the_cli_is_one_line_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path / "base.yaml", BASE)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(path), "--vary", "seed=1,2",
                                       "--out", str(out)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "--vary" in result.stderr
    assert not out.exists()


# -- item 18: the Python API raises ScenarioError for bad input


def _scenario() -> object:
    return load_scenario(Path(__file__).parent.parent / "scenarios" / "base.yaml",
                         replications=2)


BAD_CALLS = [
    ("load-int", lambda p: api.load(123)),
    ("load-none", lambda p: api.load(None)),
    ("load-bytes", lambda p: api.load(b"base.yaml")),
    ("load-list", lambda p: api.load([p])),
    ("load-overrides-int", lambda p: api.load(p, 5)),
    ("load-overrides-list-of-int", lambda p: api.load(p, [5])),
    ("load-overrides-dict", lambda p: api.load(p, {"roles.ae.headcount": 3})),
    ("load-overrides-no-equals", lambda p: api.load(p, ["roles.ae.headcount"])),
    ("load-replications-negative", lambda p: api.load(p, replications=-1)),
    ("load-replications-text", lambda p: api.load(p, replications="x")),
    ("load-replications-float", lambda p: api.load(p, replications=2.5)),
    ("load-seed-text", lambda p: api.load(p, seed="s")),
    ("run-none", lambda p: api.run(None)),
    ("run-path", lambda p: api.run(p)),
    ("run-dict", lambda p: api.run({"name": "x"})),
    ("run-workers-zero", lambda p: api.run(_scenario(), workers=0)),
    ("run-workers-text", lambda p: api.run(_scenario(), workers="2")),
    ("run-progress-not-callable", lambda p: api.run(_scenario(), progress=3)),
    ("run-scheduler-int", lambda p: api.run(_scenario(), scheduler=8786)),
    ("run-invalid-copy", lambda p: api.run(_scenario().model_copy(update={"replications": -1}))),
    ("run-bad-text-copy", lambda p: api.run(_scenario().model_copy(
        update={"description": "\ud800"}))),
    ("run-compared-empty", lambda p: api.run_compared([])),
    ("run-compared-none", lambda p: api.run_compared(None)),
    ("run-compared-text", lambda p: api.run_compared("base")),
    ("run-compared-ints", lambda p: api.run_compared([1, 2])),
    ("sweep-none", lambda p: api.sweep(p, None)),
    ("sweep-int", lambda p: api.sweep(p, 3)),
    ("sweep-no-values", lambda p: api.sweep(p, "roles.ae.headcount=")),
    ("sweep-path-int", lambda p: api.sweep(7, "roles.ae.headcount=1,2")),
    ("sweep-overrides-int", lambda p: api.sweep(p, "roles.ae.headcount=1,2", 5)),
    ("split-values-none", lambda p: api.split_values(None)),
    ("variant-name-ints", lambda p: api.variant_name(None, 1, 2)),
]


@pytest.mark.parametrize("call", [c for _, c in BAD_CALLS], ids=[i for i, _ in BAD_CALLS])
def test_the_api_raises_scenario_error_for_bad_input(tmp_path: Path, call) -> None:
    path = write(tmp_path / "base.yaml", BASE)
    with pytest.raises(ScenarioError) as info:
        call(path)
    assert "\n" not in str(info.value)


def test_safe_yaml_imports_first_in_a_fresh_interpreter() -> None:
    """sim.safe_yaml imports sim.scenario.errors, whose package imports the loader, which
    reads files through sim.safe_yaml: importing sim.safe_yaml first must still work."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", "import sim.safe_yaml"], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
