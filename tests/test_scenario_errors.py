"""Every mistake in a scenario file or option ends in one `ScenarioError` line that names
the file (and line), the key path, the bad value and what was expected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, load_scenario

BASE = """\
name: base
start: 2027-01
quarters: 4
segments:
  mid:
    win_rate: 0.22
    deal_size: {mean: 40_000, cv: 0.6}
    cycle_days: {mean: 75, cv: 0.5}
    inbound_opps_per_month: 10
roles:
  ae:
    kind: seller
    segment: mid
    headcount: 10
    cost: 170_000
    ramp: [0.0, 0.25, 0.5, 0.8, 1.0]
    attrition: 0.3
    opps_per_month: 4
  sdr:
    kind: sdr
    segment: mid
    headcount: 2
    opps_per_month: 8
  manager:
    kind: manager
    span: 8
    cost: 230_000
customers:
  count: 300
  arr: 12_000_000
  churn: 0.12
hiring:
  - {role: ae, count: 5, month: 2027-02}
programs:
  enablement:
    start: 2027-02
    targets: {role: ae, who: bottom_quartile}
    effects: {win_rate: 1.15}
"""


def sub(old: str, new: str) -> str:
    """BASE with one exact piece of text replaced (the piece must be there)."""
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line of `text` containing `fragment`."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if fragment in line]
    return hits[occurrence - 1]


# (id, file text or None for "no file", --set overrides, key path, value shown,
#  part of the expectation, line fragment (or None))
CASES = [
    # -- the file itself: a file that is not a YAML mapping may be any file on the machine
    # (`extends: /etc/shadow`), so its contents are never shown; the line is named
    ("empty-file", "", (), "", "(empty)", "no YAML data", None),
    ("comments-only", "# nothing here\n\n", (), "", "(empty)", "no YAML data", None),
    ("invalid-yaml", sub("ramp: [0.0, 0.25, 0.5, 0.8, 1.0]", "ramp: [0.0, 0.25"), (), "",
     "", "invalid YAML", "attrition: 0.3"),
    ("mapping-values-not-allowed", sub("churn: 0.12", "churn: 0.12: 3"), (), "",
     "(contents not shown)", "invalid YAML", "churn: 0.12: 3"),
    ("tab-indentation", sub("    headcount: 10", "\theadcount: 10"), (), "",
     "(contents not shown)", "invalid YAML", "headcount: 10"),
    ("two-documents", BASE + "---\nname: other\n", (), "", "", "invalid YAML", "---"),
    ("top-level-list", "- name: base\n- start: 2027-01\n", (), "", "(contents not shown)",
     "the top level is a list; expected a mapping", "- name: base"),
    ("top-level-scalar", "just words\n", (), "", "(contents not shown)",
     "the top level is a single value; expected a mapping", "just words"),
    ("unknown-yaml-tag", sub("churn: 0.12", "churn: !pct 12"), (), "customers.churn", "12",
     "cannot read", "churn: !pct"),
    ("impossible-date", sub("start: 2027-01", "start: 2027-02-30"), (), "start", "2027-02-30",
     "cannot read", "start:"),
    # -- duplicate keys, at any depth
    ("duplicate-top-key", sub("quarters: 4", "quarters: 4\nquarters: 8"), (), "quarters", "8",
     "duplicate key", "quarters: 8"),
    ("duplicate-nested-key", sub("    win_rate: 0.22", "    win_rate: 0.22\n    win_rate: 0.3"),
     (), "segments.mid.win_rate", "0.3", "first set on line 6", "win_rate: 0.3"),
    ("duplicate-in-flow-mapping", sub("{role: ae, count: 5,", "{role: ae, count: 5, count: 6,"),
     (), "hiring[0].count", "6", "duplicate key", "count: 6"),
    # -- unknown keys, with a hint
    # (an unknown top-level key is named, never its value: the file may not be a scenario)
    ("unknown-top-key", sub("quarters: 4", "quartrs: 4"), (), "quartrs", "(value not shown)",
     "did you mean 'quarters'?", "quartrs"),
    ("unknown-segment-key", sub("win_rate: 0.22", "win_rte: 0.22"), (), "segments.mid.win_rte",
     "0.22", "did you mean 'win_rate'?", "win_rte"),
    ("unknown-role-key", sub("opps_per_month: 4", "opps_per_mnth: 4"), (),
     "roles.ae.opps_per_mnth", "4", "did you mean 'opps_per_month'?", "opps_per_mnth"),
    ("unknown-dist-key", sub("{mean: 75, cv: 0.5}", "{mean: 75, cvv: 0.5}"), (),
     "segments.mid.cycle_days.cvv", "0.5", "did you mean 'cv'?", "cvv"),
    ("unknown-lever", sub("{win_rate: 1.15}", "{winrate: 1.15}"), (),
     "programs.enablement.effects.winrate", "1.15", "did you mean 'win_rate'?", "winrate"),
    ("extends-typo", "extend: base.yaml\n" + BASE, (), "extend", "(value not shown)",
     "did you mean 'extends'?", "extend:"),
    # -- types and ranges
    ("wrong-type", sub("headcount: 10", "headcount: ten"), (), "roles.ae.headcount", "'ten'",
     "expected a whole number in [0, 100000]", "headcount: ten"),
    ("float-for-int", sub("headcount: 10", "headcount: 2.5"), (), "roles.ae.headcount", "2.5",
     "whole number", "headcount: 2.5"),
    ("bool-for-number", sub("cost: 170_000", "cost: yes"), (), "roles.ae.cost", "True",
     "expected a number in [0, 1_000_000_000]", "cost: yes"),
    ("string-for-number", sub("win_rate: 0.22", "win_rate: 22%"), (), "segments.mid.win_rate",
     "'22%'", "expected a number in [0, 1]", "win_rate: 22%"),
    ("nan", sub("win_rate: 0.22", "win_rate: .nan"), (), "segments.mid.win_rate", "nan",
     "expected a number in [0, 1]", "win_rate: .nan"),
    ("infinity", sub("cost: 170_000", "cost: .inf"), (), "roles.ae.cost", "inf",
     "expected a number in [0, 1_000_000_000]", "cost: .inf"),
    ("negative-headcount", sub("headcount: 10", "headcount: -3"), (), "roles.ae.headcount",
     "-3", "in [0, 100000]", "headcount: -3"),
    ("negative-cost", sub("cost: 230_000", "cost: -230_000"), (), "roles.manager.cost",
     "-230000", "in [0, 1_000_000_000]", "cost: -230_000"),
    ("negative-customers", sub("count: 300", "count: -1"), (), "customers.count", "-1",
     "in [0, 50_000_000]", "count: -1"),
    ("rate-above-one", sub("win_rate: 0.22", "win_rate: 1.2"), (), "segments.mid.win_rate",
     "1.2", "[0, 1]", "win_rate: 1.2"),
    ("rate-below-zero", sub("attrition: 0.3", "attrition: -0.1"), (), "roles.ae.attrition",
     "-0.1", "[0, 1]", "attrition: -0.1"),
    ("negative-cv", sub("{mean: 40_000, cv: 0.6}", "{mean: 40_000, cv: -0.6}"), (),
     "segments.mid.deal_size.cv", "-0.6", "in [0, 10]", "deal_size"),
    ("zero-deal-size", sub("{mean: 40_000, cv: 0.6}", "0"), (), "segments.mid.deal_size.mean",
     "0", "in (0, 1_000_000_000_000]", "deal_size"),
    ("empty-ramp", sub("[0.0, 0.25, 0.5, 0.8, 1.0]", "[]"), (), "roles.ae.ramp", "[]",
     "non-empty list", "ramp: []"),
    ("ramp-above-one", sub("[0.0, 0.25, 0.5, 0.8, 1.0]", "[0.0, 0.25, 1.5]"), (),
     "roles.ae.ramp[2]", "1.5", "expected a number in [0, 1]", "ramp:"),
    ("seasonality-short", sub("inbound_opps_per_month: 10",
                              "inbound_opps_per_month: 10\n    seasonality: [1, 1, 1]"), (),
     "segments.mid.seasonality", "[1, 1, 1]", "expected 12 values", "seasonality"),
    ("tenure-list-wrong-length", sub("headcount: 10", "headcount: 2\n    tenure_months: [3]"),
     (), "roles.ae.tenure_months", "[3]", "one per head", "tenure_months"),
    ("tenure-not-a-number", sub("headcount: 10", "headcount: 10\n    tenure_months: long"), (),
     "roles.ae.tenure_months", "'long'", "a number in [0, 1200] or a list", "tenure_months"),
    ("tenure-list-negative", sub("headcount: 10", "headcount: 2\n    tenure_months: [3, -4]"),
     (), "roles.ae.tenure_months[1]", "-4", "in [0, 1200]", "tenure_months"),
    ("quarters-zero", sub("quarters: 4", "quarters: 0"), (), "quarters", "0", "[1, 40]",
     "quarters: 0"),
    ("no-segments", sub("segments:\n  mid:", "segments: {}\nunused:\n  mid:")
     .replace("unused:\n  mid:\n    win_rate: 0.22\n    deal_size: {mean: 40_000, cv: 0.6}\n"
              "    cycle_days: {mean: 75, cv: 0.5}\n    inbound_opps_per_month: 10\n", ""),
     (), "segments", "{}", "non-empty mapping", "segments: {}"),
    ("missing-start", sub("start: 2027-01\n", ""), (), "start", "(not set)",
     "required key is missing; expected a month as YYYY-MM", None),
    ("kind-typo", sub("kind: seller", "kind: seler"), (), "roles.ae.kind", "'seler'",
     "did you mean 'seller'?", "kind: seler"),
    ("key-not-for-kind", sub("opps_per_month: 4", "opps_per_month: 4\n    span: 8"), (),
     "roles.ae.span", "8", "not used by a role of kind 'seller'", "span: 8"),
    ("seller-without-segment", sub("    segment: mid\n    headcount: 10",
                                   "    headcount: 10"), (),
     "roles.ae.segment", "(not set)", "needs 'segment'", "  ae:"),
    ("arr-without-customers", sub("count: 300", "count: 0"), (), "customers.count", "0",
     "at least one customer", "count: 0"),
    ("bool-as-string", sub("attrition: 0.3", "attrition: 0.3\n    backfill: maybe"), (),
     "roles.ae.backfill", "'maybe'", "true or false", "backfill: maybe"),
    ("hire-not-a-mapping", sub("  - {role: ae, count: 5, month: 2027-02}", "  - ae"), (),
     "hiring[0]", "'ae'", "mapping with keys role, count, month", "- ae"),
    ("hire-count-zero", sub("count: 5", "count: 0"), (), "hiring[0].count", "0", "non-zero",
     "count: 0"),
    # -- dates and the horizon
    ("bad-start-month", sub("start: 2027-01", "start: 2027-13"), (), "start", "'2027-13'",
     "YYYY-MM", "start: 2027-13"),
    ("start-is-a-day", sub("start: 2027-01", "start: 2027-01-15"), (), "start", "2027-01-15",
     "YYYY-MM", "start: 2027-01-15"),
    ("bad-hire-month", sub("month: 2027-02", "month: 2027/03"), (), "hiring[0].month",
     "'2027/03'", "YYYY-MM", "month: 2027/03"),
    ("hire-after-horizon", sub("month: 2027-02", "month: 2028-01"), (), "hiring[0].month",
     "'2028-01'", "2027-01 to 2027-12", "month: 2028-01"),
    ("hire-before-start", sub("month: 2027-02", "month: 2026-12"), (), "hiring[0].month",
     "'2026-12'", "within the horizon", "month: 2026-12"),
    ("program-after-horizon", sub("    start: 2027-02", "    start: 2029-02"), (),
     "programs.enablement.start", "'2029-02'", "within the horizon", "start: 2029-02"),
    ("bad-program-month", sub("    start: 2027-02", "    start: feb"), (),
     "programs.enablement.start", "'feb'", "YYYY-MM", "start: feb"),
    # -- references between sections
    ("seller-segment-missing", sub("    segment: mid\n    headcount: 10",
                                   "    segment: midd\n    headcount: 10"), (),
     "roles.ae.segment", "'midd'", "did you mean 'mid'?", "segment: midd"),
    ("sdr-segment-missing", sub("    segment: mid\n    headcount: 2",
                                "    segment: ent\n    headcount: 2"), (),
     "roles.sdr.segment", "'ent'", "one of the segments: mid", "segment: ent"),
    ("hire-unknown-role", sub("{role: ae,", "{role: aes,"), (), "hiring[0].role", "'aes'",
     "did you mean 'ae'?", "role: aes"),
    ("hire-a-manager", sub("{role: ae,", "{role: manager,"), (), "hiring[0].role",
     "'manager'", "follow its span", "role: manager"),
    ("program-target-missing", sub("targets: {role: ae,", "targets: {role: aes,"), (),
     "programs.enablement.targets.role", "'aes'", "did you mean 'ae'?", "targets:"),
    ("inbound-without-seller", sub("segments:\n", "segments:\n  ent:\n    win_rate: 0.2\n"
                                   "    deal_size: 90_000\n    cycle_days: 120\n"
                                   "    inbound_opps_per_month: 3\n"), (),
     "segments.ent.inbound_opps_per_month", "3", "no seller", "inbound_opps_per_month: 3"),
    ("sdr-without-seller", sub("segments:\n", "segments:\n  ent:\n    win_rate: 0.2\n"
                               "    deal_size: 90_000\n    cycle_days: 120\n")
     .replace("    segment: mid\n    headcount: 2", "    segment: ent\n    headcount: 2"), (),
     "roles.sdr.segment", "'ent'", "has no seller", "segment: ent"),
    # -- names that could escape the output folder
    ("name-parent-dir", sub("name: base", "name: ../x"), (), "name", "'../x'",
     "lowercase letters", "name: ../x"),
    ("name-absolute", sub("name: base", "name: /abs"), (), "name", "'/abs'",
     "lowercase letters", "name: /abs"),
    ("name-uppercase", sub("name: base", "name: Hire5"), (), "name", "'Hire5'",
     "lowercase letters", "name: Hire5"),
    ("name-not-text", sub("name: base", "name: [a, b]"), (), "name", "['a', 'b']", "letters",
     "name: [a, b]"),
    # -- extends
    ("extends-missing-file", "extends: nowhere.yaml\n" + BASE, (), "extends", "'nowhere.yaml'",
     "no such file", "extends:"),
    ("extends-self", "extends: case.yaml\n" + BASE, (), "extends", "'case.yaml'",
     "extends cycle", "extends:"),
    ("extends-not-a-path", "extends: [a.yaml, b.yaml]\n" + BASE, (), "extends", "a.yaml",
     "expected the path", "extends:"),
    # -- --set
    ("set-without-equals", BASE, ("roles.ae.headcount",), "", "'roles.ae.headcount'",
     "KEY.PATH=VALUE", None),
    ("set-unknown-key", BASE, ("roles.ae.headcont=3",), "roles.ae.headcont", "3",
     "did you mean 'headcount'?", None),
    ("set-unknown-top", BASE, ("seeed=3",), "seeed", "3", "did you mean 'seed'?", None),
    ("set-bad-path", BASE, ("roles..ae=3",), "roles..ae", "roles..ae=3", "not a key path",
     None),
    ("set-bad-value", BASE, ("roles.ae.headcount=-3",), "roles.ae.headcount", "-3",
     "from --set roles.ae.headcount=-3", None),
    ("set-value-not-yaml", BASE, ("roles.ae.ramp=[1,",), "roles.ae.ramp", "[1,",
     "not valid YAML", None),
    ("set-index-out-of-range", BASE, ("roles.ae.ramp[9]=1",), "roles.ae.ramp[9]", "1",
     "out of range", None),
    ("set-index-on-scalar", BASE, ("roles.ae.cost[0]=1",), "roles.ae.cost[0]", "1",
     "single value", None),
    ("set-index-into-unset-list", BASE, ("roles.sdr.ramp[0]=0.5",), "roles.sdr.ramp[0]", "0.5",
     "set the whole list", None),
    ("set-index-on-mapping", BASE, ("roles[0]=1",), "roles[0]", "1", "a mapping, not a list",
     None),
    ("set-unknown-lever", BASE, ("programs.enablement.effects.winrate=1.2",),
     "programs.enablement.effects.winrate", "1.2", "did you mean 'win_rate'?", None),
    ("set-new-role-incomplete", BASE, ("roles.ent.kind=seller",), "roles.ent.segment",
     "(not set)", "needs 'segment' (from --set roles.ent.kind=seller)", None),
    ("set-name-escapes", BASE, ("name=../../etc",), "name", "'../../etc'",
     "lowercase letters", None),
]


@pytest.mark.parametrize(
    "text, overrides, key_path, value, expected, line_fragment",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_one_line_naming_file_key_and_value(
    tmp_path: Path, text, overrides, key_path, value, expected, line_fragment
) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    error = info.value
    message = str(error)
    assert "\n" not in message, message
    assert message.startswith(str(path)), message
    assert error.key_path == key_path, message
    if key_path:
        assert f": {key_path}: " in message, message
    assert value in message, message
    assert expected in message, message
    if line_fragment is not None:
        assert error.line == line_of(text, line_fragment), message
        assert message.startswith(f"{path}:{error.line}: "), message
    assert not isinstance(error.__cause__, Exception) or error.__suppress_context__


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert "nope.yaml" in message and "no such file" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.yaml"
    path.write_text(BASE, encoding="utf-8")
    real_open = os.open

    def deny(name, flags, *args, **kwargs):  # chmod does not stop root: fake the denial
        if os.fspath(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "permission denied" in message
    assert "\n" not in message


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    text = BASE.replace("name: base", "name: base\ndescription: caf\xe9")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert error.line == 2
    # the offending bytes are not shown: the file may be any file (item 2 of issue 10)
    assert "UTF-8" in str(error) and "\\xe9" not in str(error)


def test_extends_cycle_names_the_files_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n" + BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: sub/c.yaml\nname: b\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("extends: ../a.yaml\nname: c\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "a.yaml")
    error = info.value
    a, b, c = (str(tmp_path / n) for n in ("a.yaml", "b.yaml", "sub/c.yaml"))
    assert f"extends cycle: {a} -> {b} -> {c} -> {a}" in str(error)
    assert error.file == c and error.key_path == "extends" and error.line == 1


def test_error_in_a_parent_names_the_parent_file_and_line(tmp_path: Path) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text(sub("win_rate: 0.22", "win_rate: 1.22"), encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    error = info.value
    assert error.file == str(parent)
    assert error.line == line_of(BASE, "win_rate: 0.22")
    assert str(error).startswith(f"{parent}:{error.line}: segments.mid.win_rate: 1.22: ")


def test_bad_yaml_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = tmp_path / "shared" / "parent.yaml"
    parent.parent.mkdir()
    parent.write_text(BASE.replace("quarters: 4", "quarters: [4"), encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: shared/parent.yaml\nname: child\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert info.value.file == str(parent)
    assert "invalid YAML" in str(info.value) and info.value.line is not None


def test_missing_parent_blames_the_extends_line(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: gone/base.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    error = info.value
    assert (error.file, error.key_path, error.line) == (str(child), "extends", 2)
    assert str(tmp_path / "gone" / "base.yaml") in str(error)


def test_replications_option_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, replications=0)
    message = str(info.value)
    assert message.startswith(f"{path}: replications: 0: ")
    assert "--replications" in message
    with pytest.raises(ScenarioError, match="seed: -1: .*--seed"):
        load_scenario(path, seed=-1)


def test_more_planned_exits_than_heads_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "exits.yaml"
    path.write_text(sub("count: 5", "count: -50"), encoding="utf-8")
    assert load_scenario(path).hiring[0].count == -50


def test_errors_never_leak_other_exceptions(tmp_path: Path) -> None:
    """Odd but parseable YAML gives a ScenarioError, never a pydantic or YAML traceback."""
    oddities = [
        "? [a, b]\n: 1\n",
        "&a [*a]\n",
        "name: base\nsegments:\n  1: {win_rate: 0.2, deal_size: 1, cycle_days: 1}\n",
        "name: base\nroles: [ae]\n",
        "name: base\nstart: 2027-01\nsegments:\n  mid: 3\n",
        "\x00",
        "name: base\nstart: 2027-01\nsegments:\n  mid:\n    <<: {win_rate: 2}\n",
    ]
    for i, text in enumerate(oddities):
        path = tmp_path / f"odd{i}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert "\n" not in str(info.value)
        assert str(info.value).startswith(str(path))
