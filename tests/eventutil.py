"""Reports of one event in three languages, written here, decided by the default rules."""

from __future__ import annotations

from datetime import datetime, timezone

from newswatch.messages import Decision
from processors import Classifier, load_ruleset
from tests.processutil import DEFAULT_RULES

TAKESHIMA_DAY = [  # (article id, feed, outlet, language, published, title, text)
    ("ev-ko", "yonhap-ko", "Yonhap", "ko", "2025-02-22T02:10:00+00:00",
     "정부, 日 '다케시마의 날' 행사에 강력 항의…총괄공사 초치",
     "외교부는 22일 일본 시마네현이 이른바 '다케시마의 날' 행사를 열고 중앙정부 정무관을 "
     "보낸 데 대해 강력히 항의하며 주한 일본대사관 총괄공사를 불러들였다. 정부는 독도가 "
     "역사적·지리적·국제법적으로 우리 고유의 영토라고 강조했다. 행사는 올해 20번째다."),
    ("ev-ja", "nhk-ja", "NHK", "ja", "2025-02-22T04:30:00+00:00",
     "「竹島の日」式典に韓国が抗議　総括公使を呼び出し",
     "韓国外務省は22日、島根県が開いた「竹島の日」の式典に政府が政務官を出席させたことに"
     "抗議し、在韓国日本大使館の総括公使を呼び出した。韓国側は竹島を自国の領土だと主張して"
     "いる。式典は20回目となった。"),
    ("ev-en", "kyodo-en", "Kyodo", "en", "2025-02-22T07:45:00+00:00",
     "South Korea summons Japanese envoy over Takeshima Day ceremony",
     "SEOUL, Feb. 22 (Kyodo) -- South Korea summoned a senior Japanese diplomat on Saturday "
     "to protest a ceremony held by Shimane Prefecture to assert Japan's claim to the Dokdo "
     "islets, which Japan calls Takeshima. The annual event, attended by a government "
     "official from Tokyo, was the 20th."),
]

# Shares the vocabulary, is another event: a textbook-screening protest the next day.
TEXTBOOK_PROTEST = (
    "ev-other", "herald-en", "Korea Herald", "en", "2025-02-23T09:00:00+00:00",
    "Seoul protests Japanese textbooks that claim Dokdo",
    "South Korea on Sunday, Feb. 23, lodged a protest with Japan after its education ministry "
    "approved high school textbooks describing the Dokdo islets as Japanese territory, and "
    "summoned a Japanese diplomat in Seoul.")


def decide(report: tuple, classifier: Classifier | None = None,
           decided_at: datetime | None = None) -> Decision:
    """The decision the processor would produce (decided now, so the alerter takes it)."""
    classifier = classifier or Classifier(load_ruleset(DEFAULT_RULES))
    aid, feed, outlet, language, published, title, text = report
    return classifier.classify_text(
        aid, title, text, url=f"https://news.example.org/{aid}", source=outlet, feed_id=feed,
        language=language, published_at=datetime.fromisoformat(published),
        decided_at=decided_at or datetime.now(timezone.utc))
