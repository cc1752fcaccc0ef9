"""The spaCy pipeline the processor runs: a blank English tokenizer plus sentence boundaries.

No statistical model, no lemmatizer: rules match lowercase forms and list their variants.

Two tokenizer changes, both measured (see bench/bench_process.py):

* Special cases that contain affix characters ("Feb.", "—", "’", emoticons, whitespace) are
  removed. In spaCy 3.8 one such special case anywhere in a text switches the rest of that
  text off the tokenizer cache: a 3 KB article containing "Feb. 8" took 2.5 ms instead of
  0.1 ms. Abbreviations are kept whole through `token_match` instead, so "Gen. Kim" does
  not end a sentence; plain contractions ("don't") stay special cases.
* CJK full stops (。！？) split a token, so Japanese text, which has no spaces, still gets
  sentence boundaries.
"""

from __future__ import annotations

import re

import spacy
from spacy.language import Language
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


def _plain_special_case(text: str) -> bool:
    core = text.replace("'", "").replace("’", "")
    return len(text) > 1 and "." not in text and core.isalpha()


def make_nlp() -> Language:
    """A blank English pipeline with a cache-friendly tokenizer and a sentencizer."""
    nlp = spacy.blank("en")
    tokenizer = nlp.tokenizer
    tokenizer.rules = {k: v for k, v in tokenizer.rules.items() if _plain_special_case(k)}
    fallback = tokenizer.token_match

    def token_match(text: str):
        return _TOKEN_MATCH.match(text) or (fallback(text) if fallback else None)

    tokenizer.token_match = token_match
    tokenizer.infix_finditer = compile_infix_regex(
        list(nlp.Defaults.infixes) + [f"[{CJK_STOPS}]"]).finditer
    nlp.add_pipe("sentencizer")
    return nlp
