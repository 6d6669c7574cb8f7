"""The PDF reader: pdf_to_fulltext on generated PDFs, on bad input, and on every corpus PDF."""

from __future__ import annotations

import ctypes
import io
import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from dailypapers.errors import FullTextError
from dailypapers.fulltext._pdf_words import join_lines
from dailypapers.fulltext.pdf import pdf_to_fulltext
from dailypapers.models import FullText

DATA = Path(__file__).parent / "data"

# --- a two-column paper drawn with pdfium (no corpus needed) ---------------------------------

LEFT, RIGHT = (72.0, 300.0), (312.0, 540.0)
HEADER = "Journal of Synthetic Tests"


class _Writer:
    """Places justified lines of Times text on new pages, the way TeX sets a two-column paper."""

    def __init__(self) -> None:
        self.doc = pdfium.PdfDocument.new()
        self.fonts = {
            name: pdfium_c.FPDFText_LoadStandardFont(self.doc, name.encode())
            for name in ("Times-Roman", "Times-Bold")
        }
        self.page: pdfium.PdfPage | None = None

    def new_page(self, number: int) -> None:
        self.finish_page()
        self.page = self.doc.new_page(612, 792)
        self.text(72, 765, HEADER, size=9)
        self.text(303, 40, str(number), size=10)

    def _word(self, word: str, size: float, font: str) -> tuple[object, float]:
        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.doc, self.fonts[font], size)
        buffer = ctypes.create_string_buffer((word + "\x00").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
        return obj, right.value - left.value

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 10,
        font: str = "Times-Roman",
        width: float | None = None,
    ) -> None:
        """One line; with ``width`` its words are spread to fill it (justified)."""
        words = [self._word(word, size, font) for word in text.split()]
        total = sum(w for _, w in words)
        gap = size * 0.28
        if width is not None and len(words) > 1:
            gap = (width - total) / (len(words) - 1)
        for obj, w in words:
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
            pdfium_c.FPDFPage_InsertObject(self.page, obj)
            x += w + gap

    def column(self, column: tuple[float, float], y: float, lines: list[str]) -> float:
        """Lines of one column from ``y`` down; a line ending in "|" ends its paragraph."""
        for line in lines:
            if line.startswith("##"):
                y -= 8
                self.text(column[0], y, line[2:].strip(), size=12, font="Times-Bold")
                y -= 18
                continue
            last = line.endswith("|")
            indent = 10 if line.startswith(">") else 0
            words = line.strip(">|")
            width = None if last else column[1] - column[0] - indent
            self.text(column[0] + indent, y, words, width=width)
            y -= 12
        return y

    def finish_page(self) -> None:
        if self.page is not None:
            pdfium_c.FPDFPage_GenerateContent(self.page)
            self.page = None

    def save(self) -> bytes:
        self.finish_page()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


FILLER = [
    "the model reads every page of the paper in the order",
    "that a person would follow when reading the columns",
    "from the top of the left column down to its bottom and",
]


def _generated_paper() -> bytes:
    w = _Writer()
    w.new_page(1)
    w.text(190, 715, "Columns Read In Order", size=18, font="Times-Bold")
    y = w.column(
        LEFT,
        670,
        [
            "## Abstract",
            "We test a reader of portable documents on a page",
            "drawn for the purpose, with two columns, a running",
            "header, page numbers and a list of references.|",
            "## 1 Introduction",
            ">Readers of papers expect the text to come out",
            *FILLER * 5,
            "then the right column, and the results of the bench-",
        ],
    )
    assert y > 60
    w.column(
        RIGHT,
        670,
        [
            "mark suite show that the order is kept across the",
            "gap between the columns of the page without fail.|",
            "## 2 Method",
            ">A multi-step procedure reads the characters, then",
            *FILLER * 4,
            "groups them into lines and the lines into columns.|",
        ],
    )
    w.new_page(2)
    w.column(
        LEFT,
        740,
        [
            "## 2.1 Setup",
            ">The setup follows the earlier multi-step design and",
            *FILLER * 4,
            "so the second version, which keeps the multi-",
            "step design of the first version with no change.|",
        ],
    )
    w.column(
        RIGHT,
        740,
        [
            "## References",
            "[1] Ada Lovelace. Notes on the analytical engine.",
            ">Scientific Memoirs, 1843.|",
            "[2] Alan Turing. On computable numbers, with an",
            ">application to the decision problem. 1936.|",
            "[3] Claude Shannon. A mathematical theory of",
            ">communication. Bell System Technical Journal, 1948.|",
        ],
    )
    w.new_page(3)
    w.column(
        LEFT,
        740,
        [
            "## A Appendix Details",
            ">The appendix comes after the references and stays",
            "a section of the body text of the paper itself.|",
        ],
    )
    return w.save()


@pytest.fixture(scope="module")
def generated() -> FullText:
    return pdf_to_fulltext(_generated_paper(), paper_id="2601.00001", url="http://x/pdf/1")


def test_generated_metadata(generated: FullText) -> None:
    assert generated.source == "pdf"
    assert generated.paper_id == "2601.00001"
    assert generated.url == "http://x/pdf/1"
    assert generated.title == "Columns Read In Order"
    assert generated.abstract == (
        "We test a reader of portable documents on a page drawn for the purpose, with two "
        "columns, a running header, page numbers and a list of references."
    )


def test_generated_sections_in_order(generated: FullText) -> None:
    assert [(s.title, s.level) for s in generated.sections] == [
        ("1 Introduction", 1),
        ("2 Method", 1),
        ("2.1 Setup", 2),
        ("A Appendix Details", 1),
    ]
    assert generated.sections[-1].text.startswith("The appendix comes after the references")


def test_generated_column_order_and_hyphenation(generated: FullText) -> None:
    text = generated.markdown
    # The sentence runs from the foot of the left column to the head of the right one,
    # hyphenated at the break: it comes out whole and in order.
    assert "then the right column, and the results of the benchmark suite show that" in text
    assert "bench-" not in text
    # A compound the paper spells with a hyphen keeps it at a line break, and mid-line.
    assert "which keeps the multi-step design of the first version" in text
    assert "A multi-step procedure reads" in text


def test_threads_share_pdfium_safely() -> None:
    data = _generated_paper()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: pdf_to_fulltext(data, paper_id="x").markdown, range(8)))
    assert len(set(results)) == 1 and "benchmark suite" in results[0]


def test_generated_page_furniture_removed(generated: FullText) -> None:
    text = generated.markdown
    assert HEADER not in text
    paragraphs = [p.strip() for s in generated.sections for p in s.text.split("\n\n")]
    assert not [p for p in paragraphs if p.isdigit()]


def test_generated_references_apart(generated: FullText) -> None:
    assert generated.references == [
        "[1] Ada Lovelace. Notes on the analytical engine. Scientific Memoirs, 1843.",
        "[2] Alan Turing. On computable numbers, with an application to the decision problem. "
        "1936.",
        "[3] Claude Shannon. A mathematical theory of communication. Bell System Technical "
        "Journal, 1948.",
    ]
    assert "Lovelace" not in generated.markdown


# --- line joining ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "words", "expected"),
    [
        ("the bench-", "mark shows", ["benchmark"], "the benchmark shows"),
        ("the bench-", "mark shows", [], "the benchmark shows"),
        ("a multi-", "step method", ["multi-step"], "a multi-step method"),
        ("the language-", "specific part", ["language", "specific"], "the language-specific part"),
        ("uses GPT-", "4 here", [], "uses GPT-4 here"),
        ("COMPLEX RE-", "LATIONAL MODELING", ["relational"], "COMPLEX RELATIONAL MODELING"),
        ("pages 12–", "19 of it", [], "pages 12–19 of it"),
        ("plain end", "next line", [], "plain end next line"),
        ("", "first", [], "first"),
    ],
)
def test_join_lines(left: str, right: str, words: list[str], expected: str) -> None:
    assert join_lines(left, right, Counter(words)) == expected


# --- input that is not a readable PDF -------------------------------------------------------


def test_empty_pdf() -> None:
    with pytest.raises(FullTextError, match=r"^empty PDF \(0 bytes\)$"):
        pdf_to_fulltext(b"", paper_id="x")


def test_random_bytes() -> None:
    with pytest.raises(FullTextError, match=r"^not a PDF \(got data, 4096 bytes\)$"):
        pdf_to_fulltext(os.urandom(4096), paper_id="x")


def test_html_instead_of_pdf() -> None:
    page = b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>"
    with pytest.raises(FullTextError, match=r"^not a PDF \(got HTML page"):
        pdf_to_fulltext(page, paper_id="x")


def test_pdf_header_with_garbage_body() -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    with pytest.raises(FullTextError, match=r"^corrupt PDF \("):
        pdf_to_fulltext(data, paper_id="x")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_generated_pdf(fraction: float, tmp_path: Path) -> None:
    data = _generated_paper()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(FullTextError, match=r"^truncated PDF \(no end-of-file marker"):
        pdf_to_fulltext(path.read_bytes(), paper_id="x")


def test_pdf_without_pages() -> None:
    buffer = io.BytesIO()
    pdfium.PdfDocument.new().save(buffer)
    with pytest.raises(FullTextError, match=r"^PDF has no pages$"):
        pdf_to_fulltext(buffer.getvalue(), paper_id="x")


def test_page_without_text() -> None:
    doc = pdfium.PdfDocument.new()
    doc.new_page(612, 792)
    buffer = io.BytesIO()
    doc.save(buffer)
    with pytest.raises(FullTextError, match=r"^PDF has no text layer"):
        pdf_to_fulltext(buffer.getvalue(), paper_id="x")


def test_encrypted_pdf_is_a_real_one() -> None:
    # The fixture is a genuine RC4-encrypted PDF (tests/data/make_encrypted_pdf.py).
    data = (DATA / "pdf_encrypted.pdf").read_bytes()
    document = pdfium.PdfDocument(data, password="user-secret")
    assert document[0].get_textpage().get_text_range().strip() == "Hello encrypted world"


def test_encrypted_pdf() -> None:
    data = (DATA / "pdf_encrypted.pdf").read_bytes()
    with pytest.raises(FullTextError) as caught:
        pdf_to_fulltext(data, paper_id="x")
    assert str(caught.value) == "encrypted PDF (needs a password)"
    error = caught.value  # no pdfium exception chained to it (no traceback from pdfium)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


# --- the corpus -----------------------------------------------------------------------------


def _corpus_pdfs(corpus: Path) -> list[Path]:
    return [*sorted((corpus / "pdf").glob("*.pdf")), corpus / "synthetic" / "twocol_paper.pdf"]


@pytest.fixture(scope="module")
def corpus_texts(corpus: Path) -> dict[str, tuple[FullText, bytes]]:
    found = {}
    for path in _corpus_pdfs(corpus):
        data = path.read_bytes()
        found[path.name] = (pdf_to_fulltext(data, paper_id=path.stem, url=None), data)
    assert len(found) >= 7
    return found


def _running_lines(data: bytes) -> list[str]:
    """Lines pdfium prints first or last on at least half the pages (digits ignored)."""
    document = pdfium.PdfDocument(data)
    seen: Counter[str] = Counter()
    for page in document:
        text = page.get_textpage().get_text_range().replace("\r\n", "\n")
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        seen.update({re.sub(r"\d+", "#", line) for line in lines[:2] + lines[-2:]})
    return [
        line
        for line, count in seen.items()
        if count >= max(2, len(document) // 2) and sum(ch.isalpha() for ch in line) >= 4
    ]


def test_corpus_running_headers_removed(corpus_texts: dict[str, tuple[FullText, bytes]]) -> None:
    checked = 0
    for name, (fulltext, data) in corpus_texts.items():
        text = re.sub(r"\d+", "#", fulltext.markdown)
        for line in _running_lines(data):
            checked += 1
            assert line not in text, (name, line)
    assert checked >= 4  # "Under review", "Shen, et al.", TESO's and Paper Plain's titles


def test_corpus_page_numbers_and_stamp_removed(
    corpus_texts: dict[str, tuple[FullText, bytes]],
) -> None:
    for name, (fulltext, data) in corpus_texts.items():
        pages = len(pdfium.PdfDocument(data))
        paragraphs = [p.strip() for s in fulltext.sections for p in s.text.split("\n\n")]
        # A number alone can be a fraction's numerator; page numbers would run 1, 2, 3, ...
        bare = {p for p in paragraphs if p.isdigit() and 1 <= int(p) <= pages}
        assert len(bare) <= max(2, pages // 5), (name, bare)
        assert not re.search(r"arXiv:\d{4}\.\d{4,5}v\d \[[\w.]+\] \d", fulltext.markdown), name


# Words the corpus PDFs print split at a line end (pdfium shows the break as U+FFFE), and a
# phrase of the output that must hold them whole: hyphen dropped, or kept for a real compound.
HYPHENATED = {
    "arxiv_2512.22630_role-of-discreteness-in-diffusion-LLMs_10p.pdf": [
        ("model\ufffeing", "we revisit diffusion language modeling from the view"),
        ("ex\ufffeisting", "We first categorize existing approaches"),
        ("language\ufffespecific", "diffusion mechanics from language-specific requirements"),
    ],
    "arxiv_2512.23959_hypergraph-memory-multistep-RAG_21p.pdf": [
        ("Conse\ufffequently", "retrieved texts. Consequently, recent research"),
    ],
    "arxiv_2512.24007_TESO-tabu-simulation-optimization_11p.pdf": [
        ("Sim\ufffeulation", "Simulation"),
        ("macro\ufffereplications", "macro-replications"),
    ],
    "arxiv_2203.00130v1_paper-plain_39p_long.pdf": [
        ("treat\ufffements", "finding new treatments). To"),
    ],
    "arxiv_2304.02623v1_beyond-summarization_4p_short.pdf": [
        ("automati\ufffecally", "language models to automatically generate"),
        ("understud\ufffeied", "is relatively understudied"),
    ],
    "arxiv_2512.24617_dynamic-large-concept-models_24p.pdf": [
        ("ex\ufffehibiting", "despite language exhibiting highly non-uniform information density"),
        ("funda\ufffementally", "Hierarchical compression fundamentally changes scaling behavior"),
    ],
    "twocol_paper.pdf": [("bench\ufffemark", "inference benchmark benchmark distribution")],
}


def test_corpus_hyphenated_words_rejoined(
    corpus_texts: dict[str, tuple[FullText, bytes]],
) -> None:
    for name, examples in HYPHENATED.items():
        fulltext, data = corpus_texts[name]
        raw = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))
        text = fulltext.markdown
        for split, phrase in examples:
            assert split in raw, (name, split)  # the PDF really breaks the word there
            assert phrase in text, (name, phrase)
        # Left-over breaks ("exist- ing") are rare; pdfium's own marks never leak.
        assert len(re.findall(r"[a-z]- [a-z]", text)) <= 3, name
        assert "\ufffe" not in text and "\x02" not in text, name
    # Mid-line hyphens stay: the compound of a title, and of body text.
    fulltext, _ = corpus_texts["arxiv_2512.23959_hypergraph-memory-multistep-RAG_21p.pdf"]
    assert fulltext.title is not None and fulltext.title.startswith("Improving Multi-step RAG")
    assert "multi-step RAG" in fulltext.markdown


def test_corpus_references_apart(corpus_texts: dict[str, tuple[FullText, bytes]]) -> None:
    expected = {
        "arxiv_2203.00130v1_paper-plain_39p_long.pdf": 111,
        "arxiv_2304.02623v1_beyond-summarization_4p_short.pdf": 35,
        "arxiv_2512.24007_TESO-tabu-simulation-optimization_11p.pdf": 28,
        "arxiv_2512.24617_dynamic-large-concept-models_24p.pdf": 20,
        "twocol_paper.pdf": 2,
    }
    for name, (fulltext, _) in corpus_texts.items():
        refs = fulltext.references
        assert len(refs) >= 2, name
        if name in expected:  # numbered lists: [1] ... [n], each entry once, in order
            assert len(refs) == expected[name], name
            labels = [re.findall(r"^\[(\d+)\] ", r) for r in refs]
            assert labels == [[str(n)] for n in range(1, expected[name] + 1)], name
        else:  # author-year lists: entries start with a name and hold a year
            assert len(refs) >= 20, name
            assert all(re.search(r"\b(19|20)\d\d", r) for r in refs), name
        body = fulltext.markdown
        assert refs[0][:60] not in body and refs[-1][:60] not in body, name
        assert not [s for s in fulltext.sections if s.title.lower().endswith("references")]


def test_corpus_appendices_after_references_kept(
    corpus_texts: dict[str, tuple[FullText, bytes]],
) -> None:
    appendices = {
        "arxiv_2203.00130v1_paper-plain_39p_long.pdf": "A INTERVIEWS WITH HEALTHCARE",
        "arxiv_2512.22630_role-of-discreteness-in-diffusion-LLMs_10p.pdf": "A Experiment Details",
        "arxiv_2512.23959_hypergraph-memory-multistep-RAG_21p.pdf": "A DATASET STATISTICS",
        "arxiv_2512.24617_dynamic-large-concept-models_24p.pdf": "A Appendix: Segmentation",
    }
    for name, start in appendices.items():
        fulltext, _ = corpus_texts[name]
        titles = [s.title for s in fulltext.sections]
        first = next(i for i, t in enumerate(titles) if t.startswith(start))
        assert len(fulltext.sections[first].text) > 150, name
        assert first > len(titles) // 3, name


def test_corpus_structure(corpus_texts: dict[str, tuple[FullText, bytes]]) -> None:
    for name, (fulltext, _) in corpus_texts.items():
        assert fulltext.source == "pdf"
        assert fulltext.title and len(fulltext.title) > 20, name
        assert fulltext.abstract and len(fulltext.abstract) > 500, name
        numbered = [s for s in fulltext.sections if re.match(r"\d+(\.\d+)* \S", s.title)]
        assert len(numbered) >= 4, name
        assert numbered[0].title.lower() in {"1 introduction"}, name
        assert all(s.level == s.title.split()[0].count(".") + 1 for s in numbered), name
        assert fulltext.chars > 10_000, name


def test_corpus_run_in_headings(corpus_texts: dict[str, tuple[FullText, bytes]]) -> None:
    # ACM's subsubsections run into their paragraph in another font: "3.0.2 Procedure. In ..."
    fulltext, _ = corpus_texts["arxiv_2203.00130v1_paper-plain_39p_long.pdf"]
    found = {s.title: s for s in fulltext.sections}
    assert found["3.0.2 Procedure"].level == 3
    assert found["3.0.2 Procedure"].text.startswith("In the study, participants were given")


def test_corpus_titles(corpus_texts: dict[str, tuple[FullText, bytes]]) -> None:
    titles = {name: ft.title for name, (ft, _) in corpus_texts.items()}
    assert titles["arxiv_2512.22630_role-of-discreteness-in-diffusion-LLMs_10p.pdf"] == (
        "On the Role of Discreteness in Diffusion LLMs"
    )
    assert titles["arxiv_2512.24007_TESO-tabu-simulation-optimization_11p.pdf"] == (
        "TESO: Tabu-Enhanced Simulation Optimization for Noisy Black-Box Problems"
    )
    assert titles["twocol_paper.pdf"] == "Scaling Test Papers for Extraction Benchmarks"


# --- the synthetic two-column paper against its LaTeX source --------------------------------


def _tex_sentences(tex: str) -> list[str]:
    """Math-free sentences of the body (abstract to bibliography) of the .tex."""
    body = tex[tex.index("\\begin{abstract}") : tex.index("\\begin{thebibliography}")]
    body = re.sub(r"\\begin\{(equation|figure)\}.*?\\end\{\1\}", " ", body, flags=re.S)
    blocks = re.split(
        r"\n\s*\n|\\(?:sub)?section\{[^}]*\}(?:\\label\{[^}]*\})?|\\(?:begin|end)\{abstract\}",
        body,
    )
    sentences = []
    for block in blocks:
        for sentence in re.split(r"(?<=\.)\s+", block.strip()):
            if sentence and not re.search(r"[\\$~{}]", sentence) and len(sentence.split()) >= 4:
                sentences.append(sentence.strip())
    return sentences


def _column_texts(data: bytes) -> list[str]:
    """The raw text of every column of every page, each read on its own (pdfium's bounds)."""
    columns = []
    for page in pdfium.PdfDocument(data):
        width, height = page.get_size()
        textpage = page.get_textpage()
        for left, right in ((0, width / 2), (width / 2, width)):
            raw = textpage.get_text_bounded(left=left, bottom=0, right=right, top=height)
            raw = raw.replace("\ufffe\r\n", "").replace("\ufffe", "").replace("\r\n", " ")
            columns.append(re.sub(r"\s+", " ", raw))
    return columns


def test_synthetic_sentences_whole_and_in_column_order(
    corpus: Path, corpus_texts: dict[str, tuple[FullText, bytes]]
) -> None:
    fulltext, data = corpus_texts["twocol_paper.pdf"]
    sentences = _tex_sentences((corpus / "synthetic" / "twocol_paper.tex").read_text())
    assert len(sentences) > 100
    text = re.sub(r"\s+", " ", fulltext.markdown)
    missing = [s for s in sentences if s not in text]
    assert missing == []
    # Some of them run from one column into the next: no single column holds them whole.
    columns = _column_texts(data)
    crossing = [s for s in sentences if not any(s in column for column in columns)]
    assert len(crossing) >= 5


def test_synthetic_section_titles(
    corpus: Path, corpus_texts: dict[str, tuple[FullText, bytes]]
) -> None:
    fulltext, _ = corpus_texts["twocol_paper.pdf"]
    tex = (corpus / "synthetic" / "twocol_paper.tex").read_text()
    expected = [
        (1 if kind == "section" else 2, title)
        for kind, title in re.findall(r"\\(section|subsection)\{([^}]*)\}", tex)
    ]
    assert len(expected) == 14
    got = [(s.level, re.sub(r"^[\d.]+ ", "", s.title)) for s in fulltext.sections]
    assert got == expected
    assert fulltext.references == [
        "[1] A. Author. A paper about things. In Proc. Conf., 2024.",
        "[2] B. Author. Another paper. arXiv:2401.00001, 2024.",
    ]


def test_truncated_corpus_pdf(corpus: Path, tmp_path: Path) -> None:
    data = corpus / "pdf" / "arxiv_2512.22630_role-of-discreteness-in-diffusion-LLMs_10p.pdf"
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data.read_bytes()[:200_000])
    with pytest.raises(FullTextError, match=r"^truncated PDF \(no end-of-file marker"):
        pdf_to_fulltext(cut.read_bytes(), paper_id="x")
