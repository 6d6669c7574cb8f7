"""The static site (publish.site): pages, index, Atom feed, search index, sanitizing.

Digests are built from the real metadata of two corpus days (read in place with plain json).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dailypapers.errors import DailyPapersError
from dailypapers.models import Digest, Finding, Paper, PaperResult, Summary
from dailypapers.publish import build_site, markdown_to_html, page_relpath, safe_url, write_atomic
from dailypapers.publish.sanitize import latex_to_text
from dailypapers.publish.views import humanize

ATOM = "{http://www.w3.org/2005/Atom}"
DAYS = (date(2026, 1, 8), date(2026, 1, 2))
SOURCES = ("html", "pdf", "abstract")


# --------------------------------------------------------------------------- corpus -> Digests


def corpus_papers(corpus: Path, day: date) -> list[Paper]:
    """The papers of a corpus day, parsed with plain json (same fields as the HF API)."""
    raw = json.loads(
        (corpus / "hf_api" / f"daily_papers_{day.isoformat()}.json").read_text("utf-8")
    )
    papers = []
    for entry in raw:
        item = entry["paper"]
        papers.append(
            Paper(
                id=item["id"],
                title=item["title"],
                authors=[a["name"] for a in item.get("authors", []) if not a.get("hidden")],
                abstract=item.get("summary"),
                published_at=item.get("publishedAt"),
                daily_date=day,
                upvotes=item.get("upvotes", 0),
                num_comments=entry.get("numComments"),
                ai_summary=item.get("ai_summary"),
                ai_keywords=item.get("ai_keywords") or [],
                github_repo=item.get("githubRepo"),
                github_stars=item.get("githubStars"),
                project_page=item.get("projectPage"),
                thumbnail=entry.get("thumbnail"),
            )
        )
    return papers


def title_tags(paper: Paper) -> list[str]:
    """Tags an LLM might write: the long words of the title."""
    return [w.strip(":,()") for w in paper.title.split() if len(w.strip(":,()")) > 7][:3]


def summary_for(paper: Paper, position: int, *, with_tags: bool) -> Summary:
    fields: dict[str, Any] = {
        "main_problem": paper.ai_summary or paper.abstract or "",
        "main_idea": (
            f"The paper proposes **{paper.title.split(':')[0]}**, scaling by $\\alpha^2$ "
            f"where $\\lambda \\leq 0.5$."
        ),
        "main_results": [
            f"{paper.upvotes} upvotes on *Hugging Face*",
            "Beats the baseline by 3.1%",
        ],
        "brainstorming_space": {
            "publish_papers": ["Apply it to vision.", "Study its limits."],
            "patent": ["A device that uses it."],
        },
    }
    if with_tags:
        fields["tags"] = title_tags(paper)
    findings = [Finding(field="main_results", claim="3.1%", kind="number", found=position % 2 == 0)]
    return Summary(
        paper_id=paper.id,
        template="digest-en",
        language="en",
        model="fake-model",
        fields=fields,
        findings=findings,
        llm_calls=1,
    )


def corpus_digest(corpus: Path, day: date) -> Digest:
    items = []
    for position, paper in enumerate(corpus_papers(corpus, day)):
        if position == 2:
            items.append(
                PaperResult(
                    paper=paper, skipped=["html: HTTP 404", "pdf: HTTP 404"], error="no text"
                )
            )
            continue
        source = SOURCES[position % 3]
        items.append(
            PaperResult(
                paper=paper,
                source=source,
                source_url=f"https://arxiv.org/{source}/{paper.id}"
                if source != "abstract"
                else None,
                skipped=["html: HTTP 404"] if source == "pdf" else [],
                summary=summary_for(paper, position, with_tags=day == date(2026, 1, 2)),
                outcome="summarized",
            )
        )
    return Digest(
        date=day,
        template="digest-en",
        language="en",
        model="fake-model",
        generated_at=datetime(day.year, day.month, day.day + 1, 6, 30, tzinfo=UTC),
        items=items,
    )


def corpus_digests(corpus: Path) -> list[Digest]:
    return [corpus_digest(corpus, day) for day in DAYS]


# --------------------------------------------------------------------------- HTML inspection


class Page(HTMLParser):
    """Every element (tag, attrs) of a page, the text inside each <script>, and the body text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)

    def find(self, tag: str, **want: str) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and all(want[k] in attrs.get(k, "").split() for k in want)
        ]


@pytest.fixture(scope="module")
def site(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build_site(corpus_digests(corpus), out, title="Daily Papers")
    return out


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def read(path: Path) -> str:
    return path.read_text("utf-8")


# --------------------------------------------------------------------------- the corpus site


def test_build_site_writes_every_file(site: Path) -> None:
    written = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert written == [
        "2026/01/daily_digest_2026-01-02.html",
        "2026/01/daily_digest_2026-01-08.html",
        "feed.xml",
        "index.html",
        "search-index.js",
        "search.json",
        "static/favicon.svg",
        "static/search.js",
        "static/style.css",
    ]


def test_index_lists_dates_newest_first_with_counts(site: Path, corpus: Path) -> None:
    page = Page(read(site / "index.html"))
    links = [a["href"] for a in page.find("a") if a["href"].startswith("2026/")]
    assert links == [page_relpath(day) for day in DAYS]
    text = " ".join(" ".join(page.text).split())
    for day in DAYS:
        count = len(corpus_papers(corpus, day))
        assert f"{day.isoformat()} {count} papers" in text
    assert page.find("link", rel="alternate")[0]["href"] == "feed.xml"


@pytest.mark.parametrize("day", DAYS)
def test_day_page_shows_every_paper(site: Path, corpus: Path, day: date) -> None:
    papers = corpus_papers(corpus, day)
    html = read(site / page_relpath(day))
    page = Page(html)
    articles = page.find("article", **{"class": "paper"})
    assert [a["id"] for a in articles] == [f"p-{p.id}" for p in papers]
    text = " ".join(" ".join(page.text).split())
    for paper in papers:
        assert " ".join(paper.title.split()) in text
        assert paper.authors[0] in text
    thumbs = [img["src"] for img in page.find("img", **{"class": "teaser"})]
    assert thumbs == [p.thumbnail for p in papers if p.thumbnail]
    hrefs = {a["href"] for a in page.find("a")}
    for paper in papers:
        assert {paper.hf_url, paper.arxiv_url, paper.pdf_url} <= hrefs
        if paper.github_repo:
            assert paper.github_repo in hrefs
    assert text.count("Read from: the arXiv HTML full text") == len(
        [i for i in range(len(papers)) if i != 2 and i % 3 == 0]
    )
    assert "Read from: the PDF full text" in text and "Read from: the abstract only" in text
    assert "No summary: no text" in text  # the failed paper is a stub that says why
    assert "Skipped: html: HTTP 404; pdf: HTTP 404" in text


def test_day_page_renders_summary_fields(site: Path, corpus: Path) -> None:
    day = date(2026, 1, 8)
    html = read(site / page_relpath(day))
    page = Page(html)
    names = [" ".join(t.split()) for t in page.text if t.strip()]
    for label in ("Main problem", "Main idea", "Main results", "Brainstorming space"):
        assert label in names
    assert "Publish papers" in names and "Patent" in names
    assert "<strong>Entropy-Adaptive Fine-Tuning</strong>" in html
    assert '<span class="math" title="\\alpha^2">α²</span>' in html
    assert '<span class="math" title="\\lambda \\leq 0.5">λ ≤ 0.5</span>' in html
    assert "<em>Hugging Face</em>" in html
    # verify flags: odd positions have an unsupported "3.1%" claim
    flags = html.count('<div class="flags">')
    papers = corpus_papers(corpus, day)
    assert flags == len([i for i in range(len(papers)) if i % 2 == 1 and i != 2])
    assert "Not found in the text that was read" in html


def tag_chips(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<a class="tag" href="[^"]*">([^<]*)</a>', html)]


def test_tags_come_from_hf_keywords_without_a_tags_field(site: Path, corpus: Path) -> None:
    day = date(2026, 1, 8)
    papers = corpus_papers(corpus, day)
    chips = tag_chips(read(site / page_relpath(day)))
    assert chips == [k for p in papers for k in dict.fromkeys(p.ai_keywords)]
    assert len(chips) > len(papers)


def test_tags_come_from_the_summary_tags_field(site: Path, corpus: Path) -> None:
    day = date(2026, 1, 2)
    html = read(site / page_relpath(day))
    papers = corpus_papers(corpus, day)
    expected = [t for i, p in enumerate(papers) if i != 2 for t in title_tags(p)]
    assert tag_chips(html) == expected and expected
    assert '<h3 class="field-name">Tags</h3>' not in html  # shown as chips, not as a field
    link = re.search(r'<a class="tag" href="([^"]*)">', html)
    assert link and link.group(1) == "../../index.html?q=" + quote(expected[0])


def test_feed_is_valid_atom(site: Path, corpus: Path) -> None:
    root = ET.parse(site / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}") is not None and root.find(f"{ATOM}{tag}").text
    assert root.find(f"{ATOM}id").text.startswith("urn:uuid:")
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}updated").text == "2026-01-09T06:30:00Z"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = []
    for entry, day in zip(entries, DAYS, strict=True):
        ids.append(entry.find(f"{ATOM}id").text)
        assert stamp.match(entry.find(f"{ATOM}updated").text)
        count = len(corpus_papers(corpus, day))
        assert entry.find(f"{ATOM}title").text.endswith(f"{day.isoformat()} ({count} papers)")
        link = entry.find(f"{ATOM}link")
        assert link.get("rel") == "alternate" and link.get("href") == page_relpath(day)
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        assert len(Page(content.text).find("li")) == count
    assert len(set(ids)) == 2 and all(i.startswith("urn:uuid:") for i in ids)


def test_feed_links_are_absolute_with_base_url(corpus: Path, tmp_path: Path) -> None:
    build_site(corpus_digests(corpus)[:1], tmp_path, base_url="https://example.org/papers")
    root = ET.parse(tmp_path / "feed.xml").getroot()
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "https://example.org/papers/index.html",
        "self": "https://example.org/papers/feed.xml",
    }
    entry_link = root.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert entry_link == "https://example.org/papers/2026/01/daily_digest_2026-01-08.html"


def test_search_index_points_at_papers(site: Path, corpus: Path) -> None:
    index = json.loads(read(site / "search.json"))
    assert index["schema"] == "dailypapers.search/1"
    papers = index["papers"]
    assert len(papers) == sum(len(corpus_papers(corpus, day)) for day in DAYS)
    by_id = {p["id"]: p for p in papers}
    first = corpus_papers(corpus, DAYS[0])[0]
    entry = by_id[first.id]
    assert entry["title"] == first.title and entry["date"] == "2026-01-08"
    assert set(first.ai_keywords) <= set(entry["tags"])  # HF keywords + the summary's tags
    second_day = corpus_papers(corpus, DAYS[1])[0]
    assert by_id[second_day.id]["tags"] == title_tags(second_day)
    assert "Entropy-Adaptive Fine-Tuning" in entry["text"] and "**" not in entry["text"]
    for paper in papers:
        path, anchor = paper["url"].split("#")
        assert f'id="{anchor}"' in read(site / path)
    js = read(site / "search-index.js")
    assert js.startswith("window.DAILYPAPERS_SEARCH = {") and js.rstrip().endswith("};")
    assert json.loads(js.split(" = ", 1)[1].rstrip().rstrip(";")) == index


def test_rebuild_is_identical_and_leaves_no_temp_files(corpus: Path, tmp_path: Path) -> None:
    digests = corpus_digests(corpus)
    build_site(digests, tmp_path / "a")
    build_site(digests, tmp_path / "a")
    build_site(digests, tmp_path / "b")
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in files(tmp_path / "a")}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in files(tmp_path / "b")}
    assert files_a == files_b
    assert not [p for p in files_a if p.name.endswith(".tmp")]


def test_latest_digest_of_a_date_wins(corpus: Path, tmp_path: Path) -> None:
    old = corpus_digest(corpus, DAYS[1])
    new = old.model_copy(
        update={"items": old.items[:3], "generated_at": datetime(2026, 1, 5, tzinfo=UTC)}
    )
    build_site([new, old], tmp_path)
    page = Page(read(tmp_path / page_relpath(DAYS[1])))
    assert len(page.find("article")) == 3
    assert "3 papers" in " ".join(" ".join(Page(read(tmp_path / "index.html")).text).split())


def test_empty_site_is_valid(tmp_path: Path) -> None:
    index = build_site([], tmp_path, title="Nothing yet")
    assert index == tmp_path / "index.html" and index.is_file()
    root = ET.parse(tmp_path / "feed.xml").getroot()
    assert root.findall(f"{ATOM}entry") == [] and root.find(f"{ATOM}updated").text
    assert json.loads(read(tmp_path / "search.json"))["papers"] == []


def test_labels_and_language(corpus: Path, tmp_path: Path) -> None:
    digest = corpus_digest(corpus, DAYS[1]).model_copy(update={"language": "vi"})
    build_site([digest], tmp_path, labels={"authors": "Tác giả", "papers": "bài báo"})
    html = read(tmp_path / page_relpath(DAYS[1]))
    assert '<html lang="vi">' in html and "Tác giả:" in html
    assert "7 bài báo" in " ".join(read(tmp_path / "index.html").split())


# --------------------------------------------------------------------------- pure helpers


def test_markdown_math_and_links() -> None:
    assert markdown_to_html("a $x_1 + y^{2}$ b") == (
        '<p>a <span class="math" title="x_1 + y^{2}">x₁ + y²</span> b</p>\n'
    )
    assert 'class="math display"' in markdown_to_html("$$\n\\sum_i x_i\n$$")
    assert markdown_to_html("costs $5 and $10") == "<p>costs $5 and $10</p>\n"
    assert markdown_to_html("`$x$`") == "<p><code>$x$</code></p>\n"
    link = markdown_to_html("[arXiv](https://arxiv.org/abs/2601.02151)")
    assert 'href="https://arxiv.org/abs/2601.02151"' in link and "noopener" in link
    assert "<a" not in markdown_to_html("[rel](/etc/passwd) [d](data:text/html,x)")
    assert markdown_to_html("# Big") == "<h3>Big</h3>\n"
    assert latex_to_text("\\mathbf{W} \\in \\mathbb{R}^{2}") == "W ∈ R²"


def test_safe_url() -> None:
    assert safe_url("https://github.com/PRIS-CV/EAFT") == "https://github.com/PRIS-CV/EAFT"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\nscript:x", "data:x", "//x.y"):
        assert safe_url(bad) is None
    assert safe_url(None) is None and safe_url("https://") is None


def test_humanize() -> None:
    assert humanize("main_problem") == "Main problem"
    assert humanize("conclusionFutureWorks") == "Conclusion future works"
    assert humanize("one-sentence_contribution") == "One sentence contribution"
    assert humanize("LLM_usage") == "LLM usage"


def test_write_atomic(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.txt"
    write_atomic(target, "één")
    assert target.read_text("utf-8") == "één" and (target.stat().st_mode & 0o777) == 0o644
    target.chmod(0o600)
    write_atomic(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes" and (target.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["x.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(DailyPapersError, match="cannot write"):
        write_atomic(tmp_path / "file" / "below.txt", "x")


# --------------------------------------------------------------------------- hostile output

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    "[y](JaVaScRiPt:alert(1)) <javascript:alert(1)> [z]( javascript:alert(1) )",
    '<svg onload=alert(1)></svg><iframe src="javascript:alert(1)"></iframe>',
    "</span><script>alert(1)</script>$x</span><script>alert(1)</script>$",
    "[w](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    "[q](&#106;avascript:alert(1)) [r](java&#x09;script:alert(1))",
]
URL_ATTRS = {"href", "src", "action", "formaction", "srcset", "xlink:href", "poster", "data"}
OWN_SCRIPT = re.compile(r"^(?:\.\./\.\./)?static/search\.js$")


def hostile_digest() -> Digest:
    evil = " ".join(HOSTILE)
    paper = Paper(
        id='2601.99999"><script>alert(1)</script>',
        title="Title <script>alert(1)</script>",
        authors=["<img src=x onerror=alert(1)>", "Ada"],
        abstract=evil,
        ai_keywords=["<script>alert(1)</script>", 'x" onmouseover="alert(1)'],
        github_repo="javascript:alert(1)",
        project_page=" JaVaScRiPt:alert(1)",
        thumbnail="javascript:alert(1)",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    fields: dict[str, Any] = {
        "main_problem": evil,
        "<script>alert(1)</script>": HOSTILE,
        "nested": {"onerror": {"deeper": HOSTILE}, "list": [{"k": h} for h in HOSTILE]},
        "tags": HOSTILE[:2],
    }
    summary = Summary(
        paper_id=paper.id,
        template="<script>alert(1)</script>",
        language='en"><script>alert(1)</script>',
        fields=fields,
        findings=[Finding(field="<script>", claim=HOSTILE[1], kind="name", found=False)],
    )
    stub = paper.model_copy(update={"id": "2601.99998", "ai_summary": evil, "abstract": None})
    return Digest(
        date=date(2026, 1, 9),
        template="<script>alert(1)</script>",
        language='en" onload="alert(1)',
        model="<img src=x onerror=alert(1)>",
        generated_at=datetime(2026, 1, 10, tzinfo=UTC),
        items=[
            PaperResult(
                paper=paper,
                source="html",
                source_url="javascript:alert(1)",
                skipped=HOSTILE[:2],
                summary=summary,
                outcome="summarized",
            ),
            PaperResult(paper=stub, error=HOSTILE[0], skipped=[HOSTILE[2]]),
        ],
    )


def assert_inert_html(text: str, where: str) -> None:
    page = Page(text)
    for tag, attrs in page.elements:
        assert tag not in {"iframe", "object", "embed", "svg", "style", "base", "math"}, where
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: {tag} {name}={value}"
            if name in URL_ATTRS:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), where
        if tag == "script":
            assert OWN_SCRIPT.match(attrs.get("src", "")), f"{where}: foreign script {attrs}"
        if tag == "img":
            assert attrs["src"].startswith("https://"), where
    assert not "".join(page.scripts).strip(), f"{where}: inline script"


def test_hostile_output_is_neutralized(corpus: Path, tmp_path: Path) -> None:
    digests = [hostile_digest(), corpus_digest(corpus, DAYS[1])]
    build_site(digests, tmp_path, title="Site <script>alert(1)</script>")
    written = files(tmp_path)
    assert len(written) == 9
    active = re.compile(
        r"<script(?![^>]*\bsrc=\"(?:\.\./\.\./)?static/search\.js\")"  # a script that is not ours
        r"|<[a-z][^>]*\son[a-z]+\s*="  # an event-handler attribute
        r"|<[a-z][^<>]*\s(?:href|src|action)\s*=\s*[\"']?\s*(?:javascript|vbscript|data):"
        r"|<img\s+src=x|<iframe",
        re.IGNORECASE,
    )
    for file in written:
        text = file.read_text("utf-8")
        assert not active.search(text), f"{file.name}: {active.search(text)}"
        if file.suffix == ".html":
            assert_inert_html(text, file.name)
    # the feed's HTML content is HTML once a reader unescapes it: check it the same way
    for content in ET.parse(tmp_path / "feed.xml").getroot().iter(f"{ATOM}content"):
        assert_inert_html(content.text or "", "feed content")
    # JSON and JS text is inert data: no raw '<' at all
    for name in ("search.json", "search-index.js"):
        assert "<" not in read(tmp_path / name)
    hostile_page = read(tmp_path / page_relpath(date(2026, 1, 9)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_page  # shown as text, not dropped
    assert '<html lang="en">' in hostile_page
    assert 'class="teaser"' not in hostile_page  # javascript: thumbnail is not shown
