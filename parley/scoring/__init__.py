"""Score predicted articles against gold ones: mentions, triggers, arguments, status (docs/schema.md section 7).

What each number means:

- Mentions, BIO strict (`Scores.mentions`): each article becomes one BIO tag sequence and is scored with
  seqeval in strict IOB2 mode. Words are runs of word characters or single punctuation marks, further cut at
  every gold and predicted mention boundary, so every mention covers whole words and a BIO match is an exact
  character-span match (whitespace aside). BIO holds one layer only: where mentions nest or cross, the
  outermost one is kept (earliest start, then longest, then schema label order) and the mentions overlapping
  it are dropped, on both sides alike.
- Mentions, exact set (`Scores.mentions_exact`): every mention, nested ones included, counted as a
  (start, end, label) multiset per article.
- Which predicted mentions are judged (both mention scores): gold labels name every mention only in
  sentences that hold a trigger, and only role fillers elsewhere (docs/schema.md section 8). A predicted
  mention outside those sentences counts only if it overlaps a gold mention; otherwise it is not judged.
- Trigger identification: a predicted trigger matches a gold one when their spans overlap; classification
  also requires equal event types.
- Argument identification: the argument's event is matched at trigger-classification level and the argument
  mention's span overlaps the gold argument's span; classification also requires equal roles. Arguments of
  unmatched events are all false negatives (gold) or false positives (predicted).
- Status accuracy: over the trigger-classification matches, the share whose statuses are equal.
- Matching: each level is its own one-to-one matching. Candidate pairs (spans overlapping and, for
  classification, labels equal) are taken greedily by largest character overlap, ties broken by the gold
  span's position, then the predicted span's, then list order.
- Per event type: trigger classification and argument identification/classification counted under the
  matched (equal) type, an unmatched item under its own type. The per-type counts add up to the overall ones.

Empty cases: when there is nothing on either side (tp = fp = fn = 0) P, R and F1 are 1.0, since the
prediction agrees with the gold exactly; otherwise a ratio with a zero denominator is 0.0 (nothing predicted:
P = 0; nothing to find: R = 0), and F1 is 0.0 when P + R = 0. Status accuracy with no matched trigger is 1.0
when neither side has a trigger and 0.0 otherwise.
"""

from parley.scoring.articles import empty_prediction, score_articles
from parley.scoring.matching import greedy_match
from parley.scoring.report import PRF, Accuracy, Scores, TypeScores

__all__ = ["PRF", "Accuracy", "Scores", "TypeScores", "empty_prediction", "greedy_match", "score_articles"]
