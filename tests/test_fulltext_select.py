"""fulltext.select: a paper's text fitted into a token budget, section by section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dailypapers.errors import UsageError
from dailypapers.fulltext.sectioning import (
    ABSTRACT,
    APPENDIX,
    CONCLUSION,
    CORE,
    INTRO,
    METHOD,
    REFERENCES,
    REST,
    RESULTS,
    classify,
    classify_sections,
)
from dailypapers.fulltext.select import estimate_tokens, select_text
from dailypapers.models import FullText, Section

# -- a small paper written for these tests ------------------------------------------------------

TABLE = "\n".join(
    ["| Model | Notes | Acc. |", "| --- | --- | --- |"]
    + [f"| Baseline-{i} | Trained on web data. Tested on QA. | {70 + i}.{i} |" for i in range(12)]
)


def _para(topic: str, n: int) -> str:
    sentences = [
        f"We describe the {topic} in step {i}, following Fig. {i} and the work of Smith et al. "
        f"on scaling, where the loss is $\\mathcal{{L}}_{{{i}}} = \\sum_j x_j. y$ for all inputs."
        for i in range(1, n + 1)
    ]
    return " ".join(sentences)


def paper() -> FullText:
    return FullText(
        paper_id="2601.00001",
        source="html",
        abstract=_para("abstract", 3),
        sections=[
            Section(title="1 Introduction", text=f"{_para('problem', 4)}\n\n{_para('gap', 3)}"),
            Section(title="2 Related Work", text=_para("prior work", 6)),
            Section(title="3 Our Approach", text=_para("encoder", 2)),
            Section(
                title="3.1 Training objective",
                level=2,
                text=f"{_para('objective', 3)}\n\n$$\\mathcal{{L}} = a + b$$\n\n"
                f"{_para('tricks', 2)}",
            ),
            Section(
                title="4 Experiments",
                text=f"{_para('setup', 3)}\n\n{TABLE}\n\n"
                "- first finding is strong.\n- second finding is weak.\n- third finding.",
            ),
            Section(title="5 Conclusion", text=_para("summary", 2)),
            Section(title="Acknowledgments", text="We thank the reviewers."),
            Section(title="A Proofs", text=_para("proof", 8)),
            Section(title="A.1 Lemma", level=2, text=_para("lemma", 4)),
        ],
        references=["[1] J. Smith. Scaling things. 2024.", "[2] A. Lee. More things. 2025."],
    )


def _paragraphs(ft: FullText) -> set[str]:
    """Every paragraph of the paper, as the selector may keep it whole."""
    body = ft.markdown + "\n## References\n\n" + "\n".join(ft.references)
    return {p.strip() for p in body.split("\n\n") if p.strip()}


def _assert_cut_at_boundaries(text: str, ft: FullText) -> None:
    originals = _paragraphs(ft)
    for block in (b.strip() for b in text.split("\n\n")):
        if not block or block == "[…]" or block in originals:
            continue
        parent = [p for p in originals if p.startswith(block)]
        assert parent, f"not a part of any paragraph: {block[:80]!r}"
        # A cut ends a sentence (or a list item), never inside a word, a formula or a table row.
        assert not block.startswith("|"), "a table was split"
        assert re.search(r"[.!?。]$", block), f"cut inside a sentence: {block[-80:]!r}"
        assert block.count("$") % 2 == 0, "cut inside $…$"


def _headings(text: str) -> list[str]:
    return re.findall(r"^#+ (.+)$", text, re.M)


# -- estimate_tokens ----------------------------------------------------------------------------


def test_estimate_tokens_heuristic():
    assert estimate_tokens("") == 0
    english = "The quick brown fox jumps over the lazy dog and keeps running far away "
    assert estimate_tokens(english * 100) == pytest.approx(len(english) * 100 / 4, rel=0.02)
    assert estimate_tokens("本文研究了该问题") == 8  # one token per CJK character
    latex = r"$\mathcal{L}(\theta) = \sum_{i=1}^{N} \log p_\theta(x_i)$"
    assert estimate_tokens(latex) > len(latex) / 4  # symbols cost more than letters
    assert estimate_tokens("a" * 7) == 2  # rounded up


# -- classes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "cls"),
    [
        ("1 Introduction", INTRO),
        ("I. INTRODUCTION", INTRO),
        ("2 Related Work", REST),
        ("3.2 Proposed Method", METHOD),
        ("Methodology", METHOD),
        ("4 Experimental Results", RESULTS),
        ("5 Evaluation", RESULTS),
        ("6 Conclusion and Future Work", CONCLUSION),
        ("Acknowledgements", APPENDIX),
        ("Appendix B Extra Results", APPENDIX),
        ("References", REFERENCES),
        ("Abstract", ABSTRACT),
        ("3 Refusal Index", None),
    ],
)
def test_classify_titles(title, cls):
    assert classify(title) == cls


def test_classify_by_place():
    titles = [
        "1 Introduction",
        "2 Background",
        "3 Refusal Index",
        "4 Experiments",
        "5 Perspectives",
        "6 Conclusion",
        "A Prompts",
        "B Results on SimpleQA",
        "References",
    ]
    assert classify_sections(titles) == [
        INTRO,
        REST,
        METHOD,  # an unknown title between the first section and the results
        RESULTS,
        REST,  # unknown again, but after the results
        CONCLUSION,
        APPENDIX,  # lettered after numbered sections
        APPENDIX,
        REFERENCES,
    ]


# -- selection ----------------------------------------------------------------------------------


def test_everything_fits():
    ft = paper()
    chosen = select_text(ft, 100_000)
    expected = ft.markdown.rstrip("\n") + "\n\n## References\n\n" + "\n".join(ft.references) + "\n"
    assert chosen.text == expected
    assert chosen.tokens == estimate_tokens(expected)
    assert chosen.dropped == [] and not chosen.truncated
    assert chosen.kept[0] == "Abstract" and chosen.kept[-1] == "References"


def test_priority_order_whole_sections_and_original_order():
    ft = paper()
    core = ["Abstract", "1 Introduction", "3 Our Approach", "4 Experiments", "5 Conclusion"]
    for budget in range(200, estimate_tokens(ft.markdown) + 200, 25):
        chosen = select_text(ft, budget)
        assert chosen.tokens <= budget
        kept = [k.removesuffix(" (partial)") for k in chosen.kept]
        # Related work, back matter, appendices and references only when the core is whole.
        if any(k not in core for k in kept):
            assert all(k in chosen.kept for k in core), (budget, chosen.kept)
        if "A Proofs" in kept:
            assert "2 Related Work" in chosen.kept and "Acknowledgments" in chosen.kept
        if "References" in kept:
            assert "A Proofs" in chosen.kept
        headings = _headings(chosen.text)
        all_headings = _headings(ft.markdown + "\n## References\n")
        assert headings == [h for h in all_headings if h in headings]  # the paper's order
        assert set(kept) | set(chosen.dropped) == {"References", "Abstract"} | {
            s.title for s in ft.sections if s.level == 1
        }
        _assert_cut_at_boundaries(chosen.text, ft)


def test_a_tight_budget_keeps_a_part_of_every_core_section():
    ft = paper()
    chosen = select_text(ft, 700)
    assert chosen.truncated
    assert chosen.tokens <= 700
    assert "Abstract" in chosen.kept
    for title in ("1 Introduction", "3 Our Approach", "4 Experiments", "5 Conclusion"):
        assert title in chosen.kept or f"{title} (partial)" in chosen.kept, chosen.kept
    assert {"2 Related Work", "A Proofs", "References"} <= set(chosen.dropped)
    assert chosen.text.count("[…]") == sum(k.endswith("(partial)") for k in chosen.kept)
    _assert_cut_at_boundaries(chosen.text, ft)


def test_sentences_are_not_cut_after_abbreviations_or_inside_math():
    ft = paper()
    for budget in range(60, 400, 7):
        chosen = select_text(ft, budget)
        assert chosen.tokens <= budget
        assert not re.search(r"(?:Fig|et al)\.\n", chosen.text)
        _assert_cut_at_boundaries(chosen.text, ft)


def test_tables_are_never_split():
    ft = paper()
    for budget in range(300, 3000, 11):
        text = select_text(ft, budget).text
        rows = [line for line in text.splitlines() if line.startswith("|")]
        assert len(rows) in (0, len(TABLE.splitlines()))


def test_abstract_only_text():
    ft = FullText(paper_id="2601.00001", source="abstract", abstract="One. Two. Three.")
    assert select_text(ft, 1000).text == "## Abstract\n\nOne. Two. Three.\n"
    tight = select_text(ft, 8)
    assert tight.text == "## Abstract\n\nOne.\n\n[…]\n"
    assert tight.kept == ["Abstract (partial)"] and tight.truncated
    nothing = select_text(ft, 1)
    assert nothing.text == "" and nothing.dropped == ["Abstract"] and nothing.tokens == 0


def test_chinese_sentences_are_cut_after_their_full_stop():
    ft = FullText(
        paper_id="2601.00001", source="abstract", abstract="第一句话很短。第二句话也很短。第三句。"
    )
    tight = select_text(ft, 14)
    assert tight.text == "## Abstract\n\n第一句话很短。\n\n[…]\n"
    assert select_text(ft, 100).text == "## Abstract\n\n第一句话很短。第二句话也很短。第三句。\n"


def test_bad_budget():
    with pytest.raises(UsageError):
        select_text(paper(), 0)


# -- real texts ---------------------------------------------------------------------------------


def _from_hf_markdown(path: Path) -> FullText:
    """A FullText from HF's paper Markdown (``## 1 Introduction`` headings, ``###### Abstract``)."""
    text = path.read_text().split("Markdown Content:", 1)[1]
    chunks = re.split(r"^(#{2,6}) (.+)$", text, flags=re.M)
    abstract, sections = None, []
    for i in range(1, len(chunks), 3):
        hashes, title, body = chunks[i], chunks[i + 1].strip(), chunks[i + 2].strip()
        if title.lower() == "abstract":
            abstract = body
        else:
            sections.append(Section(title=title, level=max(1, len(hashes) - 1), text=body))
    return FullText(paper_id=path.stem, source="html", abstract=abstract, sections=sections)


def test_real_hf_markdown_paper(corpus):
    path = corpus / "hf_api" / "per_paper_trimmed_fixtures" / "hf_paper_md_2603.19835.TRUNCATED.md"
    ft = _from_hf_markdown(path)
    assert ft.abstract and len(ft.sections) >= 2
    total = estimate_tokens(ft.markdown)
    for budget in range(100, total + 50, 37):
        chosen = select_text(ft, budget)
        assert chosen.tokens <= budget
        _assert_cut_at_boundaries(chosen.text, ft)
    assert select_text(ft, total + 50).dropped == []


def _core_titles(ft: FullText) -> list[str]:
    top = min(s.level for s in ft.sections)
    titles = [s.title for s in ft.sections if s.level == top]
    return [t for t, c in zip(titles, classify_sections(titles), strict=True) if c in CORE]


def test_real_latexml_pages(corpus):
    html = pytest.importorskip("dailypapers.fulltext.html")
    pages = sorted((corpus / "arxiv_html").rglob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        ft = html.html_to_fulltext(page.read_bytes(), paper_id="2601.00001")
        full = select_text(ft, 10**7)
        assert full.dropped == []
        core = _core_titles(ft)
        assert len(core) >= 3, (page.name, core)
        for budget in (1_000, 4_000, 12_000, 24_000):
            chosen = select_text(ft, budget)
            assert chosen.tokens <= budget, page.name
            assert chosen.text.startswith("## Abstract\n\n"), page.name
            kept = [k.removesuffix(" (partial)") for k in chosen.kept]
            # Every core section keeps at least its opening: results and conclusion included.
            assert all(title in kept for title in core), (page.name, budget, chosen.kept)
            if chosen.truncated:
                assert chosen.tokens > budget * 0.9, (page.name, budget, chosen.tokens)
            _assert_cut_at_boundaries(chosen.text, ft)


def test_real_pdfs(corpus):
    pdf = pytest.importorskip("dailypapers.fulltext.pdf")
    for path in sorted((corpus / "pdf").glob("arxiv_2512.*.pdf")):
        ft = pdf.pdf_to_fulltext(path.read_bytes(), paper_id=path.name.split("_")[1])
        core = _core_titles(ft)
        assert len(core) >= 3, (path.name, core)
        for budget in (1_500, 6_000, 24_000):
            chosen = select_text(ft, budget)
            assert chosen.tokens <= budget, path.name
            kept = [k.removesuffix(" (partial)") for k in chosen.kept]
            assert all(title in kept for title in core), (path.name, budget, chosen.kept)
            _assert_cut_at_boundaries(chosen.text, ft)
