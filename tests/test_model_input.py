"""Text becomes model input one way: the extractor's windows are plan_windows', its special tokens the
tokenizer's own, its window stride the checkpoint's; unlabeled and labeled input share one `Document` type."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tokenizers.processors import TemplateProcessing

from parley.documents import Article, Document, as_document, as_documents
from parley.inference import EventExtractor
from parley.inference.news_io import iter_records
from parley.model import ParleyConfig
from parley.model.encoding import plan_windows, special_token_frame

TEXT = "Lavrov met the opposition in Geneva on Friday. Russia invited the coalition to talks."
LONG = " ".join(["people said that the city was quiet"] * 40) + " Russia invited the coalition to talks."


def greedy_windows(costs: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """The windows the extractor planned itself before it used plan_windows (kept here as the oracle)."""
    windows: list[tuple[int, int]] = []
    start, n = 0, len(costs)
    while start < n:
        end, used = start, 0
        while end < n and (used + costs[end] <= budget or end == start):
            used += costs[end]
            end += 1
        windows.append((start, end))
        if end >= n:
            break
        start = max(end - overlap, start + 1)
    return windows


@given(
    costs=st.lists(st.integers(min_value=0, max_value=12), max_size=80),
    budget=st.integers(min_value=1, max_value=40),
    stride=st.integers(min_value=0, max_value=20),
)
def test_plan_windows_without_required_ranges_are_the_extractors_old_windows(costs, budget, stride):
    windows, unfit = plan_windows(costs, budget, stride)
    assert windows == greedy_windows(costs, budget, stride) and unfit == []
    if costs:
        assert windows[0][0] == 0 and windows[-1][1] == len(costs)
    for start, end in windows:  # a window fits the budget unless it is one word longer than the budget
        assert sum(costs[start:end]) <= budget or end - start == 1


def test_special_token_frame_is_the_tokenizers_own(tokenizer):
    assert special_token_frame(tokenizer) == ([tokenizer.cls_token_id], [tokenizer.sep_token_id])
    bare = _with_template(tokenizer, "$A", [])
    assert special_token_frame(bare) == ([], [])
    two_before = _with_template(tokenizer, "[SEP] [CLS] $A", [("[SEP]", 102), ("[CLS]", 101)])
    assert special_token_frame(two_before) == ([102, 101], [])


@pytest.mark.parametrize(
    ("template", "specials", "before"),
    [("$A", [], []), ("[SEP] [CLS] $A", [("[SEP]", 102), ("[CLS]", 101)], [102, 101])],
)
def test_the_extractor_frames_inputs_as_its_tokenizer_does(extractor, template, specials, before):
    tokenizer = _with_template(extractor.tokenizer, template, specials)
    other = EventExtractor(extractor.model, tokenizer, device="cpu")
    units = other._units([Document(id=None, text=TEXT)])
    for unit in units:
        assert unit.input_ids[: len(before)] == before and unit.input_ids[len(before) :].count(102) == 0
        for (start, end), (token_start, _) in zip(unit.words, unit.token_spans, strict=True):
            # Each word's first token is read where the word's own first subword sits.
            word = tokenizer.tokenize(TEXT[start:end])[0]
            assert unit.input_ids[token_start] == tokenizer.convert_tokens_to_ids(word)
    # The keyword model spots its words whatever surrounds them: the same mentions and events come out.
    shipped, framed = extractor.extract([TEXT])[0], other.extract([TEXT])[0]
    assert [(m.text, m.start) for m in framed.mentions] == [(m.text, m.start) for m in shipped.mentions]
    assert [(e.type, e.trigger.start) for e in framed.events] == [(e.type, e.trigger.start) for e in shipped.events]


def test_window_stride_is_saved_in_the_checkpoint_and_used_by_the_extractor(model_dir, tmp_path):
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert ParleyConfig(**{**config, "window_stride": 4}).window_stride == 4
    config.pop("window_stride", None)  # a checkpoint saved before the stride was
    assert ParleyConfig(**config).window_stride == 16
    folder = shutil.copytree(model_dir, tmp_path / "stride-4")
    ParleyConfig(**{**config, "window_stride": 4}).save_pretrained(folder)
    narrow = EventExtractor.from_pretrained(str(folder), device="cpu")
    assert narrow.window_stride == 4
    units = narrow._units([Document(id=None, text=LONG)])
    assert len(units) > 2
    for left, right in zip(units, units[1:], strict=False):
        shared = set(left.words) & set(right.words)
        assert len(shared) == 4
    assert EventExtractor.from_pretrained(str(folder), device="cpu", window_stride=8).window_stride == 8
    assert narrow.extract([LONG])[0].events  # the invitation in the last window is still found


def test_one_document_type_for_texts_dicts_and_articles():
    article = Article(id="a1", text=TEXT, date="2017-01-25")
    assert isinstance(article, Document) and as_document(article) is article
    record = as_document({"id": "n1", "text": TEXT, "source": "wire", "lang": "en"})
    assert record == Document(id="n1", text=TEXT, source="wire", metadata={"lang": "en"})
    assert as_documents([TEXT]) == [Document(id=None, text=TEXT)]
    with pytest.raises(TypeError, match="item 1: article 'b': 'text' must be a string"):
        as_documents([TEXT, {"id": "b", "text": 3}])


def test_the_news_reader_gives_documents_with_their_extra_fields(tmp_path, extractor):
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": 7, "text": TEXT, "date": "2017-01-25", "lang": "en"}) + "\n", encoding="utf-8")
    (record,) = iter_records(dump)
    assert record.article == Document(id="7", text=TEXT, date="2017-01-25", metadata={"lang": "en"})
    (extraction,) = extractor.extract([record.article])
    assert extraction.article_id == "7" and extraction.date == "2017-01-25" and extraction.events


def _with_template(tokenizer, single: str, specials: list[tuple[str, int]]):
    """A copy of `tokenizer` whose post-processor puts `single`'s special tokens around a sequence."""
    changed = copy.deepcopy(tokenizer)
    changed.backend_tokenizer.post_processor = TemplateProcessing(single=single, special_tokens=specials)
    return changed
