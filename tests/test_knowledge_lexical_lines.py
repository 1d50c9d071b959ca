"""The line-level twin of the BM25 indexes: a chunk's best line, blended with the article."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import knowledge.lexical
from knowledge.lexical import LexicalIndex
from knowledge.vntext import fold

LONG_ARTICLE = "\n".join(
    [
        "Điều 5. Trách nhiệm của cơ quan",
        "1. Cơ quan lập kế hoạch công tác hằng năm và báo cáo cấp trên.",
        "2. Cơ quan bố trí kinh phí, cơ sở vật chất cho hoạt động chung.",
        "3. Cơ quan phối hợp với các tổ chức đoàn thể ở địa phương.",
        "4. Người đứng đầu cơ quan tặng giấy khen cho tập thể, cá nhân.",
        "5. Cơ quan lưu trữ hồ sơ theo quy định của pháp luật về lưu trữ.",
    ]
)


def test_line_level_score_is_the_best_line_of_a_chunk() -> None:
    index = LexicalIndex.build(["a", "b"], [LONG_ARTICLE, "Điều 6. Giấy khen\nMẫu giấy khen."])
    query = "người đứng đầu cơ quan tặng giấy khen"
    article = index.scores(query, folded=False) + index.scores(fold(query), folded=True)
    blend = index.blend(query, fold(query))
    assert blend.shape == article.shape == (2,)
    assert blend[0] == pytest.approx(1.0)  # best at both levels
    # a line that does not hold the question's words adds nothing to that line's twin
    only_other = index.blend("kinh phí cơ sở vật chất", "kinh phi co so vat chat")
    assert only_other[1] == 0.0 and only_other[0] > 0.0
    assert LexicalIndex.build([], []).blend("x", "x").size == 0


def test_line_level_share_weighs_the_blend(monkeypatch: pytest.MonkeyPatch) -> None:
    index = LexicalIndex.build(["a", "b"], [LONG_ARTICLE, "Điều 6. Giấy khen\nMẫu giấy khen."])
    query = "tặng giấy khen"
    monkeypatch.setattr(knowledge.lexical, "ARTICLE_SHARE", 1.0)
    article_only = index.blend(query, fold(query))
    raw = index.scores(query, folded=False) + index.scores(fold(query), folded=True)
    assert article_only == pytest.approx(raw / raw.max())
    monkeypatch.setattr(knowledge.lexical, "ARTICLE_SHARE", 0.0)
    lines_only = index.blend(query, fold(query))
    assert not np.allclose(lines_only, article_only)


def test_line_level_indexes_are_saved_and_loaded(tmp_path: Path) -> None:
    index = LexicalIndex.build(["a", "b"], [LONG_ARTICLE, "Điều 6. Giấy khen\nMẫu giấy khen."])
    index.save(tmp_path / "lexical", tag="t1")
    loaded = LexicalIndex.load(tmp_path / "lexical", tag="t1")
    assert loaded is not None
    query = "người đứng đầu tặng giấy khen"
    assert loaded.blend(query, fold(query)) == pytest.approx(index.blend(query, fold(query)))


def test_indexes_saved_without_their_line_level_are_rebuilt(tmp_path: Path) -> None:
    LexicalIndex.build(["a"], [LONG_ARTICLE]).save(tmp_path / "lexical")
    shutil.rmtree(tmp_path / "lexical" / "lines-folded")
    assert LexicalIndex.load(tmp_path / "lexical") is None
