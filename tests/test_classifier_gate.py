"""The substring pre-scan (TermGate) only skips work: with or without it, every article gets
the same decision. Checked on the development set and on random mixes of its sentences,
cased and uncased, with general-news sentences in between."""

import random
from pathlib import Path

import yaml

from processors import Classifier, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
GENERAL = [
    "Shares rose in early trading as investors weighed the central bank's latest remarks.",
    "The city council approved a new budget for road repairs and public parks on Monday.",
    "Heavy rain is expected across the region through the weekend, forecasters said.",
    "The home side scored twice in the second half to win the cup final.",
    "A new museum of modern art opened its doors to the public on Saturday.",
]


def devset() -> list[dict]:
    items = []
    for path in sorted((ROOT / "tests" / "devset").glob("*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    return items


def comparable(decision) -> dict:
    return decision.model_dump(exclude={"decided_at"})


def test_gated_and_ungated_classifiers_decide_identically():
    ruleset = load_ruleset(ROOT / "config" / "rules.yaml")
    gated = Classifier(ruleset)
    full = Classifier(ruleset)
    full._gate = None  # the path without the pre-scan: tokenize and match everything
    items = devset()
    sentences = [s.strip() + "." for it in items for s in it["text"].split(". ") if s.strip()]
    rng = random.Random(11)
    texts = [(it["title"], it["text"]) for it in items]
    for _ in range(600):
        picked = rng.sample(sentences, 3) + rng.sample(GENERAL, 2)
        rng.shuffle(picked)
        body = " ".join(picked)
        body = rng.choice([body, body.upper(), body.lower()])
        texts.append((rng.choice(GENERAL), body))
    texts += [(g, g) for g in GENERAL]
    skipped = 0
    for i, (title, text) in enumerate(texts):
        a = gated.classify_text(str(i), title, text)
        b = full.classify_text(str(i), title, text)
        assert comparable(a) == comparable(b), (title, text[:200])
        skipped += gated._nothing_may_fire([("title", title), ("text", text)])
    assert 0 < skipped < len(texts)  # both paths were exercised


def test_general_news_is_ruled_out_by_the_prescan_alone():
    """News with no Korea/Japan term must never reach the tokenizer: that is what keeps a
    general feed cheap. An alias like "Prime Minister X" once made every article naming a
    minister look like Japan to the pre-scan."""
    from bench.bench_process import GENERAL as BENCH_GENERAL

    classifier = Classifier(load_ruleset(ROOT / "config" / "rules.yaml"))
    texts = GENERAL + [line for line in BENCH_GENERAL.splitlines() if line.strip()] + [
        "The prime minister met the finance minister and the president at a summit on trade.",
        "Talks between the two parties resumed after a meeting of the leaders on Tuesday."]
    for text in texts:
        assert classifier._nothing_may_fire([("title", "News"), ("content", text)]), text
