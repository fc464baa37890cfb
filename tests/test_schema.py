"""The schema file's `meanings`: validated with errors that name them, stored in checkpoints, defaulted for old ones."""

from __future__ import annotations

import json
import shutil

import pytest
from helpers_schema import renamed_schema, shipped_raw

from parley.model import ParleyConfig
from parley.schema import Meanings, Schema, SchemaError

SHIPPED_MEANINGS = Meanings(
    source_role="agent",
    target_role="partner",
    meeting_role="meeting",
    time_role="time",
    place_role="place",
    forward_statuses=("planned",),
    person_labels=("PER",),
    organisation_labels=("ORG",),
    country_labels=("GPE",),
)


def test_the_shipped_meanings(schema):
    assert schema.meanings == SHIPPED_MEANINGS


def test_meanings_survive_the_stored_form(schema):
    stored = json.loads(json.dumps(schema.to_dict(), sort_keys=True))  # as PretrainedConfig writes it
    assert Schema.from_dict(stored) == schema
    renamed = renamed_schema()
    assert Schema.from_dict(renamed.to_dict()) == renamed
    assert renamed.meanings.source_role == "initiator" and renamed.meanings.forward_statuses == ("scheduled",)


def test_a_stored_copy_without_meanings_takes_the_shipped_ones_it_can(schema):
    stored = schema.to_dict()
    del stored["meanings"]
    assert Schema.from_dict(stored) == schema
    stored["roles"] = [r for r in stored["roles"] if r["name"] != "place"]
    assert Schema.from_dict(stored).meanings.place_role is None


def test_an_old_checkpoint_without_meanings_still_loads(model_dir, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(model_dir, old)
    config = json.loads((old / "config.json").read_text(encoding="utf-8"))
    assert config["schema"]["meanings"]["source_role"] == "agent"  # new checkpoints carry them
    del config["schema"]["meanings"]
    (old / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert ParleyConfig.from_pretrained(old).schema_obj.meanings == SHIPPED_MEANINGS


def test_a_copy_without_meanings_or_the_shipped_source_role_is_refused():
    stored = renamed_schema().to_dict()
    del stored["meanings"]
    with pytest.raises(SchemaError, match=r"no role 'agent' to take as source_role; add meanings\.source_role"):
        Schema.from_dict(stored, origin="old.json")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("source_role", "speaker", r"meanings\.source_role names unknown role 'speaker'"),
        ("target_role", None, r"meanings\.target_role names unknown role None"),
        ("place_role", "venue", r"meanings\.place_role names unknown role 'venue'"),
        ("forward_statuses", ["planned", "expected"], r"meanings\.forward_statuses names unknown status 'expected'"),
        ("forward_statuses", "planned", r"meanings\.forward_statuses must be a list of names"),
        ("person_labels", ["PERSON"], r"meanings\.person_labels names unknown mention label 'PERSON'"),
        ("speaker_role", "agent", r"meanings has unknown key\(s\) \['speaker_role'\]"),
    ],
)
def test_a_bad_meaning_is_refused_with_its_name(key, value, message):
    raw = shipped_raw()
    raw["meanings"][key] = value
    with pytest.raises(SchemaError, match=rf"^my-schema\.yaml: {message}"):
        Schema.from_dict(raw, origin="my-schema.yaml")


def test_a_missing_meaning_is_refused_with_its_name():
    raw = shipped_raw()
    del raw["meanings"]["time_role"]
    with pytest.raises(SchemaError, match=r"my-schema\.yaml: meanings lacks \['time_role'\]"):
        Schema.from_dict(raw, origin="my-schema.yaml")


def test_an_optional_role_meaning_may_be_null():
    raw = shipped_raw()
    del raw["roles"]["meeting"]
    raw["meanings"]["meeting_role"] = None
    assert Schema.from_dict(raw).meanings.meeting_role is None
