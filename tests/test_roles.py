"""The role-kind table: the schema, checks and engine read one table, and every effect a
scenario can state either acts or is refused in one line."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from sim.plan import compile_plan
from sim.roles import BOOK_LEVERS, KINDS, SUPPORT_LEVERS
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import LEVERS, Role, RoleKind
from tests.factories import scenario

ROOT = Path(__file__).resolve().parent.parent


def test_the_table_and_the_schema_name_the_same_kinds_and_keys() -> None:
    assert set(KINDS) == set(get_args(RoleKind))
    fields = set(Role.model_fields)
    for kind in KINDS.values():
        assert kind.keys <= fields, kind.name
        assert set(kind.required) <= kind.keys, kind.name
        assert kind.head_levers <= set(LEVERS), kind.name
    assert SUPPORT_LEVERS <= set(LEVERS) and BOOK_LEVERS <= set(LEVERS)


def test_compiled_roles_carry_their_kind() -> None:
    plan = compile_plan(load_scenario(ROOT / "scenarios" / "support.yaml"))
    kinds = {role.name: role.kind for role in plan.roles}
    assert kinds["ae"].sells and kinds["ae"].sources is not None
    assert kinds["coordinator"].supports and not kinds["coordinator"].sells
    assert kinds["csm"].covers_book
    assert not kinds["manager"].simulated and not kinds["manager"].hireable


def error(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def test_a_support_effect_that_acts_on_nobody_is_refused(tmp_path: Path) -> None:
    text = (f"extends: {ROOT / 'scenarios' / 'support.yaml'}\n"
            "roles:\n  coordinator:\n    effects: {time_to_hire: 0.8}\n")
    message = error(tmp_path / "s.yaml", text)
    assert message.startswith(f"{tmp_path / 's.yaml'}:4: roles.coordinator.effects.time_to_hire")
    assert "acts on neither" in message and "selling_time" in message


@pytest.mark.parametrize(("role", "lever"), [("csm", "win_rate"), ("sdr", "deal_size"),
                                             ("manager", "attrition")])
def test_a_program_effect_its_targets_never_use_is_refused(tmp_path: Path, role: str,
                                                           lever: str) -> None:
    text = (f"extends: {ROOT / 'scenarios' / 'base.yaml'}\n"
            "roles:\n  sdr: {kind: sdr, segment: mid, headcount: 1, opps_per_month: 5}\n"
            f"programs:\n  x:\n    start: 2027-02\n    targets: {{role: {role}}}\n"
            f"    effects: {{{lever}: 1.2}}\n")
    message = error(tmp_path / "p.yaml", text)
    assert f"programs.x.effects.{lever}" in message
    assert f"does not act on role '{role}'" in message


def test_book_levers_act_whoever_a_program_targets() -> None:
    scenario(programs={"x": {"start": "2027-02", "targets": {"role": "ae"},
                             "effects": {"churn": 0.9, "expansion": 1.1}}})


def test_every_lever_acts_on_some_kind() -> None:
    acting = set(BOOK_LEVERS).union(*(k.head_levers for k in KINDS.values()))
    assert acting == set(LEVERS)
