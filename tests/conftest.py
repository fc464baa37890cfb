"""Shared test fixtures: a tiny random BERT, the packaged tokenizer, hand-made articles, a JSONL writer."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

# Tests never reach the network; transformers must not try.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from parley.documents import Article, article_from_dict  # noqa: E402
from parley.encoders import packaged_minilm_path  # noqa: E402
from parley.formats.jsonl import write_jsonl  # noqa: E402
from parley.formats.markup import parse_markup  # noqa: E402
from parley.schema import Schema, load_schema  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"

# Hand-made passages in the markup of parley.formats.markup: [mention](LABEL name), {trigger}(TYPE status
# role=name). Between them they hold a nested mention, a trigger inside a mention, an argument in another sentence,
# an abbreviation-heavy sentence, a glued ".The" and a sentence shared by two articles.
PASSAGES = {
    "hand-001": (
        "[Russia](GPE ru) has {invited}(INVITE asserted agent=ru partner=del meeting=soc time=jan) more than "
        "1,500 [delegates](ORG del) to the [Sochi conference](MEETING soc) on [January 30](TIME jan).The "
        "{boycott}(BOYCOTT asserted agent=snc meeting=soc2) by the opposition [Syrian Negotiations Commission]"
        "(ORG snc) followed [U.N. talks](MEETING soc2) in [Vienna](GPE vie).\n"
        "A [spokesman](PER sp) for the main opposition said [his group](ORG grp) will "
        "{boycott}(BOYCOTT planned agent=grp meeting=soc3) the [Sochi conference](MEETING soc3)."
    ),
    "hand-002": (
        "[[U.N.](ORG un) envoy](PER env) [Staffan de Mistura](PER sdm) will "
        "{meet}(MEET planned agent=sdm partner=kk time=j4) [Khaled al-Khoja](PER kk) on [June 4](TIME j4) in "
        "[Geneva](GPE gva).\n"
        "Mr. Hijab and Dr. J. Watson arrived at 5 p.m. on Jan. 5 for the talks.\n"
        "Advertisement"
    ),
    "hand-003": (
        "[Lavrov](PER lav) spoke to lawmakers on [Wednesday](TIME wed). He said [Moscow](GPE mos) had "
        "{invited}(INVITE asserted agent=lav partner=hnc meeting=mt) the [HNC](ORG hnc) to a "
        "[{meeting}(MEET planned agent=hnc)](MEETING mt).\n"
        "Advertisement"
    ),
    "hand-004": (
        "The [HNC](ORG hnc) {declined}(DECLINE asserted agent=hnc partner=lav meeting=tk) to attend "
        "[Friday's talks](MEETING tk) with [Lavrov](PER lav), said [Ahmad Ramadan](PER ar)."
    ),
    "hand-005": "Rebels fought back against an offensive near Aleppo on Monday. No talks were mentioned.",
}


def article_from_markup(article_id: str, markup: str, schema: Schema | None = None) -> Article:
    """A validated `Article` from one passage of inline markup."""
    parsed = parse_markup(markup, where=article_id)
    record = {"id": article_id, "text": parsed.text, "entities": parsed.mentions, "events": parsed.events}
    return article_from_dict(record, schema or load_schema())


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema()


@pytest.fixture(scope="session")
def tokenizer():
    """The packaged all-MiniLM-L6-v2 fast tokenizer (loads offline)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(packaged_minilm_path())


@pytest.fixture(scope="session")
def tiny_bert_config(tokenizer):
    """A BERT config small enough to train a few steps in well under a second."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory, tiny_bert_config, tokenizer) -> Path:
    """A folder with a randomly initialised tiny BERT and the packaged tokenizer, usable as `model.encoder`."""
    import torch
    from transformers import BertModel

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertModel(tiny_bert_config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def hand_articles(schema) -> list[Article]:
    """The hand-made articles of PASSAGES, validated against the shipped schema."""
    return [article_from_markup(article_id, markup, schema) for article_id, markup in PASSAGES.items()]


@pytest.fixture
def write_articles(tmp_path) -> Callable[[Sequence[Article], str], Path]:
    """Write articles as JSONL under the test's tmp folder and return the file."""

    def write(articles: Sequence[Article], name: str = "articles.jsonl") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(articles, path)
        return path

    return write


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for the module: two intra-op threads on a shared 2-core machine spin against each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """The keyword checkpoint of helpers_checkpoint (its heads tag chosen words), built once per module."""
    from helpers_checkpoint import build_checkpoint

    return build_checkpoint(tmp_path_factory.mktemp("keyword-model"))


@pytest.fixture(scope="module")
def extractor(model_dir):
    from parley.inference import EventExtractor

    return EventExtractor.from_pretrained(str(model_dir), device="cpu")
