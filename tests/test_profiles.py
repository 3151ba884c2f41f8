"""Profiles are validated data; bad ones fail with a message naming the problem."""

import pytest

from fanwen_crawler.profiles import ProfileError, load_profile, parse_profile


def test_bundled_sample_profile_loads() -> None:
    profile = load_profile("sample")
    assert profile.name == "sample"
    assert profile.article_url_patterns, "the sample profile should mark article URLs"
    assert profile.download_delay == 0


def test_unknown_profile_names_the_bundled_ones() -> None:
    with pytest.raises(ProfileError, match=r"bundled profiles: .*sample"):
        load_profile("no-such-portal")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"article_url_patterns": ["("]}, "bad regex"),
        ({"article_url_patterns": "x"}, "must be a list"),
        ({"selectors": {"headline": "h1"}}, "unknown selector field"),
        ({"download_delay": "slow"}, "must be a number"),
    ],
)
def test_bad_profiles_are_rejected(data: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, "bad")


def test_profile_file_path(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('article_url_patterns = ["/\\\\d+\\\\.html$"]\n[selectors]\ntitle = "h1"\n',
                    encoding="utf-8")
    profile = load_profile(str(path))
    assert profile.is_article_url("http://x.cn/123.html")
    assert not profile.is_article_url("http://x.cn/list_2.html")
    assert profile.selectors == {"title": "h1"}
