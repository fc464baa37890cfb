"""Capability suite: does the model handle each trigger form and near miss of docs/schema.md sections 2 and 8?

    python benchmarks/capabilities.py --model DIR [--cases 20] [--seed 7] [--json OUT] [--failures N]
    python benchmarks/capabilities.py --rules            (the keyword baseline on the same cases)

In the spirit of CheckList (Ribeiro et al. 2020): every capability is a handful of sentence templates
filled with actors, places, meetings and dates drawn from many countries, `--cases` cases each. A case
passes when
- expect: some predicted event has the expected type and a trigger overlapping the marked trigger
  (capabilities about status also need the status; those about roles need each marked role filled by
  a mention overlapping the marked slot);
- no event: nothing at all is predicted (the sentence holds only a near miss).
Invariance checks re-fill the positive cases with other names (or other places) and pass when the set
of predicted (type, status, trigger text) stays the same.

Prints a pass rate per capability and ends with
`capabilities=N passed=RATE worst=NAME:RATE` (RATE over all cases of all capabilities).

The templates are a test: they are not in data/ and must never be copied there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parley.documents import Article  # noqa: E402

# -- fillers: (surface, core) where core is the mention a role should point at --------------------------------
PEOPLE = [
    ("Foreign Minister Amara Diallo", "Amara Diallo"),
    ("President Luis Carrasco", "Luis Carrasco"),
    ("Prime Minister Hiroshi Tanabe", "Hiroshi Tanabe"),
    ("Chancellor Greta Vollmer", "Greta Vollmer"),
    ("Foreign Minister Nguyen Van Thanh", "Nguyen Van Thanh"),
    ("Defence Minister Olusegun Adeyemi", "Olusegun Adeyemi"),
    ("Sheikh Khalid al-Mansouri", "Khalid al-Mansouri"),
    ("Premier Li Wenhao", "Li Wenhao"),
    ("Senator Maria Esposito", "Maria Esposito"),
    ("External Affairs Minister Rahul Mehta", "Rahul Mehta"),
    ("envoy Ingrid Solberg", "Ingrid Solberg"),
    ("President Tomas Ferreira", "Tomas Ferreira"),
    ("Foreign Secretary James Whitfield", "James Whitfield"),
    ("President Aigerim Bekova", "Aigerim Bekova"),
    ("Prime Minister Sitiveni Rabuka", "Sitiveni Rabuka"),
    ("opposition leader Kwame Mensah", "Kwame Mensah"),
    ("Vice President Ana Lucia Quispe", "Ana Lucia Quispe"),
    ("Interior Minister Yusuf Demir", "Yusuf Demir"),
    ("President Marta Kowalczyk", "Marta Kowalczyk"),
    ("Foreign Minister Park Ji-hoon", "Park Ji-hoon"),
]
COUNTRIES = [
    "Kenya",
    "Brazil",
    "Indonesia",
    "Poland",
    "Egypt",
    "Peru",
    "Vietnam",
    "Nigeria",
    "Norway",
    "Pakistan",
    "Chile",
    "Morocco",
    "Kazakhstan",
    "Ghana",
    "Mexico",
    "Thailand",
    "Turkey",
    "Argentina",
    "Ethiopia",
    "Japan",
    "Ukraine",
    "Colombia",
    "the Philippines",
    "Tunisia",
    "Senegal",
    "Bangladesh",
    "Fiji",
    "Bolivia",
]
GROUPS = [
    ("the African Union", "African Union"),
    ("the opposition alliance", "opposition alliance"),
    ("the rebel movement", "rebel movement"),
    ("ASEAN", "ASEAN"),
    ("the European Union", "European Union"),
    ("the Arab League", "Arab League"),
    ("the ruling party", "ruling party"),
    ("the teachers' union", "teachers' union"),
    ("the National Liberation Front", "National Liberation Front"),
    ("Mercosur", "Mercosur"),
    ("the government delegation", "government delegation"),
    ("the separatist leaders", "separatist leaders"),
]
CITIES = [
    "Nairobi",
    "Lima",
    "Jakarta",
    "Warsaw",
    "Cairo",
    "Hanoi",
    "Abuja",
    "Oslo",
    "Islamabad",
    "Santiago",
    "Rabat",
    "Astana",
    "Accra",
    "Monterrey",
    "Bangkok",
    "Ankara",
    "Montevideo",
    "Addis Ababa",
    "Osaka",
    "Geneva",
    "Doha",
    "Vienna",
    "Kigali",
    "Dushanbe",
    "Suva",
    "Dakar",
    "Manila",
    "Bogota",
    "Tunis",
    "Dhaka",
]
MEETINGS = [
    "peace talks",
    "border talks",
    "trade conference",
    "regional summit",
    "climate conference",
    "water-sharing talks",
    "security conference",
    "donor conference",
    "ceasefire negotiations",
    "energy summit",
    "fisheries talks",
    "reconciliation conference",
]
DATES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "March 4", "June 18", "October 2", "Sunday"]
NOUNS = ["steel", "rice", "fuel", "fertiliser", "textiles", "timber", "cocoa", "copper"]
SUMMITS = [
    "regional summit",
    "trade conference",
    "climate conference",
    "security conference",
    "donor conference",
    "energy summit",
    "reconciliation conference",
    "peace conference",
    "border commission session",
]


def _actor(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.45:
        return rng.choice(PEOPLE)
    if kind < 0.75:
        country = rng.choice(COUNTRIES)
        return country, country.removeprefix("the ")
    return rng.choice(GROUPS)


FILLERS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "A": _actor,
    "B": _actor,
    "C": lambda rng: (lambda c: (c, c.removeprefix("the ")))(rng.choice(COUNTRIES)),
    "P": lambda rng: (lambda c: (c, c))(rng.choice(CITIES)),
    "M": lambda rng: (lambda m: (m, m))(rng.choice(MEETINGS)),
    "D": lambda rng: (lambda d: (d, d))(rng.choice(DATES)),
    "N": lambda rng: (lambda n: (n, n))(rng.choice(NOUNS)),
    "S": lambda rng: (lambda m: (m, m))(rng.choice(SUMMITS)),
}
NAME_SLOTS = ("A", "B", "C")
PLACE_SLOTS = ("P",)
_SLOT = re.compile(r"\{([A-Z])\}|\[\[(.+?)\]\]")


@dataclass
class Capability:
    """A trigger form or near miss: templates with `{A}`-style slots and the trigger marked `[[...]]`."""

    name: str
    templates: Sequence[str]
    type: str | None = None  # None: no event may be predicted
    status: str | None = None  # checked when set
    roles: dict[str, str] = field(default_factory=dict)  # role -> slot, checked when set


@dataclass
class Case:
    capability: Capability
    template: str
    fills: dict[str, tuple[str, str]]
    text: str = ""
    trigger: tuple[int, int] | None = None
    slots: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.text, self.trigger, self.slots = render(self.template, self.fills)


def render(template: str, fills: dict[str, tuple[str, str]]) -> tuple[str, tuple[int, int] | None, dict]:
    """The template's text, the trigger's span and each slot's core span (sentence-initial capital)."""
    out, trigger, slots, pos = [], None, {}, 0
    for match in _SLOT.finditer(template):
        out.append(template[pos : match.start()])
        start = sum(len(part) for part in out)
        if match.group(1):
            surface, core = fills[match.group(1)]
            out.append(surface)
            offset = surface.find(core)
            slots[match.group(1)] = (start + offset, start + offset + len(core))
        else:
            out.append(match.group(2))
            trigger = (start, start + len(match.group(2)))
        pos = match.end()
    out.append(template[pos:])
    text = "".join(out)
    return text[:1].upper() + text[1:], trigger, slots


def _fill(template: str, rng: random.Random) -> dict[str, tuple[str, str]]:
    fills: dict[str, tuple[str, str]] = {}
    for slot in dict.fromkeys(m.group(1) for m in _SLOT.finditer(template) if m.group(1)):
        value = FILLERS[slot](rng)
        while any(value[1] == other[1] for other in fills.values()):  # two parties are never the same actor
            value = FILLERS[slot](rng)
        fills[slot] = value
    return fills


# -- the capabilities ------------------------------------------------------------------------------------------
CAPABILITIES = [
    # MEET
    Capability(
        "meet_by_verb",
        [
            "{A} [[met]] {B} in {P} on {D} to discuss the dispute over {N}.",
            "{A} and {B} [[met]] for two hours in {P}, officials said.",
            "On {D}, {A} [[met]] with {B} on the sidelines of the {M}.",
            "{A} will [[meet]] {B} in {P} on {D}, the foreign ministry said.",
        ],
        type="MEET",
    ),
    Capability(
        "meet_by_noun_meeting",
        [
            "The [[meeting]] between {A} and {B} in {P} lasted almost three hours.",
            "After their [[meeting]] in {P} on {D}, {A} and {B} issued a joint statement.",
            "{A} described the [[meeting]] with {B} as frank and useful.",
            "It was the first [[meeting]] between {A} and {B} since the crisis began.",
        ],
        type="MEET",
    ),
    Capability(
        "meet_by_held_talks",
        [
            "{A} [[held talks]] with {B} in {P} on {D}.",
            "{A} and {B} [[held talks]] in {P} on trade and {N}.",
            "Officials said {A} [[held talks]] with {B} late into the night.",
            "{A} [[holds talks]] with {B} in {P}",
        ],
        type="MEET",
    ),
    Capability(
        "meet_by_resumed_talks",
        [
            "{A} and {B} [[resumed talks]] in {P} on {D} after a six-month pause.",
            "{A} [[resumed negotiations]] with {B} in {P}, mediators said.",
            "{A} and {B} [[restarted talks]] on {N} in {P} on {D}.",
            "{A} [[returned to negotiations]] with {B} in {P} on {D}.",
        ],
        type="MEET",
    ),
    Capability(
        "meet_by_visit_or_trip",
        [
            "{A} [[visited]] {P} on {D}, the first such visit in a decade.",
            "During a [[visit]] to {P}, {A} praised the new port.",
            "{A} ended a three-day [[trip]] to {P} on {D}.",
            "{A} [[visited]] {B} in {P} on {D}.",
        ],
        type="MEET",
    ),
    Capability(
        "meet_by_hosting",
        [
            "{A} [[hosted]] {B} in {P} on {D}.",
            "{A} [[received]] a delegation from {B} in {P} on {D}.",
            "{A} [[welcomed]] {B} to {P} on {D} with a military parade.",
            "{A} [[hosted]] {B} for a working dinner in {P}.",
        ],
        type="MEET",
    ),
    Capability(
        "meet_by_took_place",
        [
            "Talks between {A} and {B} [[took place]] in {P} on {D}.",
            "The {S} [[was held]] in {P} on {D}.",
            "A closed-door session of the {S} [[took place]] in {P} on {D}.",
            "The {S} [[will be held]] in {P} on {D}, organisers said.",
        ],
        type="MEET",
    ),
    # ATTEND
    Capability(
        "attend_by_verb",
        [
            "{A} [[attended]] the {M} in {P} on {D}.",
            "{A} [[took part]] in the {M} in {P}.",
            "{A} [[participated]] in the {M} held in {P} on {D}.",
            "{A} [[joined]] the {M} in {P} on {D}.",
        ],
        type="ATTEND",
    ),
    Capability(
        "attend_by_nominalisation",
        [
            "{A}'s [[participation]] in the {M} in {P} was confirmed on {D}.",
            "The [[presence]] of {A} at the {M} in {P} surprised diplomats.",
            "{C} confirmed its [[attendance]] at the {M} in {P}.",
            "Officials welcomed the [[participation]] of {A} in the {M}.",
        ],
        type="ATTEND",
    ),
    Capability(
        "attend_by_travel",
        [
            "{A} [[travelled]] to {P} on {D} for the {M}.",
            "{A} [[flew]] to {P} on {D} to take part in the {M}.",
            "{A} [[arrived]] in {P} on {D} for the {M}.",
            "{A} [[will go]] to {P} for the {M} next week.",
        ],
        type="ATTEND",
    ),
    Capability(
        "attend_by_delegation",
        [
            "{A} [[sent a delegation]] to the {M} in {P}.",
            "{C} [[was represented]] at the {M} in {P} by its deputy foreign minister.",
            "{C} [[sent]] its foreign minister to the {M} in {P} on {D}.",
            "{A} [[was among the participants]] at the {M} in {P}.",
        ],
        type="ATTEND",
    ),
    Capability(
        "attend_by_return_or_chair",
        [
            "{A} [[returned to the negotiating table]] in {P} on {D}.",
            "{A} [[chaired]] the {M} in {P} on {D}.",
            "{A} [[showed up]] at the {M} in {P} despite the threats.",
            "{A} [[rejoined]] the {M} in {P} on {D}.",
        ],
        type="ATTEND",
    ),
    Capability(
        "attend_negated_absence",
        [
            "{A} [[could not attend]] the {M} in {P} because of the storm.",
            "{C} was [[absent]] from the {M} in {P} because it had not been invited.",
            "{A} did not [[attend]] the {M} in {P} on {D} because of illness.",
            "Bad weather kept {A} from [[attending]] the {M} in {P}.",
        ],
        type="ATTEND",
        status="negated",
    ),
    # BOYCOTT
    Capability(
        "boycott_by_word",
        [
            "{A} [[boycotted]] the {M} in {P} on {D}.",
            "{C} said it would [[boycott]] the {M} in {P}.",
            "The [[boycott]] of the {M} by {A} weakened the talks.",
            "{A} [[boycotts]] {M} in {P}",
        ],
        type="BOYCOTT",
    ),
    Capability(
        "boycott_by_walkout",
        [
            "{A} [[walked out]] of the {M} in {P} on {D}.",
            "The [[walkout]] by {A} ended the {M} in {P} early.",
            "{A} [[stormed out]] of the {M} in {P} on {D}.",
            "{A} [[walked away]] from the {M} in {P} on {D}.",
        ],
        type="BOYCOTT",
    ),
    Capability(
        "boycott_by_staying_away",
        [
            "{A} [[stayed away]] from the {M} in {P} on {D}.",
            "{C} [[suspended its participation]] in the {M} in {P}.",
            "{A} [[did not show up]] at the {M} in {P}, in protest at the agenda.",
            "The [[no-show]] by {A} at the {M} in {P} angered the hosts.",
        ],
        type="BOYCOTT",
    ),
    # INVITE
    Capability(
        "invite_active",
        [
            "{A} [[invited]] {B} to the {M} in {P} on {D}.",
            "{A} has [[invited]] {B} to talks in {P}.",
            "{A} [[invited]] {B} to visit {P} next month.",
            "{A} [[invites]] {B} to {M} in {P}",
        ],
        type="INVITE",
        roles={"agent": "A", "partner": "B"},
    ),
    Capability(
        "invite_passive",
        [
            "{B} was [[invited]] to the {M} in {P} by {A}.",
            "{B} has been [[invited]] by {A} to talks in {P} on {D}.",
            "{B} received an [[invitation]] from {A} to the {M} in {P}.",
            "{B} were [[invited]] by {A} to attend the {M}.",
        ],
        type="INVITE",
        roles={"partner": "B"},
    ),
    Capability(
        "invite_by_offer_or_noun",
        [
            "{A} [[offered to host]] talks between {B} and {C} in {P}.",
            "{A} extended an [[invitation]] to {B} for the {M} in {P}.",
            "[[Invitations were sent]] to {B} and {C} for the {M} in {P}.",
            "{A} issued an [[invitation]] to {B} to visit {P}.",
        ],
        type="INVITE",
    ),
    # ACCEPT and DECLINE
    Capability(
        "accept_invitation",
        [
            "{A} [[accepted]] an invitation from {B} to the {M} in {P}.",
            "{A} [[agreed to attend]] the {M} in {P} on {D}.",
            "{A} [[agreed to meet]] {B} in {P} on {D}.",
            "{A} [[accepted]] {B}'s offer to host talks in {P}.",
        ],
        type="ACCEPT",
    ),
    Capability(
        "decline_refuse_to_attend",
        [
            "{A} [[declined]] an invitation from {B} to the {M} in {P}.",
            "{A} [[refused to attend]] the {M} in {P} on {D}.",
            "{A} [[refused to meet]] {B} in {P}.",
            "{A} [[rejected]] {B}'s invitation to talks in {P}.",
        ],
        type="DECLINE",
    ),
    Capability(
        "decline_by_noun_or_decision",
        [
            "{A}'s [[refusal]] to attend the {M} in {P} angered {B}.",
            "{A} sent a letter of [[rejection]] to the organisers of the {M} in {P}.",
            "{A} [[decided not to attend]] the {M} in {P} on {D}.",
            "{A} [[will not attend]] the {M} in {P}, a spokesman said.",
        ],
        type="DECLINE",
    ),
    Capability(
        "decline_by_pulling_out",
        [
            "{A} [[pulled out]] of the {M} in {P} on {D}.",
            "{A} [[cancelled]] a planned visit to {P} on {D}.",
            "{A} [[withdrew]] from the {M} in {P} two days before it opened.",
            "{C} [[called off]] its meeting with {B} in {P}.",
        ],
        type="DECLINE",
    ),
    # status
    Capability(
        "status_planned",
        [
            "{A} [[will meet]] {B} in {P} on {D}.",
            "{A} is due to [[attend]] the {M} in {P} on {D}.",
            "{A} [[will visit]] {P} next month, the ministry said.",
            "{A} and {B} are scheduled to [[meet]] in {P} on {D}.",
        ],
        type=None,
        status="planned",
    ),
    Capability(
        "status_negated",
        [
            "{A} did not [[meet]] {B} during the visit to {P}.",
            "{B} was not [[invited]] to the {M} in {P}.",
            "{A} has not [[attended]] the {M} since it began.",
            "{A} never [[met]] {B} in {P}, the spokesman said.",
        ],
        type=None,
        status="negated",
    ),
    Capability(
        "status_hypothetical",
        [
            "{A} could [[meet]] {B} in {P} if the ceasefire holds.",
            "{A} urged {B} to [[attend]] the {M} in {P}.",
            "{C} said it might [[boycott]] the {M} in {P} unless its demands are met.",
            "{A} is ready to [[host]] talks between {B} and {C}.",
        ],
        type=None,
        status="hypothetical",
    ),
    # roles
    Capability(
        "meet_roles_subject_object",
        [
            "{A} [[met]] {B} in {P} on {D}.",
            "{A} [[hosted]] {B} in {P} on {D}.",
            "On {D}, {A} [[met]] {B} in {P}.",
            "{A} [[held talks]] with {B} in {P}.",
        ],
        type="MEET",
        roles={"agent": "A", "partner": "B", "place": "P"},
    ),
    Capability(
        "attend_roles_meeting_place",
        [
            "{A} [[attended]] the {M} in {P} on {D}.",
            "{A} [[took part]] in the {M} in {P} on {D}.",
            "On {D}, {A} [[attended]] the {M} in {P}.",
            "{A} [[joined]] the {M} in {P} on {D}.",
        ],
        type="ATTEND",
        roles={"agent": "A", "meeting": "M", "place": "P"},
    ),
    # near misses: no event may be predicted
    Capability(
        "no_event_refusing_non_meeting",
        [
            "{A} refused to comment on the report about {N}.",
            "{A} rejected the proposal to cut tariffs on {N} imports.",
            "{A} declined to give details of the new plan for {N}.",
            "{C} rejected the claims that it had hidden the shortage of {N}.",
        ],
    ),
    Capability(
        "no_event_agreeing_non_meeting",
        [
            "{A} agreed to a ceasefire with {B} on {D}.",
            "{A} accepted responsibility for the shortage of {N}.",
            "{A} accepted the resignation of the finance minister on {D}.",
            "{A} and {B} agreed to cut tariffs on {N}.",
        ],
    ),
    Capability(
        "no_event_met_target",
        [
            "{C} met its export target for {N} a year early.",
            "{A} met the deadline to submit the budget on {D}.",
            "The plan to tax {N} met with sharp criticism in {P}.",
            "{A} has met all the conditions of the loan, the fund said.",
        ],
    ),
    Capability(
        "no_event_non_meeting_boycott_or_attendance",
        [
            "Voters in {P} boycotted the local elections on {D}.",
            "{A} attended the funeral of the former president in {P}.",
            "Thousands of fans attended the football final in {P} on {D}.",
            "Shoppers in {P} boycotted imported {N} for a month.",
        ],
    ),
    Capability(
        "no_event_phone_call",
        [
            "{A} spoke by telephone with {B} on {D} about {N}.",
            "{A} and {B} held a phone call on {D} to discuss {N}.",
            "{A} told {B} in a video call that the border would stay open.",
            "{A} called {B} on {D} to offer condolences after the floods.",
        ],
    ),
    Capability(
        "no_event_frame_or_aspect",
        [
            "The {M} ended on {D} without a joint statement.",
            "Little progress was made at the {M}, diplomats said.",
            "The {M} continued on {D} behind closed doors.",
            "Protesters gathered outside the venue of the {M} in {P}.",
        ],
    ),
    Capability(
        "no_event_background",
        [
            "Inflation in {C} rose to 9 percent, the statistics office said on {D}.",
            "Heavy rain flooded parts of {P} on {D}, closing schools.",
            "The court in {P} sentenced two former ministers to prison on {D}.",
            "{C}'s central bank kept interest rates unchanged, citing the price of {N}.",
        ],
    ),
]


def build_cases(capabilities: Sequence[Capability], per_capability: int, seed: int) -> list[Case]:
    """`per_capability` cases each: templates in turn, slots filled at random (fixed seed)."""
    rng = random.Random(seed)
    cases = []
    for capability in capabilities:
        for i in range(per_capability):
            template = capability.templates[i % len(capability.templates)]
            cases.append(Case(capability, template, _fill(template, rng)))
    return cases


def case_passes(case: Case, predicted: Article) -> bool:
    capability = case.capability
    if capability.type is None and capability.status is None:
        return not predicted.events
    start, end = case.trigger
    for event in predicted.events:
        if not (event.trigger.start < end and start < event.trigger.end):
            continue
        if capability.type is not None and event.type != capability.type:
            continue
        if capability.status is not None and event.status != capability.status:
            continue
        if all(_filled(predicted, event, role, case.slots[slot]) for role, slot in capability.roles.items()):
            return True
    return False


def _filled(article: Article, event, role: str, span: tuple[int, int]) -> bool:
    for argument in event.arguments:
        entity = article.entity(argument.entity)
        if argument.role == role and entity.start < span[1] and span[0] < entity.end:
            return True
    return False


def event_signature(article: Article) -> frozenset:
    return frozenset((e.type, e.status, e.trigger.text.lower()) for e in article.events)


def refill(case: Case, slots: Sequence[str], rng: random.Random) -> Case:
    """The same case with other values in `slots` (other names, or other places)."""
    fills = dict(case.fills)
    for slot in slots:
        if slot in fills:
            value = FILLERS[slot](rng)
            while any(value[1] == v[1] for k, v in fills.items()):
                value = FILLERS[slot](rng)
            fills[slot] = value
    return Case(case.capability, case.template, fills)


Predict = Callable[[list[str]], list[Article]]


def run_suite(predict: Predict, per_capability: int = 20, seed: int = 7) -> dict:
    """Pass rates per capability and per invariance check, and the failed cases."""
    cases = build_cases(CAPABILITIES, per_capability, seed)
    predicted = predict([c.text for c in cases])
    rows: dict[str, list[bool]] = {}
    failures: dict[str, list[str]] = {}
    for case, article in zip(cases, predicted, strict=True):
        ok = case_passes(case, article)
        rows.setdefault(case.capability.name, []).append(ok)
        if not ok:
            found = "; ".join(f"{e.type}/{e.status} {e.trigger.text!r}" for e in article.events) or "nothing"
            failures.setdefault(case.capability.name, []).append(f"{case.text}  -> {found}")
    rng = random.Random(seed + 1)
    positives = [(c, a) for c, a in zip(cases, predicted, strict=True) if c.capability.type or c.capability.status]
    sample = rng.sample(positives, min(len(positives), per_capability * 2))
    for name, slots in (("invariance_names", NAME_SLOTS), ("invariance_places", PLACE_SLOTS)):
        variants = [refill(c, slots, rng) for c, _ in sample]
        swapped = predict([v.text for v in variants])
        for (case, original), variant, article in zip(sample, variants, swapped, strict=True):
            ok = event_signature(original) == event_signature(article)
            rows.setdefault(name, []).append(ok)
            if not ok:
                failures.setdefault(name, []).append(f"{case.text}  vs  {variant.text}")
    rates = {name: sum(oks) / len(oks) for name, oks in rows.items()}
    total = sum(len(oks) for oks in rows.values())
    passed = sum(sum(oks) for oks in rows.values())
    worst = min(rates, key=lambda name: (rates[name], name))
    return {
        "rates": rates,
        "cases": {name: len(oks) for name, oks in rows.items()},
        "passed": passed / total,
        "total_cases": total,
        "worst": worst,
        "failures": failures,
    }


def summary_line(result: dict) -> str:
    worst = result["worst"]
    return (
        f"capabilities={len(result['rates'])} passed={result['passed']:.3f} worst={worst}:{result['rates'][worst]:.2f}"
    )


def extractor_predictor(extractor, batch_size: int = 64) -> Predict:
    """A `Predict` over a loaded `EventExtractor`: texts in, predicted articles out."""

    def predict(texts: list[str]) -> list[Article]:
        records = [{"id": f"case-{i}", "text": t} for i, t in enumerate(texts)]
        return [x.to_article() for x in extractor.extract(records, batch_size=batch_size)]

    return predict


def model_predictor(model_dir: str, batch_size: int = 64, runtime: str = "torch") -> Predict:
    from parley.inference.extractor import EventExtractor

    return extractor_predictor(EventExtractor.from_pretrained(model_dir, device="cpu", runtime=runtime), batch_size)


def rules_predictor() -> Predict:
    from keyword_baseline import KeywordBaseline

    from parley.schema import load_schema

    rules = KeywordBaseline(load_schema())
    return lambda texts: [rules.predict({"id": f"case-{i}", "text": t}) for i, t in enumerate(texts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="a model folder written by parley train")
    which.add_argument("--rules", action="store_true", help="score the keyword baseline instead")
    parser.add_argument("--cases", type=int, default=20, help="cases per capability (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--failures", type=int, default=0, help="print up to N failed cases per capability")
    parser.add_argument("--json", help="write rates and failures here")
    parser.add_argument(
        "--runtime",
        choices=("torch", "auto"),
        default="torch",
        help="how the model runs: torch float32 (default; the tables of benchmarks/README.md) or auto, parley "
        "predict's default (static int8 on ONNX Runtime on a CPU)",
    )
    args = parser.parse_args(argv)
    predict = rules_predictor() if args.rules else model_predictor(args.model, runtime=args.runtime)
    result = run_suite(predict, args.cases, args.seed)
    width = max(len(name) for name in result["rates"])
    for name, rate in result["rates"].items():
        print(f"{name:<{width}}  {rate:.2f}  ({round(rate * result['cases'][name])}/{result['cases'][name]})")
        for line in result["failures"].get(name, [])[: args.failures]:
            print(f"    FAIL {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(summary_line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
