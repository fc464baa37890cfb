"""The shipped schema with roles and statuses renamed, and an extraction relabelled to match.

Code that reads role and status names from the schema's `meanings` gives the same results under either;
code that names "agent" or "planned" itself does not.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from parley.inference.events import Extraction
from parley.schema import Schema, default_schema_path

ROLE_RENAMES = {
    "agent": "initiator",
    "partner": "counterpart",
    "meeting": "gathering",
    "time": "when",
    "place": "venue",
}
STATUS_RENAMES = {"planned": "scheduled"}


def shipped_raw() -> dict[str, Any]:
    """The shipped schema file as the YAML mapping a user would edit."""
    return yaml.safe_load(default_schema_path().read_text(encoding="utf-8"))


def renamed_schema(roles: dict[str, str] = ROLE_RENAMES, statuses: dict[str, str] = STATUS_RENAMES) -> Schema:
    """The shipped schema with `roles` and `statuses` renamed everywhere, `meanings` included."""
    raw = shipped_raw()
    raw["roles"] = {roles.get(name, name): spec for name, spec in raw["roles"].items()}
    raw["statuses"] = {statuses.get(name, name): text for name, text in raw["statuses"].items()}
    for spec in raw["event_types"].values():
        by_status = spec.get("cameo_by_status") or {}
        spec["cameo_by_status"] = {statuses.get(status, status): code for status, code in by_status.items()}
    meanings = raw["meanings"]
    for key in ("source_role", "target_role", "meeting_role", "time_role", "place_role"):
        meanings[key] = roles.get(meanings[key], meanings[key])
    meanings["forward_statuses"] = [statuses.get(s, s) for s in meanings["forward_statuses"]]
    return Schema.from_dict(raw, origin="renamed schema")


def renamed_extraction(
    extraction: Extraction, roles: dict[str, str] = ROLE_RENAMES, statuses: dict[str, str] = STATUS_RENAMES
) -> Extraction:
    """A copy of `extraction` whose events use the renamed roles and statuses."""
    renamed = copy.deepcopy(extraction)
    for event in renamed.events:
        event.status = statuses.get(event.status, event.status)
        for argument in event.arguments:
            argument.role = roles.get(argument.role, argument.role)
    return renamed
