"""brat standoff reader and writer: good files, every kind of bad file, and round trips."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.documents import Article, ArticleError, article_from_dict
from parley.formats.brat import brat_annotation_conf, read_brat, write_brat
from parley.formats.jsonl import read_jsonl, write_jsonl
from parley.schema import load_schema

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema()


def fixture_articles() -> list[Article]:
    articles = list(read_jsonl(FIXTURES / "articles.jsonl", SCHEMA))
    assert all(isinstance(a, Article) for a in articles), articles
    return articles


def read_one(ann: Path) -> Article | ArticleError:
    [item] = list(read_brat(ann, SCHEMA))
    return item


def test_reads_a_file_as_brat_saves_it():
    article = read_one(FIXTURES / "brat" / "naasan.ann")
    assert isinstance(article, Article), article
    # No ParleyArticle comment: the id is the file name and the metadata is empty.
    assert (article.id, article.date, article.source, article.url) == ("naasan", None, None, None)
    assert [e.id for e in article.entities] == ["T1", "T2", "T3", "T6", "T8", "T9", "T10", "T11", "T12", "T14", "T15"]
    assert article.entity("T11").coref == "T10"
    assert [(ev.id, ev.type, ev.status, ev.trigger.text) for ev in article.events] == [
        ("E1", "INVITE", "asserted", "invitation"),
        ("E2", "DECLINE", "asserted", "declined"),
        ("E3", "DECLINE", "asserted", "declined"),
        ("E4", "MEET", "planned", "meet"),
    ]
    # brat's numbered repeat `agent2` reads back as a second agent.
    meet = article.events[3]
    assert [(a.role, a.entity) for a in meet.arguments] == [
        ("agent", "T11"),
        ("agent", "T12"),
        ("partner", "T14"),
        ("place", "T15"),
    ]
    assert article.entity("T15").text == "Genève"


def test_jsonl_to_brat_to_jsonl_is_identity(tmp_path):
    source = FIXTURES / "articles.jsonl"
    articles = fixture_articles()
    back = []
    for article in articles:
        _, ann = write_brat(article, tmp_path / "brat")
        back.append(read_one(ann))
    assert back == articles
    write_jsonl(back, tmp_path / "back.jsonl")
    assert (tmp_path / "back.jsonl").read_bytes() == source.read_bytes()


def test_written_ann_is_plain_brat(tmp_path):
    article = fixture_articles()[0]
    txt, ann = write_brat(article, tmp_path)
    assert txt.read_text(encoding="utf-8") == article.text
    lines = ann.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#1\tParleyArticle #1\t{")
    assert "E3\tMEET:T16 agent:T7 agent2:T8 place:T9 time:T10" in lines
    assert "A3\tStatus E3 planned" in lines
    assert "R2\tCoref Arg1:T11 Arg2:T7" in lines
    assert all(re.match(r"(T|E|A|R|#)[0-9]+\t", line) for line in lines)


def test_span_across_a_line_break_is_written_as_fragments(tmp_path):
    article = fixture_articles()[2]
    _, ann = write_brat(article, tmp_path)
    assert "T1\tORG 4 19;20 29\tSyrian National Coalition" in ann.read_text(encoding="utf-8").splitlines()
    assert read_one(ann) == article


def test_ids_brat_cannot_hold_are_kept_in_comments(tmp_path):
    article = fixture_articles()[0]
    renamed = {"T3": "lavrov", "T2": "E2", "E1": "decline-1", "E2": "T2"}
    entities = [
        dataclasses.replace(e, id=renamed.get(e.id, e.id), coref=renamed.get(e.coref, e.coref))
        for e in article.entities
    ]
    events = [
        dataclasses.replace(
            ev,
            id=renamed.get(ev.id, ev.id),
            arguments=[dataclasses.replace(a, entity=renamed.get(a.entity, a.entity)) for a in ev.arguments],
        )
        for ev in article.events
    ]
    article = dataclasses.replace(article, id="odd/id: ü", entities=entities, events=events)
    txt, ann = write_brat(article, tmp_path)
    assert txt.name == "odd_id__ü.txt"
    content = ann.read_text(encoding="utf-8")
    # Renamed ids take the numbers no kept id uses.
    for line in ['#2\tParleyId T2\t"E2"', '#3\tParleyId T3\t"lavrov"', '#4\tParleyId E1\t"decline-1"']:
        assert line in content.splitlines()
    assert '#5\tParleyId E2\t"T2"' in content.splitlines()
    assert read_one(ann) == article


def test_empty_article_round_trips(tmp_path):
    article = Article(id="empty", text="Nothing happened.", date="2020-01-01")
    _, ann = write_brat(article, tmp_path)
    assert read_one(ann) == article


def test_writer_refuses_carriage_returns(tmp_path):
    with pytest.raises(ArticleError, match="carriage return") as info:
        write_brat(Article(id="crlf", text="a\r\nb"), tmp_path)
    assert info.value.article_id == "crlf"


def test_annotation_conf_declares_the_schema():
    conf = brat_annotation_conf(SCHEMA)
    for label in SCHEMA.mention_labels:
        assert f"\n{label}\n" in conf
    for event_type in SCHEMA.event_types:
        assert re.search(rf"^{event_type}\tagent\*:PER\|ORG\|GPE, ", conf, re.M)
    assert "Status\tArg:<EVENT>, Value:" + "|".join(SCHEMA.statuses) in conf
    assert "\nCoref\tArg1:" in conf


DATA_FILES = sorted((REPO / "data").rglob("*.jsonl")) if (REPO / "data").is_dir() else []


@pytest.mark.skipif(not DATA_FILES, reason="no labeled JSONL under data/")
@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_labeled_data_round_trips(path, tmp_path):
    articles = [a for a in read_jsonl(path, SCHEMA) if isinstance(a, Article)]
    assert articles, f"{path} holds no valid article"
    for article in articles:
        _, ann = write_brat(article, tmp_path)
        assert read_one(ann) == article


# --- bad input: each error names the .ann, the offending line and the article id --------------------

# (text on the line to edit, replacement, expected words in the message, start of the line the error names)
BAD_EDITS = {
    "offsets outside the text": ("T5\tGPE 98 104", "T5\tGPE 98 9999", "outside the text", "T5\t"),
    "offsets that miss the text": ("T5\tGPE 98 104", "T5\tGPE 97 103", "does not match the .txt", "T5\t"),
    "span text differs": ("104\tMoscow", "104\tMoskva", "'Moskva' does not match", "T5\t"),
    "unknown mention label": ("T5\tGPE", "T5\tCITY", "unknown type 'CITY'", "T5\t"),
    "unknown event type": ("E1\tDECLINE:T14", "E1\tREFUSE:T14", "unknown event type 'REFUSE'", "E1\t"),
    "unknown role": ("partner:T3 meeting:T4", "partner:T3 venue:T4", "unknown role 'venue'", "E1\t"),
    "unknown status": ("Status E1 asserted", "Status E1 rumoured", "unknown status 'rumoured'", "A1\t"),
    "label not allowed for role": (
        "E1\tDECLINE:T14 agent:T2 partner:T3 meeting:T4",
        "E1\tDECLINE:T14 agent:T2 partner:T3 meeting:T5",
        "role 'meeting' does not take a GPE",
        "E1\t",
    ),
    "argument listed twice": ("agent:T2 partner:T3", "agent:T2 agent2:T2 partner:T3", "listed twice", "E1\t"),
    "dangling argument": ("agent:T2 partner:T3", "agent:T99 partner:T3", "undefined id T99", "E1\t"),
    "dangling trigger": ("E1\tDECLINE:T14", "E1\tDECLINE:T77", "trigger T77 is not defined", "E1\t"),
    "dangling coref": ("Arg2:T3", "Arg2:T42", "undefined id T42", "R1\t"),
    "dangling status": ("Status E1 asserted", "Status E9 asserted", "E9, which is not an event", "A1\t"),
    "duplicate id": ("T6\tORG 108 112\tU.N.", "T5\tORG 108 112\tU.N.", "duplicate id T5", "T5\tORG"),
    "malformed line": ("T5\tGPE 98 104\tMoscow", "T5 GPE 98 104 Moscow", "malformed line", "T5 GPE"),
    "malformed offsets": ("T5\tGPE 98 104", "T5\tGPE 98-104", "malformed offsets", "T5\t"),
    "malformed event": ("E1\tDECLINE:T14 agent:T2", "E1\tDECLINE:T14 agent=T2", "malformed event", "E1\t"),
    "trigger of another type": ("E1\tDECLINE:T14", "E1\tDECLINE:T15", "T15 has type INVITE", "E1\t"),
    "mention used as trigger": ("E1\tDECLINE:T14", "E1\tDECLINE:T2", "T2 has type PER", "E1\t"),
    "missing status": ("A1\tStatus E1 asserted", "", "no 'Status' attribute", "E1\t"),
    "two statuses": ("A2\tStatus E2 asserted", "A2\tStatus E1 planned", "already has a status", "A2\t"),
    "unknown attribute": ("A1\tStatus E1", "A1\tNegation E1", "unknown attribute 'Negation'", "A1\t"),
    "unknown relation": ("R1\tCoref", "R1\tSameAs", "unknown relation type 'SameAs'", "R1\t"),
    "coref to itself": ("Arg1:T8 Arg2:T3", "Arg1:T8 Arg2:T8", "points to itself", "R1\t"),
    "discontinuous span": ("T5\tGPE 98 104\tMoscow", "T5\tGPE 98 100;101 104\tMo cow", "discontinuous", "T5\t"),
    "equiv line": ("R1\tCoref Arg1:T8 Arg2:T3", "*\tEquiv T8 T3", "Equiv", "*\t"),
    "bad metadata": ('"url": null}', '"url": 7}', "'url' must be a string", "#1\t"),
}


def edit_line(ann: Path, old: str, new: str) -> None:
    lines = ann.read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(lines) if old in line]
    assert len(hits) == 1, (old, hits)
    lines[hits[0]] = lines[hits[0]].replace(old, new)
    ann.write_text("\n".join(lines), encoding="utf-8")


def line_starting(ann: Path, prefix: str) -> int:
    lines = ann.read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(prefix))


@pytest.mark.parametrize("case", BAD_EDITS, ids=list(BAD_EDITS))
def test_bad_ann_names_file_line_and_article(case, tmp_path):
    old, new, words, error_line = BAD_EDITS[case]
    _, ann = write_brat(fixture_articles()[0], tmp_path)
    edit_line(ann, old, new)
    error = read_one(ann)
    assert isinstance(error, ArticleError), f"{case}: read without error"
    assert words in error.message
    assert (error.path, error.line, error.article_id) == (str(ann), line_starting(ann, error_line), "fixture-001")
    assert str(error).startswith(f"{ann}:{error.line}, article 'fixture-001': ")


def test_unused_trigger_is_an_error(tmp_path):
    _, ann = write_brat(fixture_articles()[0], tmp_path)
    edit_line(ann, "E5\tINVITE:T18 partner:T12 meeting:T13", "")
    edit_line(ann, "A5\tStatus E5 negated", "")
    error = read_one(ann)
    assert isinstance(error, ArticleError)
    assert "INVITE trigger is used by no E line" in error.message
    assert error.line == line_starting(ann, "T18\t")


def test_id_from_file_name_when_there_is_no_metadata(tmp_path):
    txt, ann = write_brat(fixture_articles()[0], tmp_path)
    txt.rename(tmp_path / "renamed.txt")
    ann = ann.rename(tmp_path / "renamed.ann")
    edit_line(ann, "ParleyArticle", "AnnotatorNotes")  # now an ordinary note, aimed at itself
    article = read_one(ann)
    assert isinstance(article, Article) and (article.id, article.date) == ("renamed", None)
    edit_line(ann, "T5\tGPE", "T5\tCITY")
    error = read_one(ann)
    assert isinstance(error, ArticleError)
    assert (error.article_id, error.line) == ("renamed", line_starting(ann, "T5\t"))


def test_missing_txt_names_the_ann_and_article(tmp_path):
    txt, ann = write_brat(fixture_articles()[0], tmp_path)
    txt.unlink()
    error = read_one(ann)
    assert isinstance(error, ArticleError)
    assert error.path == str(ann) and error.article_id == "fixture-001"
    assert "missing text file fixture-001.txt" in error.message


def test_text_changed_under_the_ann_is_caught(tmp_path):
    txt, ann = write_brat(fixture_articles()[0], tmp_path)
    txt.write_text("X" + txt.read_text(encoding="utf-8"), encoding="utf-8")
    error = read_one(ann)
    assert isinstance(error, ArticleError)
    assert error.line == line_starting(ann, "T1\t") and "does not match the .txt" in error.message


# --- property: any valid article survives the trip ---------------------------------------------

_CHARS = st.one_of(
    st.sampled_from(list("ab ,.'\"\t\n") + ["é", "ش", "🕊", "\u2028", "\x85", "\x0c", "—"]),
    st.characters(codec="utf-8", exclude_characters="\r"),
)
_IDS = st.one_of(st.from_regex(r"[TE][0-9]{1,2}", fullmatch=True), st.text(min_size=1, max_size=6))


@st.composite
def articles(draw) -> Article:
    text = draw(st.text(_CHARS, min_size=1, max_size=60))
    # brat cannot hold a span that begins or ends at a line break; the writer refuses those.
    anchors = [i for i, ch in enumerate(text) if ch not in "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"]
    n_entities = draw(st.integers(0, 6)) if anchors else 0
    n_events = draw(st.integers(0, 3)) if anchors else 0
    ids = draw(st.lists(_IDS, min_size=n_entities + n_events, max_size=n_entities + n_events, unique=True))

    def span():
        a, b = sorted(draw(st.lists(st.sampled_from(anchors), min_size=2, max_size=2)))
        return a, b + 1

    entities = []
    for eid in ids[:n_entities]:
        start, end = span()
        entity = {"id": eid, "start": start, "end": end, "label": draw(st.sampled_from(SCHEMA.mention_labels))}
        others = [e["id"] for e in entities]
        if others and draw(st.booleans()):
            entity["coref"] = draw(st.sampled_from(others))
        entities.append(entity)
    events = []
    for evid in ids[n_entities:]:
        start, end = span()
        arguments = []
        for _ in range(draw(st.integers(0, 4))):
            role = draw(st.sampled_from(list(SCHEMA.roles)))
            fillers = [e["id"] for e in entities if SCHEMA.allows(role, e["label"])]
            if fillers:
                argument = {"role": role, "entity": draw(st.sampled_from(fillers))}
                if argument not in arguments:
                    arguments.append(argument)
        events.append(
            {
                "id": evid,
                "type": draw(st.sampled_from(list(SCHEMA.event_types))),
                "status": draw(st.sampled_from(SCHEMA.statuses)),
                "trigger": {"start": start, "end": end},
                "arguments": arguments,
            }
        )
    record = {
        "id": draw(st.text(min_size=1, max_size=12)),
        "text": text,
        "date": draw(st.none() | st.text(_CHARS, max_size=10)),
        "source": draw(st.none() | st.text(_CHARS, max_size=10)),
        "url": draw(st.none() | st.text(_CHARS, max_size=10)),
        "entities": entities,
        "events": events,
    }
    return article_from_dict(record, SCHEMA)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles())
def test_brat_round_trip_property(article):
    with tempfile.TemporaryDirectory() as folder:
        _, ann = write_brat(article, folder)
        assert read_one(ann) == article
        # brat reads the .ann line by line with Unicode line breaks; every annotation must stay on its line.
        content = ann.read_text(encoding="utf-8")
        assert content.splitlines() == content.removesuffix("\n").split("\n")
