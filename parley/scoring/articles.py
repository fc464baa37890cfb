"""Score predicted articles against gold ones: pair them by id, check them against the schema, tally."""

from __future__ import annotations

from collections.abc import Sequence

from parley.documents import Article, ArticleError
from parley.schema import Schema
from parley.scoring.report import Scores
from parley.scoring.tally import Tally, TypeCounts


def empty_prediction(gold: Article) -> Article:
    """A prediction with no mentions and no events for a gold article (to score an article the model skipped)."""
    return Article(id=gold.id, text=gold.text)


def score_articles(gold: Sequence[Article], predicted: Sequence[Article], schema: Schema) -> Scores:
    """Compare predicted articles with gold ones, matched by article id, and return micro P/R/F1 scores."""
    pairs = _pair_articles(gold, predicted)
    tally = Tally(
        label_order={label: i for i, label in enumerate(schema.mention_labels)},
        per_type={name: TypeCounts() for name in schema.event_types},
    )
    for gold_article, predicted_article in pairs:
        _check_article(gold_article, schema)
        _check_article(predicted_article, schema)
        tally.add_mentions(gold_article, predicted_article)
        tally.add_events(gold_article, predicted_article)
    return tally.scores(len(pairs))


def _pair_articles(gold: Sequence[Article], predicted: Sequence[Article]) -> list[tuple[Article, Article]]:
    gold_by_id = _by_id(gold, "gold")
    pred_by_id = _by_id(predicted, "predicted")
    missing = [article_id for article_id in gold_by_id if article_id not in pred_by_id]
    if missing:
        raise ArticleError(
            f"no prediction for gold article(s) {missing}; pass an empty article (empty_prediction) "
            "for an article the model produced nothing for",
            gold_by_id[missing[0]].origin,
            article_id=missing[0],
        )
    extra = [article_id for article_id in pred_by_id if article_id not in gold_by_id]
    if extra:
        raise ArticleError(
            f"predicted article(s) {extra} have no gold article", pred_by_id[extra[0]].origin, article_id=extra[0]
        )
    pairs = []
    for article_id, gold_article in gold_by_id.items():
        pred_article = pred_by_id[article_id]
        # Offsets only mean the same thing over the same text; an empty prediction may leave the text out.
        has_spans = bool(pred_article.entities or pred_article.events)
        if pred_article.text != gold_article.text and has_spans:
            raise ArticleError(
                f"predicted text differs from the gold text (gold {gold_article.origin or 'in memory'})",
                pred_article.origin,
                article_id=article_id,
            )
        pairs.append((gold_article, pred_article))
    return pairs


def _by_id(articles: Sequence[Article], side: str) -> dict[str, Article]:
    by_id: dict[str, Article] = {}
    for article in articles:
        if article.id in by_id:
            raise ArticleError(f"article id appears twice among the {side} articles", article.origin, None, article.id)
        by_id[article.id] = article
    return by_id


def _check_article(article: Article, schema: Schema) -> None:
    # Predictions may be built in memory without article_from_dict, so check what scoring relies on.
    def fail(message: str) -> ArticleError:
        return ArticleError(message, article.origin, None, article.id)

    for entity in article.entities:
        if entity.label not in schema.mention_labels:
            raise fail(f"mention {entity.id}: unknown mention label {entity.label!r}")
    ids = {entity.id for entity in article.entities}
    for event in article.events:
        if event.type not in schema.event_types:
            raise fail(f"event {event.id}: unknown event type {event.type!r}")
        if event.status not in schema.statuses:
            raise fail(f"event {event.id}: unknown status {event.status!r}")
        for argument in event.arguments:
            if argument.entity not in ids:
                raise fail(f"event {event.id}: argument {argument.role} points to unknown mention {argument.entity!r}")
