"""The generated site in a real headless Chromium (Debian ``chromium`` + ``chromium-driver``).

The site of the corpus days is served from a loopback ``http.server`` thread; the teaser images
point at the same loopback server (no test reaches the network, and Chromium is told to resolve
no other host). Checks: the index lists the dates, a date page shows all its papers, the search
box finds a paper by a tag, and the browser console logs no error.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import struct
import threading
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_site import DAYS, corpus_digests, corpus_papers

from dailypapers.publish import build_site, page_relpath

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def png(width: int, height: int) -> bytes:
    """A small gradient PNG, made here (no image library needed)."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (200 - y // 2, 90 + x // 4, 40 + y // 3))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(corpus: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Build the corpus site into tmp_path/site and serve it on 127.0.0.1; yields (url, root)."""
    root = tmp_path / "site"
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    digests = corpus_digests(corpus)
    for digest in digests:
        for item in digest.items:
            if item.paper.thumbnail:  # the real CDN URL, moved to loopback
                item.paper.thumbnail = f"{url}/thumbs/{item.paper.id}.png"
    build_site(digests, root, title="Daily Papers")
    (root / "thumbs").mkdir()
    for digest in digests:
        for item in digest.items:
            (root / "thumbs" / f"{item.paper.id}.png").write_bytes(png(320, 160))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if not CHROMIUM.exists() or not Path(CHROMEDRIVER).exists():
        pytest.skip("needs Debian's chromium and chromium-driver (/usr/bin/chromium, chromedriver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1500",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(
        executable_path=CHROMEDRIVER, log_output=str(tmp_path / "cd.log")
    )
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def severe(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for_results(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(
        lambda d: (
            d.find_element(By.ID, "search-results").is_displayed()
            and d.find_elements(By.CSS_SELECTOR, "#search-results .hit")
        )
    )
    return driver.find_elements(By.CSS_SELECTOR, "#search-results li.result a")


def test_site_in_chromium(
    served: tuple[str, Path], browser: Any, corpus: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = served
    errors: list[str] = []

    # The index lists every date, newest first, with its paper count.
    browser.get(f"{url}/index.html")
    items = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.dates li")]
    assert items == [f"{day.isoformat()} {len(corpus_papers(corpus, day))} papers" for day in DAYS]
    errors += severe(browser)

    # A date page shows all its papers, with their teaser images loaded.
    day = date(2026, 1, 8)
    papers = corpus_papers(corpus, day)
    browser.find_element(By.LINK_TEXT, day.isoformat()).click()
    assert browser.current_url == f"{url}/{page_relpath(day)}"
    articles = browser.find_elements(By.CSS_SELECTOR, "article.paper")
    assert len(articles) == len(papers) == 20
    titles = [a.find_element(By.TAG_NAME, "h2").text for a in articles]
    assert titles == [f"{i}. {' '.join(p.title.split())}" for i, p in enumerate(papers, 1)]
    teasers = browser.find_elements(By.CSS_SELECTOR, "img.teaser")
    assert len(teasers) == len([p for p in papers if p.thumbnail]) == 20
    for img in teasers:  # they load lazily: scroll each into view, wait until it has loaded
        browser.execute_script("arguments[0].scrollIntoView();", img)
        WebDriverWait(browser, 10).until(
            lambda d, img=img: (
                d.execute_script("return arguments[0].complete && arguments[0].naturalWidth;", img)
                == 320
            )
        )
    browser.execute_script("window.scrollTo(0, 0);")
    errors += severe(browser)

    # Search finds a paper by one of its tags (typed into the box).
    target = papers[5]
    tag = next(k for k in target.ai_keywords if sum(k in p.ai_keywords for p in papers) == 1)
    box = browser.find_element(By.ID, "search-input")
    box.send_keys(tag)
    links = wait_for_results(browser)
    assert links and links[0].text == " ".join(target.title.split())
    browser.save_screenshot(str(tmp_path / "search.png"))
    links[0].click()
    assert browser.current_url.endswith(f"{page_relpath(day)}#p-{target.id}")
    errors += severe(browser)

    # A tag chip links to the index with ?q=tag, which runs the search on load.
    browser.get(f"{url}/{page_relpath(day)}")
    browser.find_element(By.CSS_SELECTOR, f'[id="p-{target.id}"] a.tag').click()
    links = wait_for_results(browser)
    assert " ".join(target.title.split()) in [a.text for a in links]
    errors += severe(browser)

    # The date page again, for the screenshot.
    browser.get(f"{url}/{page_relpath(day)}")
    shot = tmp_path / "site.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    errors += severe(browser)
    assert errors == []


def test_search_works_from_file_urls(served: tuple[str, Path], browser: Any, corpus: Path) -> None:
    """Opened straight from disk (file://), pages read and search loads search-index.js."""
    from selenium.webdriver.common.by import By

    _, root = served
    papers = corpus_papers(corpus, DAYS[0])
    browser.get((root / "index.html").as_uri())
    browser.find_element(By.ID, "search-input").send_keys(papers[0].title.split(":")[0])
    links = wait_for_results(browser)
    assert links[0].text == " ".join(papers[0].title.split())
    links[0].click()
    assert browser.find_elements(By.CSS_SELECTOR, "article.paper")
    assert severe(browser) == []
