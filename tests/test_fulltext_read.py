"""fulltext.read_fulltext: HTML, else PDF, else abstract, with the reasons recorded."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

import dailypapers.fulltext as fulltext
from dailypapers.errors import FullTextError, UsageError
from dailypapers.fulltext import read_fulltext
from dailypapers.models import FullText, Paper, Section
from dailypapers.net import Fetcher

ARXIV = "https://arxiv.test"
ABSTRACT = "We study things. It works."


def _paper(pid: str = "2512.22630", abstract: str | None = ABSTRACT) -> Paper:
    return Paper(id=pid, title="On the Role of Discreteness in Diffusion LLMs", abstract=abstract)


def _fetcher(handler: Callable[[httpx2.Request], httpx2.Response]) -> Fetcher:
    return Fetcher(
        user_agent="dailypapers-tests",
        retries=1,
        timeout=5,
        transport=httpx2.MockTransport(handler),
    )


class Arxiv:
    """A scripted arXiv: ``routes`` maps a path to a Response (or an exception to raise)."""

    def __init__(self, routes: dict[str, httpx2.Response | Exception]) -> None:
        self.routes = routes
        self.paths: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.paths.append(request.url.path)
        answer = self.routes.get(request.url.path, httpx2.Response(404, text="not found"))
        if isinstance(answer, Exception):
            raise answer
        return answer


def _pdf(corpus) -> bytes:
    [path] = (corpus / "pdf").glob("arxiv_2512.22630_*.pdf")
    return path.read_bytes()


# -- over loopback HTTP, with the real parsers and the real corpus --------------------------------


async def test_html_404_falls_back_to_pdf_over_loopback(fake_server, corpus):
    fake_server.serve_corpus_day(corpus, "2026-01-02")  # PDFs only, no HTML
    async with Fetcher(user_agent="dailypapers-tests", retries=1) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, fake_server.url)
    assert ft.source == "pdf"
    assert ft.skipped == ["html: HTTP 404"]
    assert ft.url == f"{fake_server.url}/pdf/2512.22630"
    assert ft.paper_id == "2512.22630"
    assert any("Introduction" in s.title for s in ft.sections)
    assert ft.chars > 20_000
    assert [r.path for r in fake_server.requests] == ["/html/2512.22630", "/pdf/2512.22630"]


async def test_corrupt_pdf_falls_back_to_abstract_over_loopback(fake_server, corpus):
    fake_server.pdf["2512.22630"] = _pdf(corpus)[: len(_pdf(corpus)) // 3]  # cut off mid-file
    async with Fetcher(user_agent="dailypapers-tests", retries=1) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, fake_server.url)
    assert ft.source == "abstract"
    assert ft.abstract == ABSTRACT and ft.sections == []
    assert ft.skipped[0] == "html: HTTP 404"
    assert ft.skipped[1].startswith("pdf: ") and "PDF" in ft.skipped[1]
    assert len(ft.skipped) == 2
    assert ft.url == "https://huggingface.co/papers/2512.22630"


async def test_html_first_over_loopback(fake_server, corpus):
    page = corpus / "arxiv_html" / "latexml_more" / "torch-sla.html"
    fake_server.html["2601.13994"] = page.read_bytes()
    async with Fetcher(user_agent="dailypapers-tests", retries=1) as fetcher:
        ft = await read_fulltext(_paper("2601.13994"), fetcher, fake_server.url + "/")
    assert ft.source == "html" and ft.skipped == []
    assert ft.url == f"{fake_server.url}/html/2601.13994"
    assert ft.sections and ft.abstract and ft.abstract != ABSTRACT  # the page's own abstract
    assert fake_server.hits("/pdf/") == 0


# -- with a scripted transport ------------------------------------------------------------------


async def test_mangled_pdf_reason_is_recorded(corpus):
    mangled = _pdf(corpus).decode("latin-1").encode("utf-8")  # a PDF saved as text
    arxiv = Arxiv({"/pdf/2512.22630": httpx2.Response(200, content=mangled)})
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, ARXIV)
    assert ft.source == "abstract"
    assert ft.skipped[0] == "html: HTTP 404"
    assert ft.skipped[1].startswith("pdf: ")


async def test_unusable_html_page_falls_back(corpus):
    arxiv = Arxiv(
        {
            "/html/2512.22630": httpx2.Response(200, html="<html><body>No HTML.</body></html>"),
            "/pdf/2512.22630": httpx2.Response(200, content=_pdf(corpus)),
        }
    )
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, ARXIV)
    assert ft.source == "pdf"
    assert len(ft.skipped) == 1 and ft.skipped[0].startswith("html: ")
    assert ft.skipped[0] != "html: HTTP 404"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx2.ReadTimeout("slow"), "html: timed out"),
        (httpx2.ConnectError("refused"), "html: connection failed"),
        (httpx2.Response(429, headers={"Retry-After": "0"}), "html: HTTP 429 (rate limited)"),
        (httpx2.Response(503), "html: HTTP 503"),
        (httpx2.Response(403), "html: HTTP 403"),
    ],
)
async def test_http_failures_are_named(answer, reason):
    arxiv = Arxiv({"/html/2512.22630": answer, "/pdf/2512.22630": httpx2.Response(410)})
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, ARXIV)
    assert ft.skipped == [reason, "pdf: HTTP 410"]
    assert ft.source == "abstract"


async def test_nothing_readable_raises():
    arxiv = Arxiv({})
    async with _fetcher(arxiv) as fetcher:
        with pytest.raises(FullTextError) as info:
            await read_fulltext(_paper(abstract="  "), fetcher, ARXIV)
    message = str(info.value)
    assert "html: HTTP 404" in message and "pdf: HTTP 404" in message
    assert "abstract: missing" in message and "\n" not in message


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "2601.02151?x=1", "2601.02151/../x", ""])
async def test_malformed_id_never_reaches_a_url(bad_id):
    arxiv = Arxiv({})
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(bad_id), fetcher, ARXIV)
    assert arxiv.paths == []
    assert ft.source == "abstract" and ft.url is None
    assert ft.skipped == ["html: not an arXiv id", "pdf: not an arXiv id"]


async def test_old_style_and_versioned_ids_are_fetched():
    arxiv = Arxiv({})
    async with _fetcher(arxiv) as fetcher:
        await read_fulltext(_paper("cond-mat/0011267v1"), fetcher, ARXIV)
        await read_fulltext(_paper("2601.02151v2"), fetcher, ARXIV)
    assert arxiv.paths == [
        "/html/cond-mat/0011267v1",
        "/pdf/cond-mat/0011267v1",
        "/html/2601.02151v2",
        "/pdf/2601.02151v2",
    ]


async def test_single_source(corpus):
    arxiv = Arxiv({"/pdf/2512.22630": httpx2.Response(200, content=_pdf(corpus))})
    async with _fetcher(arxiv) as fetcher:
        with pytest.raises(FullTextError, match=r"html: HTTP 404"):
            await read_fulltext(_paper(), fetcher, ARXIV, source="html")
        assert arxiv.paths == ["/html/2512.22630"]
        ft = await read_fulltext(_paper(), fetcher, ARXIV, source="pdf")
        assert ft.source == "pdf" and ft.skipped == []
        assert arxiv.paths == ["/html/2512.22630", "/pdf/2512.22630"]
        ft = await read_fulltext(_paper(), fetcher, ARXIV, source="abstract")
        assert ft.source == "abstract" and len(arxiv.paths) == 2
        with pytest.raises(UsageError):
            await read_fulltext(_paper(), fetcher, ARXIV, source="latex")


async def test_missing_title_and_abstract_come_from_the_paper(monkeypatch):
    def parse(body: bytes, paper_id: str, url: str) -> FullText:
        section = Section(title="1 Introduction", text=body.decode())
        return FullText(paper_id=paper_id, source="pdf", sections=[section])

    monkeypatch.setattr(fulltext, "_parse_pdf", parse)
    arxiv = Arxiv({"/pdf/2512.22630": httpx2.Response(200, content=b"Some text.")})
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, ARXIV, pdf_workers=1)
    assert ft.source == "pdf"
    assert ft.abstract == ABSTRACT
    assert ft.title == "On the Role of Discreteness in Diffusion LLMs"
    assert ft.sections[0].text == "Some text."


async def test_a_parse_without_text_is_skipped(monkeypatch):
    def parse(body: bytes, paper_id: str, url: str) -> FullText:
        return FullText(paper_id=paper_id, source="html", sections=[Section(title="1 Intro")])

    monkeypatch.setattr(fulltext, "_parse_html", parse)
    arxiv = Arxiv({"/html/2512.22630": httpx2.Response(200, html="<html></html>")})
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, ARXIV)
    assert ft.skipped == ["html: no text found", "pdf: HTTP 404"]


async def test_pdfs_parse_in_worker_processes_and_in_process_alike(corpus):
    body = next((corpus / "pdf").glob("arxiv_2512.22630_*.pdf")).read_bytes()
    arxiv = Arxiv({"/pdf/2512.22630": httpx2.Response(200, content=body)})
    texts = []
    for workers in (2, 1):
        async with _fetcher(arxiv) as fetcher:
            texts.append(await read_fulltext(_paper(), fetcher, ARXIV, pdf_workers=workers))
    fulltext.shutdown_workers()
    assert texts[0].source == texts[1].source == "pdf"
    assert texts[0].markdown == texts[1].markdown
    assert len(texts[0].sections) > 5


async def test_a_parser_crash_falls_back_to_the_next_source(monkeypatch, caplog):
    def broken(body: bytes, paper_id: str, url: str) -> FullText:
        raise IndexError("list index out of range")

    monkeypatch.setattr(fulltext, "_parse_html", broken)
    arxiv = Arxiv({"/html/2512.22630": httpx2.Response(200, html="<html></html>")})
    async with _fetcher(arxiv) as fetcher:
        ft = await read_fulltext(_paper(), fetcher, ARXIV)
    assert ft.source == "abstract"
    assert ft.skipped == ["html: parser error (IndexError)", "pdf: HTTP 404"]
    assert "html parser failed on 2512.22630" in caplog.text
