"""Tests of fulltext.html: every LaTeXML page of the corpus, and hand-made edge cases.

The corpus checks compute what the page holds straight from its DOM (section titles, math
``alttext``, tabulars, the abstract, the bibliography) and compare it with the converter's output.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from dailypapers.errors import FullTextError
from dailypapers.fulltext.html import html_to_fulltext
from dailypapers.models import FullText

DATA = Path(__file__).parent / "data" / "html"

#: Every HTML page of the corpus (test_corpus_pages_are_all_listed keeps this list complete).
CORPUS_PAGES = [
    "arxiv_html/latexml0.8.7_arxiv-pipeline-test_analyzing-astronomical-data-ML.html",
    "arxiv_html/latexml_conversion/censorship-latent-features_latexmlc0.8.7.html",
    "arxiv_html/latexml_more/bells-llm-safeguards.html",
    "arxiv_html/latexml_more/libertus-sigtyp2024.html",
    "arxiv_html/latexml_more/llm-stylometry.html",
    "arxiv_html/latexml_more/refusal-index-iclr2026.html",
    "arxiv_html/latexml_more/torch-sla.html",
    "arxiv_html/latexml_more/user-as-code.html",
    "synthetic/twocol_paper.latexml.html",
]
LEVELS = {
    "ltx_section": 1,
    "ltx_appendix": 1,
    "ltx_acknowledgements": 1,
    "ltx_subsection": 2,
    "ltx_subsubsection": 3,
    "ltx_paragraph": 3,
}
SECTIONING = ", ".join(f"section.{c}" for c in LEVELS) + ", div.ltx_acknowledgements"
#: Parts of a page that are not body text: their math is not expected in the Markdown.
NOT_BODY = ".ltx_authors, .ltx_role_todo, .ltx_note_mark, .ltx_page_footer"
CHROME = [
    "Generated on",
    "LaTeXML",
    "[LOGO]",
    "data:image",
    "Report issue",
    "Report Issue",
    "License:",
    "todo:",
    "footnotemark",
    "color=",
    "ltx_",
]
#: HTML markup left in the text (code blocks aside: papers quote HTML and XML in listings).
MARKUP = re.compile(r"</?(?:span|div|math|mi|mo|mrow|semantics|table|td|tr|p|a|sup|figure)[\s>/]")


# -- independent readings of the DOM ---------------------------------------------------------------
def norm(text: str) -> str:
    return " ".join(text.split())


def tex(math: LexborNode) -> str:
    """The LaTeX of a math element: its alttext with LaTeXML's ``%``-newline wraps joined."""
    return norm(re.sub(r"(?<!\\)%\n\s*", "", math.attributes.get("alttext") or ""))


def plain(node: LexborNode) -> str:
    """Text of a node as a reader sees it: math as $alttext$, no notes, no LaTeXML errors."""
    parts: list[str] = []

    def walk(current: LexborNode) -> None:
        for child in current.iter(include_text=True):
            if child.tag == "-text":
                parts.append(child.text_content or "")
            elif child.tag == "math":
                parts.append(f"${tex(child)}$")
            elif child.tag and not child.tag.startswith("-"):
                classes = (child.attributes.get("class") or "").split()
                if "ltx_note" not in classes and "ltx_ERROR" not in classes:
                    parts.append(" " if child.tag == "br" else "")
                    walk(child)

    walk(node)
    return norm("".join(parts))


def classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").split()


@cache
def page(rel: str, root: Path) -> tuple[LexborHTMLParser, FullText]:
    data = (root / rel).read_bytes()
    return LexborHTMLParser(data.decode("utf-8")), html_to_fulltext(data, paper_id="test")


@pytest.fixture(params=CORPUS_PAGES, ids=lambda rel: Path(rel).stem[:40])
def corpus_page(request: pytest.FixtureRequest, corpus: Path) -> tuple[LexborHTMLParser, FullText]:
    return page(request.param, corpus)


def unmark(markdown: str) -> str:
    """Markdown back to plain reading: inline footnotes removed, ``\\$`` unescaped."""
    return norm(re.sub(r" ?\[Footnote: [^\]]*\]", "", markdown).replace("\\$", "$"))


# -- corpus ----------------------------------------------------------------------------------------


def test_corpus_pages_are_all_listed(corpus: Path) -> None:
    found = {str(p.relative_to(corpus)) for p in corpus.glob("arxiv_html/**/*.html")}
    found |= {str(p.relative_to(corpus)) for p in corpus.glob("synthetic/*.html")}
    assert found == set(CORPUS_PAGES)


def test_headings_follow_the_section_tree(corpus_page: tuple[LexborHTMLParser, FullText]) -> None:
    dom, ft = corpus_page
    expected = []
    for node in dom.css(SECTIONING):
        level = next(LEVELS[c] for c in classes(node) if c in LEVELS)
        heading = node.css_first(".ltx_title")
        expected.append((level, plain(heading) if heading is not None else ""))
    assert expected, "a LaTeXML paper has sections"
    assert [(s.level, s.title) for s in ft.sections] == expected
    top = [t for lvl, t in expected if lvl <= 2]
    assert [s.title for s in ft.sections if s.level <= 2] == top
    appendices = [plain(n.css_first(".ltx_title")) for n in dom.css("section.ltx_appendix")]
    for title in appendices:
        assert re.match(r"(Appendix\b|[A-Z]\b)", title), title


def test_every_math_alttext_is_kept_as_latex(
    corpus_page: tuple[LexborHTMLParser, FullText],
) -> None:
    dom, ft = corpus_page
    skipped = {m.mem_id for m in dom.css(", ".join(f"{s} math" for s in NOT_BODY.split(", ")))}
    text = "\n".join([ft.title or "", ft.markdown, *ft.references])
    maths = [m for m in dom.css("math") if m.mem_id not in skipped and tex(m)]
    missing = [
        tex(m) for m in maths if tex(m) not in text and tex(m).replace("|", "\\|") not in text
    ]
    assert maths
    assert missing == []
    assert "$$" in ft.markdown or not dom.css_first(".ltx_eqn_table")


def test_tables_become_markdown_tables(corpus_page: tuple[LexborHTMLParser, FullText]) -> None:
    dom, ft = corpus_page
    tabulars = [
        t
        for t in dom.css(".ltx_tabular")
        if plain(t)
        and not any(
            "ltx_tabular" in classes(a) or "ltx_td" in classes(a) or "ltx_authors" in classes(a)
            for a in _ancestors(t)
        )
    ]
    separators = [line for line in ft.markdown.splitlines() if line.startswith("|---")]
    assert len(separators) == len(tabulars)
    rows = [line for line in ft.markdown.splitlines() if line.startswith("| ")]
    for table in tabulars:
        cells = [plain(c) for c in table.css(".ltx_td")]
        word = next(c for c in cells if re.fullmatch(r"[\w .,%()-]+", c))  # no \cellcolor debris
        assert any(word in row for row in rows), word


def _ancestors(node: LexborNode) -> list[LexborNode]:
    found = []
    parent = node.parent
    while parent is not None and parent.tag != "html":
        found.append(parent)
        parent = parent.parent
    return found


def test_no_page_chrome(corpus_page: tuple[LexborHTMLParser, FullText]) -> None:
    dom, ft = corpus_page
    text = "\n".join([ft.title or "", ft.markdown])
    for needle in CHROME:
        assert needle not in text
    prose = re.sub(r"```.*?```|`[^`]*`", "", text, flags=re.S)
    assert not MARKUP.search(prose)
    errors = {norm(e.text()) for e in dom.css(".ltx_ERROR")}
    for macro in filter(None, errors):
        assert not re.search(re.escape(macro) + r"(?![A-Za-z])", text), macro


def test_abstract_is_the_pages_abstract(corpus_page: tuple[LexborHTMLParser, FullText]) -> None:
    dom, ft = corpus_page
    node = dom.css_first(".ltx_abstract")
    heading = node.css_first(".ltx_title_abstract")
    expected = plain(node)
    if heading is not None:
        expected = expected.removeprefix(plain(heading)).strip()
    assert ft.abstract is not None
    assert unmark(ft.abstract) == expected
    assert not any(s.title.lower().endswith("abstract") for s in ft.sections)


def test_bibliography_is_kept_apart(corpus_page: tuple[LexborHTMLParser, FullText]) -> None:
    dom, ft = corpus_page
    items = [i for i in dom.css(".ltx_bibitem") if plain(i)]
    assert len(ft.references) == len(items)
    body = unmark(ft.markdown)
    for item, reference in zip(items, ft.references, strict=True):
        entry = norm(" ".join(plain(b) for b in item.css(".ltx_bibblock")))
        assert entry in reference.replace("\\$", "$")
        assert entry not in body
    for section in ft.sections:
        assert section.title.lower() not in {"references", "bibliography"}


def test_title_source_and_body(corpus_page: tuple[LexborHTMLParser, FullText]) -> None:
    dom, ft = corpus_page
    assert ft.source == "html"
    assert ft.title == plain(dom.css_first(".ltx_title_document"))
    assert sum(len(s.text) for s in ft.sections) > 5000


def test_unresolved_citation_keys_become_numbers(corpus: Path) -> None:
    dom, ft = page("arxiv_html/latexml_more/bells-llm-safeguards.html", corpus)
    cited = [k for k in (norm(a.text()) for a in dom.css("cite a")) if re.search("[a-z]", k)]
    assert "bing-chat-verge-manipulative-liar" in cited
    for key in cited:
        assert not re.search(rf"(?<![\w:-]){re.escape(key)}(?![\w-])", ft.markdown), key
    assert "Bing Chat threatening users [20]" in ft.markdown


def test_author_year_citations_are_short_markers(corpus: Path) -> None:
    _, ft = page("arxiv_html/latexml_more/torch-sla.html", corpus)
    assert "[Jasak et al., 2007; Kochkov et al., 2021]" in ft.markdown


# -- hand-made pages -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chrome_page() -> FullText:
    return html_to_fulltext(
        (DATA / "arxiv_chrome.html").read_bytes(), paper_id="2501.00001", url="http://x/html/1"
    )


def test_arxiv_page_chrome_is_removed(chrome_page: FullText) -> None:
    text = "\n".join([chrome_page.title or "", chrome_page.markdown, *chrome_page.references])
    for needle in [
        *CHROME,
        "Back to arXiv",
        "experimental HTML",
        "Why HTML?",
        "Download PDF",
        "CC BY",
        "arXiv:2501.00001v1",
        "failed: tcolorbox",
        "conversion",
        "STYLE-TEXT",
        "SCRIPT-TEXT",
        "RDF-TEXT",
        "TODO-TEXT",
        "Github",
        "Ada Author",
        "ada@example.org",
        "Funded by nobody",
        "MATHML-SOUP",
        "green!10",
        "⬇",
    ]:
        assert needle not in text, needle


def test_arxiv_page_structure(chrome_page: FullText) -> None:
    ft = chrome_page
    assert (ft.paper_id, ft.source, ft.url) == ("2501.00001", "html", "http://x/html/1")
    assert ft.title == "Tiny Models Read Papers: A Test Page"
    assert (
        ft.abstract
        == "We study $k$-shot reading at a cost of \\$0 per paper.\n\nA second paragraph."
    )
    assert [(s.title, s.level) for s in ft.sections] == [
        ("1 Introduction", 1),
        ("1.1 Model of $f$", 2),
        ("Why it works.", 3),
        ("2 Results", 1),
        ("Acknowledgements", 1),
        ("Appendix A Proofs", 1),
        ("A.1 Details", 2),
    ]
    assert ft.references == [
        "[1] A. Author. BIBTITLE-ONE: reading at scale. Journal, 2020.",
        "[2] A. Vaswani et al. Attention with $\\alpha$ heads.",
        "[3] C. Third. BIBTITLE-THREE.",
    ]
    assert "BIBTITLE" not in ft.markdown


def test_arxiv_page_markdown(chrome_page: FullText) -> None:
    intro, model, why, results, ack, appendix, details = (s.text for s in chrome_page.sections)
    # front matter (keywords, teaser figure) opens the first section
    assert intro.startswith("Keywords: reading, testing\n\nFigure 1: Teaser figure.\n\n")
    # citations: numeric, an unresolved key made a number, author-year in brackets; footnote inline
    assert (
        "Prior work [1, 2] and [3] reads papers [Footnote: See example.org.], like "
        "[Vaswani et al., 2017]. Call `read()` once." in intro
    )
    assert "- First point with $x^{2}$.\n- Second point.\n\n  - (a) Nested item." in intro
    assert "1. Step one.\n2. Step two." in intro
    assert "- **Term** Its meaning." in intro
    assert "$$\\mathcal{L}=\\sum_{i}\\ell(x_{i},y_{i})$$ (1)" in model
    assert "$$\\displaystyle\\theta \\displaystyle\\leftarrow\\theta-\\eta g,$$ (2)\n" in model
    assert "$$\\displaystyle g \\displaystyle=\\nabla\\mathcal{L}.$$" in model
    assert why == "Because it is simple."
    assert (
        "Table 1: Scores (higher is better).\n\n"
        "| Model | Accuracy dev | Accuracy test |\n"
        "|---|---|---|\n"
        "| Ours | $\\|x\\|$ | 91.5 |\n"
        "|  | two lines | 88.0 |"
    ) in results
    assert "Accuracy rises to 91.5 [Footnote: On the test set.] with code in Listing 1." in results
    assert "```python\ndef f(x):\n    return x | 1  # bitwise\n```" in results
    assert (
        "Algorithm 1 Two passes\n\n```\nfor $i=1$ to $n$ do\n   read paper $p_{i}$\n```" in results
    )
    assert "**Theorem 1.**\n\nReading helps." in results
    assert "```\nraw   text\n  kept\n```" in results
    assert ack == "We thank the reviewers."
    assert (appendix, details) == ("Proof text.", "More detail.")


def test_bytes_and_text_give_the_same_result() -> None:
    data = (DATA / "arxiv_chrome.html").read_bytes()
    assert html_to_fulltext(data, paper_id="a") == html_to_fulltext(data.decode(), paper_id="a")


def test_declared_charset_is_honoured() -> None:
    text = (DATA / "arxiv_chrome.html").read_text(encoding="utf-8")
    text = text.replace("charset=utf-8", "charset=iso-8859-1").replace("Ada Author", "Schütze")
    text = text.replace("Because it is simple.", "Because it is naïve.")
    ascii_safe = "".join(ch if ord(ch) < 256 else "?" for ch in text)
    ft = html_to_fulltext(ascii_safe.encode("iso-8859-1"), paper_id="a")
    assert ft.sections[2].text == "Because it is naïve."


def test_abstract_written_as_a_section_and_front_matter_debris() -> None:
    ft = html_to_fulltext((DATA / "abstract_section.html").read_bytes(), paper_id="a")
    assert ft.title == "Head Title Only"  # no ltx_title_document: the page's <title>
    assert ft.abstract == "The abstract, as a section."
    assert [(s.title, s.text) for s in ft.sections] == [
        ("1 Introduction", "Figure 1: A pipeline.\n\nBody text.")
    ]
    assert ft.references == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ((DATA / "not_latexml.html").read_bytes(), "not a LaTeXML page"),
        ((DATA / "latexml_empty.html").read_bytes(), "no body text"),
        (b"", "empty HTML page"),
        ("   \n", "empty HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a LaTeXML page"),
        ("<html><body><p>Hello</p></body></html>", "not a LaTeXML page"),
    ],
    ids=["not-latexml", "no-body", "empty-bytes", "blank-text", "binary", "plain-html"],
)
def test_unusable_pages_raise_a_clear_reason(data: str | bytes, reason: str) -> None:
    with pytest.raises(FullTextError) as info:
        html_to_fulltext(data, paper_id="2501.99999")
    message = str(info.value)
    assert reason in message
    assert "\n" not in message


def test_absurdly_deep_page_is_a_fulltext_error() -> None:
    deep = "<span>" * 5000 + "text" + "</span>" * 5000
    page_text = (
        '<article class="ltx_document"><section class="ltx_section"><h2 class="ltx_title">1 A</h2>'
        f'<div class="ltx_para"><p class="ltx_p">{deep}</p></div></section></article>'
    )
    with pytest.raises(FullTextError, match="nested too deeply"):
        html_to_fulltext(page_text, paper_id="a")
