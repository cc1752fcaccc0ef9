"""The processor stage: articles -> decisions, with spaCy rules from config/rules.yaml.

Offline API (used by `newswatch classify`, `rules test` and by replays and audits):

    from processors import load_ruleset, Classifier
    ruleset = load_ruleset("config/rules.yaml")      # ConfigFileError lists every problem
    ruleset.version, ruleset.name, ruleset.record()  # version = sha256(file bytes)[:12]
    clf = Classifier(ruleset)
    clf.classify_article(article, provenance=None)    # newswatch.messages.Article -> Decision
    clf.classify_text("id", "title", "text")          # plain text -> Decision
    clf.explain([("title", t), ("text", x)])          # Verdict with points per category/rule

The same article under the same ruleset always gives the same decision (apart from
`decided_at`). A Classifier is for one thread; it keeps memory bounded over long runs by
itself (see Classifier.explain). Streaming: `processors.service.run(settings, stop)`.

Layout: rules/ (schema.py: the rules file; one module per rule kind: terms.py, tokens.py,
regex.py, registered in rules.base.RULE_KINDS), nlp.py (the spaCy pipeline), ruleset.py
(load, version, compile), fielddoc.py + conditions.py (what rules ask about a field),
classifier.py (scoring), reload.py (live reload), service.py (Kafka), inputs.py (offline
input files).
"""

from processors.classifier import Classifier, Verdict
from processors.ruleset import Ruleset, load_ruleset, load_ruleset_bytes

__all__ = ["Classifier", "Ruleset", "Verdict", "load_ruleset", "load_ruleset_bytes"]
