"""Scale-out: `newswatch collect --shard K/N` splits the feed list across instances."""

import subprocess
import sys

import pytest

from collectors.config import Feed, FeedsConfig
from newswatch.cli.cmd_collect import parse_shard
from newswatch.errors import InputError


def config(n: int) -> FeedsConfig:
    return FeedsConfig(feeds=tuple(Feed(id=f"feed-{i}", url=f"https://news{i}.example.org/rss")
                                   for i in range(n)))


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_feed_is_in_exactly_one_share(count):
    whole = config(60)
    shares = [whole.shard(i, count) for i in range(count)]
    ids = [f.id for share in shares for f in share.feeds]
    assert sorted(ids) == sorted(f.id for f in whole.feeds)
    assert len(ids) == len(set(ids))
    if count > 1:
        assert all(0 < len(share.feeds) < 60 for share in shares)


def test_the_split_ignores_order_and_new_feeds_move_no_others():
    whole = config(40)
    reordered = whole.model_copy(update={"feeds": tuple(reversed(whole.feeds))})
    grown = config(41)
    for i in range(3):
        before = {f.id for f in whole.shard(i, 3).feeds}
        assert before == {f.id for f in reordered.shard(i, 3).feeds}
        assert before <= {f.id for f in grown.shard(i, 3).feeds}


@pytest.mark.parametrize("text, expected", [("1/3", (0, 3)), (" 3 / 3 ", (2, 3)), ("1/1", (0, 1))])
def test_shard_option_is_one_based(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_is_an_input_error(text):
    with pytest.raises(InputError, match="is not K/N"):
        parse_shard(text)


def test_cli_rejects_a_bad_shard_with_exit_2():
    result = subprocess.run([sys.executable, "-m", "newswatch", "collect", "--once",
                             "--shard", "5/2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "is not K/N" in result.stderr and "Traceback" not in result.stderr


def test_two_instances_collect_every_sample_article_once(settings, topics, tmp_path):
    from collections import Counter

    from collectors import service
    from collectors.seeds import SeedFeedServer, write_demo_feeds_config
    from newswatch.messages import Article
    from tests.kafkautil import read_topic

    with SeedFeedServer() as server:
        path = write_demo_feeds_config(tmp_path / "feeds.yaml", server.base_url)
        produced = 0
        for index in range(2):
            own = settings.model_copy(update={"state_dir": tmp_path / f"state-{index}"})
            summary = service.run(own, once=True, feeds_path=path, shard=(index, 2))
            assert summary.errors == 0
            produced += summary.produced
    articles = [a for a in read_topic(settings, topics.articles, expect=produced)
                if isinstance(a, Article)]
    counts = Counter(a.id for a in articles)
    assert produced == len(counts) >= 10
    assert set(counts.values()) == {1}
