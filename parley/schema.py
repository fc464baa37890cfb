"""The event schema: mention labels, event types, roles, statuses and their meanings, read from YAML."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class SchemaError(ValueError):
    """A schema file that does not describe a usable schema."""


@dataclass(frozen=True)
class EventType:
    name: str
    description: str = ""
    cameo: str | None = None
    cameo_by_status: dict[str, str] = field(default_factory=dict)
    plover: str | None = None

    def cameo_for(self, status: str) -> str | None:
        """The CAMEO code of this event type for one status."""
        return self.cameo_by_status.get(status, self.cameo)


@dataclass(frozen=True)
class CameoCode:
    """One CAMEO code's name, quad class (1-4) and Goldstein score (-10 to 10), from the schema's `cameo_codes`."""

    name: str
    quad_class: int
    goldstein: float


@dataclass(frozen=True)
class Role:
    name: str
    labels: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Meanings:
    """What the code does with the schema's names, so that the code itself names none of them."""

    source_role: str  # a dyad's source
    target_role: str  # a dyad's target
    meeting_role: str | None  # None: the schema has no such role
    time_role: str | None
    place_role: str | None
    forward_statuses: tuple[str, ...]  # statuses whose times lie ahead
    person_labels: tuple[str, ...]  # what anaphors such as "he" may refer to
    organisation_labels: tuple[str, ...]
    country_labels: tuple[str, ...]


REQUIRED_ROLE_MEANINGS = ("source_role", "target_role")
OPTIONAL_ROLE_MEANINGS = ("meeting_role", "time_role", "place_role")
LABEL_MEANINGS = ("person_labels", "organisation_labels", "country_labels")
MEANING_KEYS = (*REQUIRED_ROLE_MEANINGS, *OPTIONAL_ROLE_MEANINGS, "forward_statuses", *LABEL_MEANINGS)


@dataclass(frozen=True)
class Schema:
    mention_labels: tuple[str, ...]
    event_types: dict[str, EventType]
    roles: dict[str, Role]
    statuses: tuple[str, ...]
    meanings: Meanings
    version: int = 1
    # Reference data: not stored in checkpoints, so not part of what makes two schemas the same.
    cameo_codes: dict[str, CameoCode] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], origin: str = "<dict>") -> Schema:
        """Build a schema from the YAML mapping, failing loudly on a malformed one."""
        if not isinstance(raw, dict):
            raise SchemaError(f"{origin}: expected a mapping at the top level")
        required = {"mention_labels", "event_types", "roles", "statuses"}
        known = {"version", "meanings", "cameo_codes", *required}
        unknown = set(raw) - known
        if unknown:
            raise SchemaError(f"{origin}: unknown key(s) {sorted(unknown)}; expected {sorted(known)}")
        for key in sorted(required):
            if not raw.get(key):
                raise SchemaError(f"{origin}: '{key}' is missing or empty")

        labels = tuple(_names(raw["mention_labels"], "mention_labels", origin))
        statuses = tuple(_names(raw["statuses"], "statuses", origin))
        event_types = _event_types(raw["event_types"], statuses, origin)
        roles = _roles(raw["roles"], labels, origin)
        meanings = _meanings(raw.get("meanings"), roles, statuses, labels, origin)
        cameo_codes = _cameo_codes(raw.get("cameo_codes") or {}, origin)
        return cls(labels, event_types, roles, statuses, meanings, int(raw.get("version", 1)), cameo_codes)

    def to_dict(self) -> dict[str, Any]:
        """The schema as JSON-ready data (stored in checkpoints and datasets).

        Lists, not mappings: label ids follow this order, and JSON writers such as
        `PretrainedConfig.save_pretrained` sort mapping keys.
        """
        return {
            "version": self.version,
            "mention_labels": list(self.mention_labels),
            "event_types": [
                {
                    "name": t.name,
                    "description": t.description,
                    "cameo": t.cameo,
                    "cameo_by_status": dict(t.cameo_by_status),
                    "plover": t.plover,
                }
                for t in self.event_types.values()
            ],
            "roles": [
                {"name": r.name, "description": r.description, "labels": list(r.labels)} for r in self.roles.values()
            ],
            "statuses": list(self.statuses),
            "meanings": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.meanings).items()},
        }

    def allows(self, role: str, label: str) -> bool:
        """Whether a mention with `label` may fill `role`."""
        return role in self.roles and label in self.roles[role].labels


def _event_types(value: Any, statuses: tuple[str, ...], origin: str) -> dict[str, EventType]:
    event_types: dict[str, EventType] = {}
    for name, spec in _items(value, "event_types", origin, ordered=True):
        spec = spec or {}
        _check_keys(spec, {"description", "cameo", "cameo_by_status", "plover"}, f"event_types.{name}", origin)
        by_status = {str(k): str(v) for k, v in (spec.get("cameo_by_status") or {}).items()}
        for status in by_status:
            if status not in statuses:
                raise SchemaError(f"{origin}: event_types.{name}.cameo_by_status names unknown status {status!r}")
        cameo = spec.get("cameo")
        event_types[name] = EventType(
            name=name,
            description=str(spec.get("description", "")),
            cameo=None if cameo is None else str(cameo),
            cameo_by_status=by_status,
            plover=spec.get("plover"),
        )
    return event_types


def _roles(value: Any, labels: tuple[str, ...], origin: str) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for name, spec in _items(value, "roles", origin, ordered=True):
        spec = spec or {}
        _check_keys(spec, {"description", "labels"}, f"roles.{name}", origin)
        allowed = tuple(spec.get("labels") or ())
        if not allowed:
            raise SchemaError(f"{origin}: roles.{name}.labels is missing or empty")
        for label in allowed:
            if label not in labels:
                raise SchemaError(f"{origin}: roles.{name}.labels names unknown mention label {label!r}")
        roles[name] = Role(name=name, labels=allowed, description=str(spec.get("description", "")))
    return roles


def _meanings(
    value: Any, roles: dict[str, Role], statuses: tuple[str, ...], labels: tuple[str, ...], origin: str
) -> Meanings:
    """The `meanings` block, checked against the schema's own names.

    A schema without the block (one stored by an older checkpoint, which the code then read by the shipped
    names) takes the shipped meanings, keeping the names this schema has.
    """
    if value is None:
        value = _shipped_meanings_for(roles, statuses, labels, origin)
    _check_keys(value, set(MEANING_KEYS), "meanings", origin)
    missing = [key for key in MEANING_KEYS if key not in value]
    if missing:
        raise SchemaError(f"{origin}: meanings lacks {missing}; each of {list(MEANING_KEYS)} is required")
    for key in REQUIRED_ROLE_MEANINGS + OPTIONAL_ROLE_MEANINGS:
        role = value[key]
        if role is None and key in OPTIONAL_ROLE_MEANINGS:
            continue
        if not isinstance(role, str) or role not in roles:
            raise SchemaError(f"{origin}: meanings.{key} names unknown role {role!r}; expected one of {list(roles)}")
    lists = {key: _name_list(value[key], key, origin) for key in ("forward_statuses", *LABEL_MEANINGS)}
    for status in lists["forward_statuses"]:
        if status not in statuses:
            raise SchemaError(f"{origin}: meanings.forward_statuses names unknown status {status!r}")
    for key in LABEL_MEANINGS:
        for label in lists[key]:
            if label not in labels:
                raise SchemaError(f"{origin}: meanings.{key} names unknown mention label {label!r}")
    return Meanings(**{key: value[key] for key in REQUIRED_ROLE_MEANINGS + OPTIONAL_ROLE_MEANINGS}, **lists)


def _shipped_meanings_for(
    roles: dict[str, Role], statuses: tuple[str, ...], labels: tuple[str, ...], origin: str
) -> dict[str, Any]:
    shipped = _shipped_meanings()
    for key in REQUIRED_ROLE_MEANINGS:
        if shipped[key] not in roles:
            raise SchemaError(
                f"{origin}: 'meanings' is missing and there is no role {shipped[key]!r} to take as {key}; "
                f"add meanings.{key} naming one of {list(roles)}"
            )
    found = {key: shipped[key] if shipped[key] in roles else None for key in OPTIONAL_ROLE_MEANINGS}
    found["forward_statuses"] = [s for s in shipped["forward_statuses"] if s in statuses]
    found.update({key: [label for label in shipped[key] if label in labels] for key in LABEL_MEANINGS})
    return {**shipped, **found}


@cache
def _shipped_meanings() -> dict[str, Any]:
    return yaml.safe_load(default_schema_path().read_text(encoding="utf-8"))["meanings"]


def _name_list(value: Any, key: str, origin: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchemaError(f"{origin}: meanings.{key} must be a list of names")
    return tuple(value)


def _names(value: Any, key: str, origin: str) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise SchemaError(f"{origin}: '{key}' must be a list or a mapping")


def _items(value: Any, key: str, origin: str, ordered: bool = False) -> list[tuple[str, Any]]:
    """(name, settings) pairs from a mapping, or from a list of settings that carry a `name` (the stored form)."""
    if isinstance(value, list) and ordered:
        items = []
        for i, spec in enumerate(value):
            if not isinstance(spec, dict) or not spec.get("name"):
                raise SchemaError(f"{origin}: {key}[{i}] must be a mapping with a 'name'")
            spec = dict(spec)
            items.append((str(spec.pop("name")), spec))
        return items
    if not isinstance(value, dict):
        raise SchemaError(f"{origin}: '{key}' must be a mapping of name -> settings")
    return [(str(k), v) for k, v in value.items()]


def _check_keys(spec: Any, allowed: set[str], where: str, origin: str) -> None:
    if not isinstance(spec, dict):
        raise SchemaError(f"{origin}: {where} must be a mapping")
    unknown = set(spec) - allowed
    if unknown:
        raise SchemaError(f"{origin}: {where} has unknown key(s) {sorted(unknown)}; expected {sorted(allowed)}")


def _cameo_codes(raw: Any, origin: str) -> dict[str, CameoCode]:
    codes = {}
    for code, spec in _items(raw, "cameo_codes", origin):
        _check_keys(spec, {"name", "quad_class", "goldstein"}, f"cameo_codes.{code}", origin)
        try:
            codes[code] = CameoCode(str(spec["name"]), int(spec["quad_class"]), float(spec["goldstein"]))
        except (KeyError, TypeError, ValueError) as err:
            raise SchemaError(f"{origin}: cameo_codes.{code} needs a name, a quad_class 1-4 and a goldstein") from err
        if not (1 <= codes[code].quad_class <= 4 and -10 <= codes[code].goldstein <= 10):
            raise SchemaError(f"{origin}: cameo_codes.{code}: quad_class must be 1-4, goldstein -10 to 10")
    return codes


def default_schema_path() -> Path:
    """The schema file shipped with parley (configs/schema.yaml)."""
    return Path(str(resources.files("parley.configs") / "schema.yaml"))


def load_schema(path: str | Path | None = None) -> Schema:
    """Read a schema YAML file; None reads the shipped default."""
    path = Path(path) if path is not None else default_schema_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise SchemaError(f"{path}: not valid YAML: {err}") from err
    return Schema.from_dict(raw, origin=str(path))
