"""Write `parley suggest`'s choice for annotators: Label Studio tasks pre-annotated with the model's events, or
brat pairs.

Label Studio: one task per article, in rank order, whose `predictions` hold the model's mentions, triggers,
statuses and arguments in the labels of configs/label-studio.xml, each result with its score, and the
checkpoint as `model_version`. The prediction's own `score` is 1 / (1 + uncertainty), so sorting tasks by
it ascending in Label Studio gives the ranking. What annotators correct comes back through
`parley.formats.labelstudio.read_labelstudio`; a task nobody touched reads as the model's events.
brat: `<id>.txt`/`<id>.ann` pairs and annotation.conf (scores dropped: brat has no place for them), with
ranking.tsv listing rank, article id and uncertainty.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from parley.formats.brat_writer import write_brat_folder
from parley.formats.labelstudio import METADATA_KEYS, annotation_results
from parley.inference.events import Extraction
from parley.inference.suggest import Suggestion
from parley.schema import Schema

SUGGEST_FORMATS = ("labelstudio", "brat")


def model_version(model_dir: str | Path) -> str:
    """The checkpoint's folder name and the start of its weights' SHA-256: two trainings never share it."""
    folder = Path(model_dir)
    digest = hashlib.sha256()
    for weights in sorted(folder.glob("*.safetensors")):
        with open(weights, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return f"parley:{folder.resolve().name}:{digest.hexdigest()[:12]}"


def scored_results(extraction: Extraction) -> list[dict[str, Any]]:
    """The extraction as Label Studio results, each with the model's score for it."""
    record = extraction.to_record()
    scores: dict[tuple, float] = {("labels", e["id"]): e["score"] for e in record["entities"]}
    for event in record["events"]:
        scores[("labels", event["id"])] = event["score"]
        scores[("choices", event["id"])] = event["status_score"]
        for argument in event["arguments"]:
            scores[("relation", event["id"], argument["entity"], argument["role"])] = argument["score"]
    results = annotation_results(extraction.to_article())
    for result in results:
        if result["type"] == "relation":
            key = ("relation", result["from_id"], result["to_id"], result["labels"][0])
        else:
            key = (result["type"], result["id"])
        result["score"] = scores[key]
    return results


def labelstudio_task(suggestion: Suggestion, version: str) -> dict[str, Any]:
    """One Label Studio task: the article, why it was chosen, and the model's events as a prediction."""
    document, uncertainty = suggestion.document, suggestion.uncertainty
    data = {"text": document.text, **{key: getattr(document, key) for key in METADATA_KEYS}}
    data.update(
        parley_rank=suggestion.rank,
        parley_uncertainty=uncertainty.score,
        parley_doubtful_words=uncertainty.doubtful_words,
    )
    prediction = {
        "model_version": version,
        "score": round(1.0 / (1.0 + uncertainty.score), 6),
        "result": scored_results(suggestion.extraction),
    }
    return {"data": data, "predictions": [prediction]}


def write_suggestions(
    suggestions: list[Suggestion], output: str | Path, fmt: str, version: str, schema: Schema
) -> Path:
    """Write the suggestions as a Label Studio task file (`output` a .json file) or brat pairs (`output` a folder)."""
    output = Path(output)
    if fmt == "labelstudio":
        if output.is_dir():
            raise ValueError(f"--output {output}: is a folder; Label Studio tasks go in one .json file")
        output.parent.mkdir(parents=True, exist_ok=True)
        tasks = [labelstudio_task(s, version) for s in suggestions]
        output.write_text(json.dumps(tasks, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return output
    if fmt != "brat":
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(SUGGEST_FORMATS)}")
    if output.exists() and not output.is_dir():
        raise ValueError(f"--output {output}: is a file; brat pairs go in a folder")
    errors = write_brat_folder([s.extraction.to_article() for s in suggestions], output, schema)
    if errors:
        raise ValueError("; ".join(err.describe() for err in errors))
    lines = ["rank\tid\tuncertainty"]
    lines += [f"{s.rank}\t{s.document.id}\t{s.uncertainty.score}" for s in suggestions]
    (output / "ranking.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return output
