"""A naive keyword baseline, to show what the rules add over plain keyword search.

A category is raised when the text (title + body, any position) contains a keyword of the
category and, for cooperation and drills, mentions both Korea and Japan. No context, no
weights, no exclusions: this is what a watch officer would get from a saved search.

    from bench.baseline import classify
    classify("title", "text")  # -> ("cooperation", ...)
"""

from __future__ import annotations

import re

_KOREA = r"(?:\bS(?:outh|\.) ?Korea|\bSeoul\b|\bROK\b|한국|대한민국|한일|한미일|韓国|日韓|韓日|日米韓|韓米日)"
_JAPAN = r"(?:\bJapan|\bTokyo\b|일본|한일|한미일|日本|日韓|韓日|日米韓|韓米日)"

_KEYWORDS = {
    "cooperation": r"(?:\bdefen[cs]e (?:minister|chief|talks|cooperation)|\bsecurity cooperation"
                   r"|\bGSOMIA\b|\bintelligence[- ]sharing|\btrilateral\b|국방장관|안보협력|지소미아"
                   r"|군사정보|防衛相|安全保障協力|防衛協力|軍事情報)",
    "dispute": r"(?:\bDokdo\b|\bTakeshima\b|\bLiancourt\b|독도|竹島|獨島|\bradar lock"
               r"|\bGSOMIA\b.{0,60}\b(?:terminat|end|scrap|suspend)|레이더 조준|レーダー照射)",
    "drills": r"(?:\bdrills?\b|\bexercises?\b|훈련|訓練|演習)",
}
_PATTERNS = {cat: re.compile(rx, re.IGNORECASE) for cat, rx in _KEYWORDS.items()}
_K, _J = re.compile(_KOREA), re.compile(_JAPAN)
_NEEDS_PAIR = {"cooperation", "drills"}


def classify(title: str, text: str) -> tuple[str, ...]:
    """Categories the naive keyword search raises (drills implies cooperation)."""
    whole = f"{title}\n{text}"
    pair = bool(_K.search(whole)) and bool(_J.search(whole))
    raised = {cat for cat, rx in _PATTERNS.items()
              if rx.search(whole) and (cat not in _NEEDS_PAIR or pair)}
    if "drills" in raised:
        raised.add("cooperation")
    return tuple(c for c in ("cooperation", "dispute", "drills") if c in raised)
