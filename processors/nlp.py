"""The spaCy pipeline the processor runs: a blank English tokenizer, sentences on demand.

No statistical model, no lemmatizer: rules match lowercase forms and list their variants.
Measured choices (bench/bench_process.py):

* No tokenizer special cases. In spaCy 3.8 a special case containing an affix character
  ("'s", "Feb.", "—") disables the tokenizer cache for the rest of the text: a 3 KB article
  containing "Japan's" took 2 ms instead of 0.14 ms. Suffix rules still split "Japan's" into
  "Japan" + "'s"; abbreviations ("Gen.", "Feb.", "U.S.") are kept whole through
  `token_match`, so they do not end a sentence.
* A larger tokenizer cache (TOKENIZER_CACHE).
* CJK full stops (。！？) split a token, so Japanese text, which has no spaces, still gets
  sentence boundaries; a token also splits where Latin script meets Hangul or CJK
  ("GSOMIA破棄" -> "GSOMIA", "破棄"), so Latin aliases match in Korean and Japanese text.
* Only cheap lexical attributes are computed for a new word (see LEXICAL_ATTRS): a word's
  shape, stop-word flag, URL/e-mail/number look-alike flags cost Python calls for every new
  word and no rule needs them. Token patterns may use only the attributes listed here.
* Sentence boundaries are computed only for fields that contain a term (most articles of a
  general feed contain none), with the sentencizer's rule vectorized (`sentence_starts`).
"""

from __future__ import annotations

import re
import weakref

import numpy
import spacy
from spacy.attrs import (IS_ALPHA, IS_DIGIT, IS_LOWER, IS_PUNCT, IS_SPACE, IS_TITLE,
                         IS_UPPER, LOWER, NORM, ORTH)
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

_ABBREVIATIONS = (
    "Adm Brig Capt Cmdr Col Cpl Gen Gov Lt Maj Pfc Pvt Rep Sen Sgt Gens Sens Reps "
    "Mr Mrs Ms Dr Prof Jr Sr St No Nos Vol Co Corp Inc Ltd Bros Dept Govt Univ Ave "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thurs Fri Sat Sun "
    "vs etc approx est"
).split()
_DOTTED = r"(?:[A-Za-z]\.){2,}"  # U.S., U.N., D.C., p.m.
_TOKEN_MATCH = re.compile(
    r"^(?:(?:" + "|".join(_ABBREVIATIONS) + r")\.|" + _DOTTED + r")$")
CJK_STOPS = "。！？"
_CJK = "\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
_SCRIPT_BOUNDARIES = (rf"(?<=[A-Za-z0-9])(?=[{_CJK}])", rf"(?<=[{_CJK}])(?=[A-Za-z0-9])")
"""Zero-width splits where Latin letters or digits meet Hangul, kana or CJK: Korean and
Japanese write Latin names without a space ("GSOMIA破棄", "GSOMIA는"), and a Latin alias
matches whole tokens only."""
TOKENIZER_CACHE = 250_000
"""Chunks the tokenizer caches. spaCy's default, 10,000, fills within minutes of news, after
which every new chunk takes the slow path (measured: 1.5 ms instead of 0.1 ms per 3 KB
article). Bounded: a pipeline renewal (Classifier.renew) starts a new cache."""

LEXICAL_ATTRS = (LOWER, NORM, IS_ALPHA, IS_DIGIT, IS_LOWER, IS_PUNCT, IS_SPACE, IS_TITLE,
                 IS_UPPER)
"""Lexical attributes computed for every word; token patterns may use these (and ORTH/TEXT,
LENGTH, which spaCy always has)."""
PATTERN_KEYS = frozenset({"ORTH", "TEXT", "LOWER", "NORM", "LENGTH", "IS_ALPHA", "IS_DIGIT",
                          "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER", "OP"})


def make_nlp() -> Language:
    """A blank English pipeline with a cache-friendly tokenizer. Sentence boundaries come from
    `sentence_starts(nlp, doc)`, computed only for fields where a term was found."""
    nlp = spacy.blank("en")
    getters = nlp.vocab.lex_attr_getters
    nlp.vocab.lex_attr_getters = {k: getters[k] for k in LEXICAL_ATTRS if k in getters}
    tokenizer = nlp.tokenizer
    tokenizer.rules = {}
    fallback = tokenizer.token_match

    def token_match(text: str):
        return _TOKEN_MATCH.match(text) or (fallback(text) if fallback else None)

    tokenizer.token_match = token_match
    tokenizer.max_cache_size = TOKENIZER_CACHE
    tokenizer.infix_finditer = compile_infix_regex(
        list(nlp.Defaults.infixes) + [f"[{CJK_STOPS}]", *_SCRIPT_BOUNDARIES]).finditer
    return nlp


_SENTENCE_END = (".", "!", "?", "...", "…", "。", "！", "？", "!!", "??", "?!", "!?", "..")
_CLOSERS = ('"', "'", "”", "’", "»", ")", "]", "」", "』", "）", "''")


class _Marks:
    """Sorted ORTH ids of sentence-final marks (kind 1) and closing quotes/brackets (kind 2)."""

    def __init__(self, nlp: Language) -> None:
        pairs = sorted({nlp.vocab.strings.add(p): 1 for p in _SENTENCE_END}.items()
                       | {nlp.vocab.strings.add(p): 2 for p in _CLOSERS}.items())
        self.ids = numpy.array([k for k, _ in pairs], dtype=numpy.uint64)
        self.kinds = numpy.array([v for _, v in pairs], dtype=numpy.int8)

    def kinds_of(self, orth: numpy.ndarray) -> numpy.ndarray:
        pos = numpy.minimum(numpy.searchsorted(self.ids, orth), len(self.ids) - 1)
        return numpy.where(self.ids[pos] == orth, self.kinds[pos], 0)


_MARKS: "weakref.WeakKeyDictionary[Language, _Marks]" = weakref.WeakKeyDictionary()


def sentence_starts(nlp: Language, doc: Doc) -> list[int]:
    """Token indices where sentences start.

    The rule of spaCy's sentencizer (a sentence starts after a sentence-final mark and the
    quotes or brackets that close it), vectorized over the ORTH column: the sentencizer
    component visits every token from Python and cost more than tokenizing (1.2 ms for a
    3 KB article); this costs about 30 us.
    """
    n = len(doc)
    if n == 0:
        return [0]
    marks = _MARKS.get(nlp)
    if marks is None:
        marks = _MARKS[nlp] = _Marks(nlp)
    kinds = marks.kinds_of(doc.to_array(ORTH))
    starts = [0]
    last = -1
    for i in numpy.flatnonzero(kinds == 1).tolist():
        if i <= last:
            continue
        j = i + 1
        while j < n and kinds[j]:
            j += 1
        last = j
        if j < n and j != starts[-1]:
            starts.append(j)
    return starts
