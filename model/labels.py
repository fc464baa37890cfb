"""The label space of the event model, derived from the schema: tag lists, roles, statuses."""

from __future__ import annotations

from dataclasses import dataclass

from parley.schema import Schema

OUTSIDE = "O"
NO_ROLE = "none"


def bio_tags(labels: tuple[str, ...] | list[str]) -> list[str]:
    """BIO tag list for span labels: O first, then B-X, I-X for each label in order."""
    tags = [OUTSIDE]
    for label in labels:
        tags += [f"B-{label}", f"I-{label}"]
    return tags


@dataclass(frozen=True)
class LabelSpace:
    """Every label the model predicts, in the order of its output units."""

    mention_labels: tuple[str, ...]
    event_types: tuple[str, ...]
    roles: tuple[str, ...]  # NO_ROLE first
    statuses: tuple[str, ...]

    @classmethod
    def from_schema(cls, schema: Schema) -> LabelSpace:
        return cls(
            mention_labels=tuple(schema.mention_labels),
            event_types=tuple(schema.event_types),
            roles=(NO_ROLE, *schema.roles),
            statuses=tuple(schema.statuses),
        )

    @property
    def mention_tags(self) -> list[str]:
        return bio_tags(self.mention_labels)

    @property
    def trigger_tags(self) -> list[str]:
        return bio_tags(self.event_types)
