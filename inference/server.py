"""The HTTP server of `parley serve` (FastAPI): events of posted articles, through one micro-batched extractor.

`POST /v1/extract` takes one article object or a list of them (the input record of `parley predict`: `text`,
and optional `id`, `date`, `source`, `url`) and answers what `parley predict` writes per article
(`Extraction.to_record`: docs/schema.md section 6 with scores), an object for an object, a list for a list.
The body is read as JSON whatever its content type, so `curl -d '{"text": ...}'` works. Bad input gets a
4xx whose `detail` says what is wrong and where; the server goes on. When more than `max_queue` articles
already wait for the model, a request gets 503 with `Retry-After` instead of a place in the queue. With a
token set (`PARLEY_API_TOKEN`) the `/v1/` routes want `Authorization: Bearer <token>`; `/health` and the
OpenAPI docs stay open.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict

from parley.inference.event_table import model_version
from parley.inference.extractor import EventExtractor
from parley.inference.heap import release_free_heap
from parley.inference.microbatch import MicroBatcher, QueueFull
from parley.inference.news_io import validate_record

TOKEN_ENV = "PARLEY_API_TOKEN"
EXPECTED_BODY = 'a JSON article {"text": "..."} or a list of them'


@dataclass
class ServeSettings:
    """How the server batches and what it accepts (`parley serve` options)."""

    max_batch_size: int = 32  # articles per model call; 1 turns micro-batching off
    max_wait_ms: float = 10.0  # how long the first request of a batch waits for others
    batch_size: int = 32  # sentences per forward pass inside one call
    max_articles: int = 64  # per request
    max_text_chars: int = 100_000  # per article
    max_body_bytes: int = 8 * 1024 * 1024
    max_queue: int = 256  # articles waiting for the model; past it: 503 with Retry-After
    token: str | None = None  # bearer token; None: no auth


class ArticleIn(BaseModel):
    """One article to extract events from (other fields are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")
    text: str
    id: str | int | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None


_ARTICLE_SCHEMA = ArticleIn.model_json_schema()
_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"anyOf": [_ARTICLE_SCHEMA, {"type": "array", "items": _ARTICLE_SCHEMA}]}}
    },
}


def model_info(extractor: EventExtractor, model_dir: str | Path | None) -> dict[str, Any]:
    """What `GET /v1/model` answers: version, labels and schema of the loaded checkpoint."""
    labels = extractor.labels
    config = extractor.model.config
    return {
        # As in the event table's model_version column: folder name @ the config's SHA-256 (12 hex digits).
        "model_version": model_version(model_dir) if model_dir is not None else None,
        "parley_version": metadata.version("parley-events"),
        "encoder": config.encoder_name,
        "max_seq_length": extractor.max_length,
        # How it runs: the runtime ("torch", "onnx"), int8, and the device (docs/onnx.md).
        "runtime": {"name": extractor.runtime, "int8": extractor.int8, "device": str(extractor.device)},
        "thresholds": vars(extractor.thresholds),
        "labels": {
            "event_types": list(labels.event_types),
            "mention_labels": list(labels.mention_labels),
            "roles": list(extractor.schema.roles),
            "statuses": list(labels.statuses),
        },
        "schema": config.schema,
    }


def create_app(extractor: EventExtractor, settings: ServeSettings, model_dir: str | Path | None = None) -> FastAPI:
    """The app: its batcher starts with the app's lifespan and finishes queued requests when it ends."""

    def run(documents: list) -> list[dict[str, Any]]:
        records = [x.to_record() for x in extractor.extract(documents, batch_size=settings.batch_size)]
        # Each batch has tensors of new shapes; without this, glibc keeps their freed pages and RSS creeps up.
        release_free_heap()
        return records

    info = model_info(extractor, model_dir)
    state: dict[str, MicroBatcher] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state["batcher"] = MicroBatcher(run, settings.max_batch_size, settings.max_wait_ms, settings.max_queue)
        yield
        state.pop("batcher").close()

    app = FastAPI(
        title="parley",
        version=info["parley_version"],
        description="Diplomatic events (invite, decline, meet, ...) extracted from news articles.",
        lifespan=lifespan,
    )
    authorized = _token_check(settings.token)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness, and what the micro-batcher has done so far."""
        batcher = state.get("batcher")
        return {"status": "ok", "batching": {"queued": batcher.queued, **batcher.stats.to_dict()} if batcher else None}

    @app.get("/v1/model", dependencies=authorized)
    async def model() -> dict[str, Any]:
        """The loaded model: version (weights fingerprint), labels and schema."""
        return info

    @app.post("/v1/extract", dependencies=authorized, openapi_extra={"requestBody": _REQUEST_BODY})
    async def extract(request: Request) -> JSONResponse:
        """Events of one article (-> one record) or of a list (-> a list of records, same order)."""
        batcher = state["batcher"]
        with batcher.in_flight():
            body = await _read_body(request, settings.max_body_bytes)
            documents, single = parse_articles(body, settings)
            try:
                pending = batcher.submit(documents)
            except QueueFull as full:
                detail = (
                    f"server busy: {full.queued} articles wait for the model, at most {full.limit}; "
                    f"retry in {full.retry_after_s} s"
                )
                raise HTTPException(503, detail, headers={"Retry-After": str(full.retry_after_s)}) from full
            try:
                records = await asyncio.wrap_future(pending)
            except Exception as err:  # a bug, not the caller's input: say so and keep serving
                raise HTTPException(500, f"internal error: {type(err).__name__}: {err}") from err
            return JSONResponse(records[0] if single else records)

    return app


def parse_articles(body: bytes, settings: ServeSettings) -> tuple[list, bool]:
    """The documents of a request body and whether it held one article; HTTPException (4xx) saying what is wrong."""
    if not body.strip():
        raise HTTPException(400, f"empty body: expected {EXPECTED_BODY}")
    try:
        raw = json.loads(body)
    except UnicodeDecodeError as err:
        raise HTTPException(400, f"invalid JSON: the body is not UTF-8 ({err.reason} at byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise HTTPException(400, f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from err
    single = isinstance(raw, dict)
    items = [raw] if single else raw
    if not isinstance(items, list):
        raise HTTPException(422, f"expected {EXPECTED_BODY}, got {type(raw).__name__}")
    if not items:
        raise HTTPException(422, "empty list: send at least one article")
    if len(items) > settings.max_articles:
        raise HTTPException(413, f"too many articles: {len(items)}, at most {settings.max_articles} per request")
    documents = []
    for n, item in enumerate(items):
        record = validate_record(item, n, None, "request", None)
        where = f"article {n}" + (f" (id {record.id!r})" if record.id is not None else "")
        if record.error is not None:
            raise HTTPException(422, f"{where}: {record.error}")
        if len(record.article.text) > settings.max_text_chars:
            raise HTTPException(
                413, f"{where}: text of {len(record.article.text)} characters, at most {settings.max_text_chars}"
            )
        documents.append(record.article)
    return documents, single


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to pass `limit` bytes, before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes, at most {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"body over {limit} bytes")
    return bytes(body)


def _token_check(token: str | None) -> list:
    """Route dependencies that want `Authorization: Bearer <token>` when a token is set, and nothing otherwise."""
    # HTTPBearer only shows the scheme in the OpenAPI docs; `check` does the checking.
    bearer = HTTPBearer(auto_error=False, description=f"the token in {TOKEN_ENV} where the server has one")

    async def check(request: Request) -> None:
        if token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken does not tell how much of a guess was right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    return [Depends(bearer), Depends(check)]
