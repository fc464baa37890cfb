"""The event schema: mention labels, event types, roles and statuses, read from YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
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
class Schema:
    mention_labels: tuple[str, ...]
    event_types: dict[str, EventType]
    roles: dict[str, Role]
    statuses: tuple[str, ...]
    version: int = 1
    cameo_codes: dict[str, CameoCode] = field(default_factory=dict)  # reference data: not stored in checkpoints

    @classmethod
    def from_dict(cls, raw: dict[str, Any], origin: str = "<dict>") -> Schema:
        """Build a schema from the YAML mapping, failing loudly on a malformed one."""
        if not isinstance(raw, dict):
            raise SchemaError(f"{origin}: expected a mapping at the top level")
        known = {"version", "mention_labels", "event_types", "roles", "statuses", "cameo_codes"}
        unknown = set(raw) - known
        if unknown:
            raise SchemaError(f"{origin}: unknown key(s) {sorted(unknown)}; expected {sorted(known)}")
        for key in known - {"version", "cameo_codes"}:
            if not raw.get(key):
                raise SchemaError(f"{origin}: '{key}' is missing or empty")

        labels = tuple(_names(raw["mention_labels"], "mention_labels", origin))
        statuses = tuple(_names(raw["statuses"], "statuses", origin))

        event_types: dict[str, EventType] = {}
        for name, spec in _items(raw["event_types"], "event_types", origin, ordered=True):
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

        roles: dict[str, Role] = {}
        for name, spec in _items(raw["roles"], "roles", origin, ordered=True):
            spec = spec or {}
            _check_keys(spec, {"description", "labels"}, f"roles.{name}", origin)
            allowed = tuple(spec.get("labels") or ())
            if not allowed:
                raise SchemaError(f"{origin}: roles.{name}.labels is missing or empty")
            for label in allowed:
                if label not in labels:
                    raise SchemaError(f"{origin}: roles.{name}.labels names unknown mention label {label!r}")
            roles[name] = Role(name=name, labels=allowed, description=str(spec.get("description", "")))

        cameo_codes = _cameo_codes(raw.get("cameo_codes") or {}, origin)
        return cls(labels, event_types, roles, statuses, int(raw.get("version", 1)), cameo_codes)

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
        }

    def allows(self, role: str, label: str) -> bool:
        """Whether a mention with `label` may fill `role`."""
        return role in self.roles and label in self.roles[role].labels


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
