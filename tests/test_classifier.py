"""Classification: categories, evidence down to the sentence, scripts, exclusions, determinism."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newswatch.messages import Provenance
from processors import Classifier, load_ruleset
from processors.inputs import read_input
from tests.processutil import DEFAULT_RULES, SEED, SMALL_RULES, article, write_rules


@pytest.fixture(scope="module")
def default() -> Classifier:
    return Classifier(load_ruleset(DEFAULT_RULES))


@pytest.fixture
def small(tmp_path) -> Classifier:
    return Classifier(load_ruleset(write_rules(tmp_path)))


def assert_spans_point_at_text(fields: dict[str, str], matches) -> None:
    for m in matches:
        assert fields[m.field][m.start:m.end] == m.text
        assert m.text in m.sentence


class TestSeedArticle:
    def test_seed_is_cooperation_with_background_evidence_visible(self, default):
        art = read_input(SEED)[0]
        decision = default.classify_text(art.id, art.title, art.text)
        assert decision.categories == ("cooperation",)
        assert decision.severity == "medium"
        by_category = {m.category for m in decision.matches}
        assert {"cooperation", "dispute", "drills"} <= by_category
        texts = {m.text for m in decision.matches}
        assert "Dokdo islets" in texts
        assert "General Security of Military Information Agreement" in texts
        assert "drills" in texts
        assert_spans_point_at_text({"title": art.title, "text": art.text}, decision.matches)
        gsomia = next(m for m in decision.matches if m.text.startswith("General Security"))
        assert gsomia.sentence.startswith("Bilateral security cooperation faced a major setback")

    def test_the_same_background_in_the_lead_raises_dispute(self, default):
        """Background mentions stay background; the same sentence as the story's lead counts."""
        art = read_input(SEED)[0]
        sentence = next(s for s in art.text.split("\n") if "Dokdo islets" in s)
        verdict = default.explain([("title", "Seoul protests Tokyo's claim to Dokdo islets"),
                                   ("text", sentence)])
        assert "dispute" in verdict.categories


    def test_background_paragraph_listing_past_rows_is_not_a_dispute(self, default):
        text = (
            "South Korea and Japan agreed Friday to hold defense ministerial talks every "
            "year, Seoul's defense ministry said. The agreement came as Defense Minister Ahn "
            "Gyu-back met his Japanese counterpart in Tokyo. The two also agreed to expand "
            "exchanges between their militaries. Bilateral ties had been badly strained in "
            "2018 and 2019 by a row over wartime forced labor, Japan's export controls on "
            "chip materials, Seoul's threat to terminate the GSOMIA intelligence-sharing "
            "pact and a dispute over a radar lock-on incident. Japan's repeated claims to "
            "the Dokdo islets have also drawn protests from Seoul.")
        verdict = default.explain([
            ("title", "S. Korea, Japan agree to launch regular defense ministerial talks"),
            ("text", text)])
        assert verdict.categories == ("cooperation",)
        assert verdict.category_points["dispute"] >= 4  # above the threshold, body only
        assert {m.rule_id for m in verdict.matches} >= {
            "dispute-gsomia-threat", "dispute-export-controls", "dispute-radar-patrol"}


    def test_background_cooperation_in_a_dispute_story_stays_background(self, default):
        text = (
            "Japan lodged a protest on Tuesday after South Korean lawmakers visited the Dokdo "
            "islets. Tokyo called the visit unacceptable. The row comes months after the two "
            "countries' defense ministers met in Tokyo and agreed to deepen security "
            "cooperation. Seoul and Tokyo have also expanded defense exchanges and restored "
            "their security cooperation with Washington.")
        verdict = default.explain([("title", "Japan protests lawmakers' Dokdo visit"),
                                   ("text", text)])
        assert verdict.categories == ("dispute",)
        assert verdict.category_points["cooperation"] >= 4  # body only: below body_threshold


class TestScriptsAndParticles:
    def test_korean_term_with_particle_attached(self, small):
        text = "독도는 한국 땅이다. 일본은 독도에 대해 항의했다."
        verdict = small.explain([("text", text)])
        assert verdict.categories == ("dispute",)
        hits = [m for m in verdict.matches if m.rule_id == "dokdo-protest"]
        assert [m.text for m in hits] == ["독도"]
        assert hits[0].sentence == "일본은 독도에 대해 항의했다."
        assert_spans_point_at_text({"text": text}, verdict.matches)

    def test_japanese_without_spaces_gets_sentences(self, small):
        text = "防衛省は発表した。日本政府は竹島について韓国に抗議した。"
        verdict = small.explain([("text", text)])
        assert verdict.categories == ("dispute",)
        assert verdict.matches[0].text == "竹島"
        assert verdict.matches[0].sentence == "日本政府は竹島について韓国に抗議した。"

    @pytest.mark.parametrize("title, text, expected", [
        ("北朝鮮が弾道ミサイル発射", "北朝鮮が弾道ミサイルを発射した。日米韓はミサイル発射に関する情報を共有した。",
         ("cooperation",)),
        ("북한, 탄도미사일 발사", "북한이 탄도미사일을 발사했다. 한미일은 미사일 경보정보를 실시간 공유했다.",
         ("cooperation",)),
        ("한일 관광 교류", "한국과 일본 관광 당국이 관광 정보를 공유하기로 했다.", ()),
    ])
    def test_shared_launch_data_in_korean_and_japanese(self, default, title, text, expected):
        assert default.explain([("title", title), ("text", text)]).categories == expected

    def test_latin_terms_match_whole_words_only(self, small):
        verdict = small.explain([("text", "The Dokdoan festival drew a protest.")])
        assert verdict.matches == ()


class TestExclusions:
    def test_unless_phrase_drops_the_ship(self, small):
        verdict = small.explain([("text", "The ROKS Dokdo sailed; crews protested the heat.")])
        assert verdict.matches == ()

    @pytest.mark.parametrize("title, text", [
        ("ROKS Dokdo leads landing drill with US Marines",
         "South Korea's amphibious assault ship ROKS Dokdo led a combined landing exercise "
         "with US Marines on Tuesday. The Dokdo carried helicopters. The drill is part of "
         "Freedom Shield."),
        ("Japan, Philippines sign GSOMIA",
         "Japan and the Philippines signed a General Security of Military Information "
         "Agreement on Monday. The GSOMIA lets Tokyo and Manila share classified data."),
        ("US, Japan begin Keen Sword drills",
         "Japan and the United States launched their Keen Sword exercise on Wednesday."),
        ("Quad ministers meet", "Foreign ministers of the United States, Japan, India and "
         "Australia held trilateral and Quad talks on maritime security cooperation."),
        ("North Korea fires missile", "North Korea fired a ballistic missile on Wednesday, "
         "South Korea's military said. Japan said it fell outside its exclusive economic zone."),
    ])
    def test_hard_negatives_raise_nothing(self, default, title, text):
        assert default.explain([("title", title), ("text", text)]).categories == ()

    def test_launch_report_counts_when_data_was_shared(self, default):
        text = ("North Korea fired a ballistic missile on Wednesday, South Korea's military "
                "said. Japan said it fell outside its exclusive economic zone. South Korea, "
                "the United States and Japan shared real-time missile warning data on the "
                "launch, the Joint Chiefs of Staff said.")
        verdict = default.explain([("title", "North Korea fires missile"), ("text", text)])
        assert verdict.categories == ("cooperation",)


class TestScoring:
    def test_drills_imply_cooperation_and_severity_is_the_highest(self, small):
        verdict = small.explain([
            ("title", "South Korea and Japan hold joint drill"),
            ("text", "Tokyo protested a visit to Dokdo.")])
        assert verdict.categories == ("dispute", "drills", "cooperation")
        assert verdict.severity == "high"
        assert verdict.category_points["drills"] == 4.0  # score 2 x title weight 2

    def test_score_below_threshold_raises_nothing_but_keeps_evidence(self, small):
        verdict = small.explain([("text", "Officials gathered in the capital on Monday. "
                                            "The weather was cold for the time of year. "
                                            "South Korea and Japan held a drill.")])
        assert verdict.categories == () and verdict.severity == "none"
        assert [m.rule_id for m in verdict.matches] == ["joint-drill"]
        assert verdict.score == 2.0  # body weight 1 x score 2, below threshold 3

    def test_datelines_photo_credits_and_bylines_do_not_take_the_lead(self, small):
        # Real pages open with such lines; the story's first sentences are still its lead.
        text = ("2024-11-17. Photo: Yonhap News Agency file photo of the harbour. By Kim Min-ji. "
                "South Korea and Japan held a drill. The weather was cold for the time of year.")
        verdict = small.explain([("text", text)])
        assert verdict.categories == ("drills", "cooperation")
        assert verdict.category_points["drills"] == 3.0  # score 2 x lead weight 1.5

    def test_a_lead_of_furniture_only_is_bounded(self, small):
        text = "Menu. Share. Print. Photo: archive. Updated today. " * 3 + \
            "South Korea and Japan held a drill."
        assert small.explain([("text", text)]).categories == ()

    def test_token_patterns_run_only_in_sentences_with_an_anchor(self, tmp_path):
        text = SMALL_RULES + """\
  - id: staged
    category: drills
    score: 5
    kind: tokens
    anchor: [korea]
    patterns:
      - [{LOWER: staged}, {OP: "?"}, {LOWER: {IN: [drill, drills]}}]
"""
        clf = Classifier(load_ruleset(write_rules(tmp_path, text)))
        hit = clf.explain([("text", "Seoul staged new drills.")])
        miss = clf.explain([("text", "Manila staged new drills.")])
        assert [m.rule_id for m in hit.matches] == ["staged"] and hit.matches[0].text == \
            "staged new drills"
        assert miss.matches == ()

    def test_case_sensitive_list(self, tmp_path):
        text = (SMALL_RULES + """\
  - id: us-forces
    category: cooperation
    score: 2
    terms: [us]
""").replace("terms:\n", "terms:\n  us: {aliases: [US], case_sensitive: true}\n", 1)
        clf = Classifier(load_ruleset(write_rules(tmp_path, text)))
        assert clf.explain([("text", "Tell us more.")]).matches == ()
        assert clf.explain([("text", "The US said so.")]).matches[0].text == "US"


class TestDecision:
    def test_decision_copies_the_article_and_provenance(self, default):
        art = article("x1", title="S. Korea, Japan defense ministers hold talks in Tokyo",
                      content="The two defense ministers agreed to expand exchanges.",
                      tags=("asia",), published_at=datetime(2026, 1, 30, tzinfo=timezone.utc))
        where = Provenance(topic="newswatch.articles", partition=2, offset=41)
        decision = default.classify_article(art, provenance=where)
        assert decision.article_id == "x1" and decision.categories == ("cooperation",)
        assert (decision.title, decision.url, decision.source, decision.feed_id,
                decision.tags, decision.published_at, decision.content_hash) == (
            art.title, art.url, art.source, art.feed_id, art.tags, art.published_at,
            art.content_hash)
        assert decision.input == where
        assert decision.ruleset.version == default.ruleset.version

    def test_same_article_same_ruleset_same_decision(self, default):
        art = read_input(SEED)[0]
        first = default.classify_text(art.id, art.title, art.text)
        second = Classifier(load_ruleset(DEFAULT_RULES)).classify_text(art.id, art.title,
                                                                        art.text)
        strip = {"decided_at"}
        assert first.model_dump(exclude=strip) == second.model_dump(exclude=strip)

    def test_summary_repeated_in_content_is_not_counted_twice(self, default):
        lead = "South Korea and Japan held a joint naval exercise on Monday."
        art = article("x2", title="Navies train", summary=lead,
                      content=lead + " It was the first such exercise this year.")
        fields = {m.field for m in default.classify_article(art).matches}
        assert "summary" not in fields and "content" in fields

    def test_unmatched_article_still_gets_a_decision(self, default):
        decision = default.classify_article(article("x3", title="Stocks rise",
                                                    content="Markets were calm."))
        assert decision.categories == () and decision.severity == "none"
        assert decision.matches == () and decision.score == 0.0


class TestMemory:
    def test_string_store_stays_bounded_with_new_words(self, tmp_path):
        ruleset = load_ruleset(write_rules(tmp_path))
        strings = ruleset.nlp.vocab.strings
        bound = len(strings) + 100
        clf = Classifier(ruleset, max_strings=bound)

        def run(start: int, count: int) -> None:
            for i in range(start, start + count):
                words = " ".join(f"Zq{i}x{j}" for j in range(30))
                verdict = clf.explain([("title", f"Novel {i}"),
                                       ("text", f"Seoul and Tokyo held a drill {words}.")])
                assert verdict.matches  # still classifying inside the memory zones

        run(0, 10)  # below the bound: these words become permanent
        filled = len(strings)
        assert filled >= bound
        run(10, 300)
        assert len(strings) == filled


class TestRenewal:
    def test_renewed_pipeline_gives_the_same_decisions(self, tmp_path):
        ruleset = load_ruleset(write_rules(tmp_path))
        first_nlp = ruleset.nlp
        clf = Classifier(ruleset, max_strings=0, renew_after=3)
        fields = [("title", "South Korea and Japan hold joint drill"),
                  ("text", "Tokyo protested a visit to Dokdo. 독도는 한국 땅이다.")]
        first = clf.explain(fields)
        for _ in range(5):
            again = clf.explain(fields)
            assert again == first
        assert clf.renewals >= 1 and clf.nlp is ruleset.nlp is not first_nlp
        assert clf.ruleset.version == ruleset.version
