"""The scenario schema as JSON Schema: `simrev schema`, docs/scenario.schema.json, and the
editor line of the shipped scenarios. The schema's bounds are the loader's bounds."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from sim.scenario import load_scenario, scenario_to_yaml
from sim.scenario.schema import json_schema, model_schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
EDITOR_LINE = "# yaml-language-server: $schema=../docs/scenario.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_simrev_schema_prints_the_shipped_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.output == (ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8")
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "simrev scenario" and "$id" not in result.output


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_name_and_pass_the_json_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == EDITOR_LINE
    errors = [e.message for e in validator().iter_errors(yaml.safe_load(text))]
    assert errors == []
    resolved = yaml.safe_load(scenario_to_yaml(load_scenario(path)))
    assert [e.message for e in validator().iter_errors(resolved)] == []


def test_the_json_schema_refuses_what_the_loader_refuses() -> None:
    data = yaml.safe_load((ROOT / "scenarios" / "base.yaml").read_text(encoding="utf-8"))
    del data["start"]  # required in a file without extends
    data["quartrs"] = 4
    data["segments"]["mid"]["win_rate"] = 1.5
    data["roles"]["ae"]["span"] = 3  # not a key of a seller
    data["roles"]["ae"]["tenure_months"] = "long"
    data["roles"]["ae"]["cost"] = 0.5  # 0, or at least 1
    data["programs"] = {"p": {"start": "2027-13", "effects": {"winrate": 2}}}
    data["hiring"] = [{"role": "ae", "count": 0, "month": "2027-02"}]
    messages = " | ".join(e.message for e in validator().iter_errors(data))
    for needle in ("'start' is a required property", "'quartrs' was unexpected",
                   "1.5 is greater than the maximum of 1", "'span' is not one of",
                   "'long' is not valid", "0.5 should not be valid", "'2027-13' does not match",
                   "'winrate' is not one of", "0 should not be valid"):
        assert needle in messages, needle
    # a range may stand for a number, not for a whole number
    data = {"extends": "base.yaml", "roles": {"ae": {"cost": {"between": [1, 2]},
                                                       "headcount": {"between": [1, 2]}}},
            "segments": {"mid": {"win_rate": {"between": [0.1, 0.2], "likely": 0.15},
                                 "deal_size": {"between": [1, 2]}}}}
    assert [e.json_path for e in validator().iter_errors(data)] == ["$.roles.ae.headcount"]
    # an extending file may set any part of a section
    assert list(validator().iter_errors({"extends": "base.yaml", "roles": {"ae": {"cost": 1}}})) \
        == []


def test_the_json_schema_shows_every_form_a_yaml_file_may_use() -> None:
    schema = json_schema()
    segment = schema["$defs"]["Segment"]["properties"]
    forms = segment["deal_size"]["anyOf"]  # 40000, or {mean: 40000, cv: 0.6}
    assert {"type": "number", "exclusiveMinimum": 0, "maximum": 10**12} in forms
    assert {"$ref": "#/$defs/DealSize"} in forms
    tenure = schema["$defs"]["Role"]["properties"]["tenure_months"]  # unset: stationary start
    assert [f.get("type") for f in tenure["anyOf"]] == [None, "null"]
    assert [f.get("type") for f in tenure["anyOf"][0]["oneOf"]] == ["number", "array", None]
    assert tenure["anyOf"][0]["oneOf"][2] == {"$ref": "#/$defs/Range"}  # or a range
    assert schema["properties"]["start"]["pattern"] == "^[0-9]{4}-(0[1-9]|1[0-2])$"
    assert "extends" in schema["properties"]


def test_every_key_has_a_meaning() -> None:
    schema = model_schema()
    for model in [schema, *schema["$defs"].values()]:
        for key, node in model["properties"].items():
            assert node.get("description"), f"{model['title']}.{key}"
