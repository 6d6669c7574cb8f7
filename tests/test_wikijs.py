"""Wiki.js publishing against a loopback fake of the Wiki.js 2.5 GraphQL API.

The fake keeps pages in memory and checks every request as Wiki.js would: POST /graphql, a Bearer
API key, ``{"query", "variables"}`` JSON, only the fields and arguments of the real schema
(``pages.singleByPath``, ``pages.create``, ``pages.update``), declared variable types that fit
the arguments, and values of those types. Missing pages answer the real "This page does not
exist." error (code 6003); creating an existing path answers ``succeeded: false`` with 6002.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dailypapers.errors import PublishError, UsageError
from dailypapers.models import Digest, Paper, PaperResult
from dailypapers.publish.wikijs import is_wikijs_url, parse_wikijs_url, publish_wikijs

TOKEN = "eyJhbGciOiJSUzI1NiJ9.wikiSecretApiKey.signature123"

# Wiki.js 2.5 server/graph/schemas/page.graphql (arguments and their types).
CREATE_ARGS = {
    "content": "String!",
    "description": "String!",
    "editor": "String!",
    "isPublished": "Boolean!",
    "isPrivate": "Boolean!",
    "locale": "String!",
    "path": "String!",
    "publishEndDate": "Date",
    "publishStartDate": "Date",
    "scriptCss": "String",
    "scriptJs": "String",
    "tags": "[String]!",
    "title": "String!",
}
UPDATE_ARGS = {"id": "Int!", **{k: v.rstrip("!") for k, v in CREATE_ARGS.items()}}
FIND_ARGS = {"path": "String!", "locale": "String!"}
PAGE_FIELDS = {
    "id", "path", "hash", "title", "description", "isPrivate", "isPublished", "privateNS",
    "publishStartDate", "publishEndDate", "tags", "content", "render", "toc", "contentType",
    "createdAt", "updatedAt", "editor", "locale", "scriptCss", "scriptJs", "authorId",
    "authorName", "authorEmail", "creatorId", "creatorName", "creatorEmail",
}  # fmt: skip
RESPONSE_FIELDS = {"responseResult", "succeeded", "errorCode", "slug", "message", "page"}
PYTHON_TYPES = {"String": str, "Boolean": bool, "Int": int}


class Problem(AssertionError):
    pass


def _check_value(name: str, declared: str, value: Any) -> None:
    if value is None:
        if declared.endswith("!"):
            raise Problem(f"${name} is required")
        return
    base = declared.rstrip("!")
    if base.startswith("["):
        inner = base.strip("[]").rstrip("!")
        if not isinstance(value, list) or not all(
            isinstance(v, PYTHON_TYPES[inner]) for v in value
        ):
            raise Problem(f"${name} must be a list of {inner}")
        return
    expected = PYTHON_TYPES[base]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise Problem(f"${name} must be {base}, got {value!r}")


def parse_operation(query: str, variables: dict[str, Any]) -> tuple[str, dict[str, Any], set[str]]:
    """Check a request as Wiki.js's schema would; returns (field, {arg: value}, selection)."""
    op = re.match(r"\s*(query|mutation)\s+\w*\s*\(([^)]*)\)\s*\{(.*)\}\s*$", query, re.S)
    if not op:
        raise Problem("not a named operation with variables")
    declared = dict(re.findall(r"\$(\w+)\s*:\s*([\[\]\w!]+)", op.group(2)))
    call = re.match(r"\s*pages\s*\{\s*(\w+)\s*\(([^)]*)\)\s*\{(.*)\}\s*\}\s*$", op.group(3), re.S)
    if not call:
        raise Problem("expected pages { field(args) { selection } }")
    field, arg_text, selection = call.groups()
    schemas = {"singleByPath": FIND_ARGS, "create": CREATE_ARGS, "update": UPDATE_ARGS}
    kind = {"singleByPath": "query", "create": "mutation", "update": "mutation"}
    if field not in schemas or kind[field] != op.group(1):
        raise Problem(f"{op.group(1)} pages.{field} is not in the schema")
    schema = schemas[field]
    args = dict(re.findall(r"(\w+)\s*:\s*\$(\w+)", arg_text))
    for arg, var in args.items():
        if arg not in schema:
            raise Problem(f"pages.{field} has no argument {arg}")
        if var not in declared:
            raise Problem(f"${var} is not declared")
        want, have = schema[arg], declared[var]
        if have.rstrip("!") != want.rstrip("!") or (want.endswith("!") and not have.endswith("!")):
            raise Problem(f"${var}: {have} does not fit {arg}: {want}")
    missing = [a for a, t in schema.items() if t.endswith("!") and a not in args]
    if missing:
        raise Problem(f"pages.{field} needs {missing}")
    if set(variables) != set(declared):
        raise Problem(f"variables {sorted(variables)} vs declared {sorted(declared)}")
    for name, value in variables.items():
        _check_value(name, declared[name], value)
    fields = set(re.findall(r"\w+", selection))
    allowed = PAGE_FIELDS if field == "singleByPath" else RESPONSE_FIELDS | PAGE_FIELDS
    if not fields or not fields <= allowed:
        raise Problem(f"unknown fields {sorted(fields - allowed)}")
    if field != "singleByPath" and not {"responseResult", "succeeded"} <= fields:
        raise Problem("mutations must read responseResult.succeeded")
    return field, {a: variables[v] for a, v in args.items()}, fields


class FakeWiki:
    """Wiki.js 2.5 pages in memory behind POST /graphql on 127.0.0.1."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], dict[str, Any]] = {}
        self.next_id = 1
        self.calls: list[str] = []
        self.problems: list[str] = []
        self.fail_next: list[int] = []
        self.hide_once: set[str] = set()
        wiki = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = wiki.handle(self.path, dict(self.headers.items()), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"wikijs+http://127.0.0.1:{self.port}/daily-papers"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page(self, path: str, locale: str = "en") -> dict[str, Any]:
        return self.pages[(locale, path)]

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if self.fail_next:
            return self.fail_next.pop(0), {"error": "bad gateway"}
        try:
            if path != "/graphql":
                raise Problem(f"POST {path}, expected /graphql")
            if headers.get("Content-Type", "").split(";")[0] != "application/json":
                raise Problem("content type must be application/json")
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 200, {"errors": [{"message": "Forbidden"}], "data": {"pages": None}}
            request = json.loads(body)
            if set(request) - {"query", "variables", "operationName"}:
                raise Problem(f"request keys {sorted(request)}")
            field, args, _ = parse_operation(request["query"], request.get("variables") or {})
        except (Problem, ValueError, KeyError) as exc:
            self.problems.append(str(exc))
            return 400, {"errors": [{"message": f"GraphQL validation: {exc}"}]}
        self.calls.append(field)
        return 200, getattr(self, f"_{field}")(args)

    def _singleByPath(self, args: dict[str, Any]) -> Any:
        page = self.pages.get((args["locale"], args["path"]))
        if page is None or args["path"] in self.hide_once:
            self.hide_once.discard(args["path"])
            error = {
                "message": "This page does not exist.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "exception": {"code": 6003}},
            }
            return {"errors": [error], "data": {"pages": {"singleByPath": None}}}
        return {"data": {"pages": {"singleByPath": {**page, "tags": None}}}}

    @staticmethod
    def _result(ok: bool, code: int = 0, slug: str = "ok", message: str = "") -> dict[str, Any]:
        return {"succeeded": ok, "errorCode": code, "slug": slug, "message": message}

    def _create(self, args: dict[str, Any]) -> Any:
        key = (args["locale"], args["path"])
        if key in self.pages:
            result = self._result(
                False,
                6002,
                "PageDuplicateCreate",
                "Cannot create this page because an entry already exists at the same path.",
            )
            return {"data": {"pages": {"create": {"responseResult": result, "page": None}}}}
        page = {"id": self.next_id, **args}
        self.next_id += 1
        self.pages[key] = page
        answer = {"responseResult": self._result(True), "page": {"id": page["id"]}}
        return {"data": {"pages": {"create": answer}}}

    def _update(self, args: dict[str, Any]) -> Any:
        found = [p for p in self.pages.values() if p["id"] == args["id"]]
        if not found:
            result = self._result(False, 6003, "PageNotFound", "This page does not exist.")
            return {"data": {"pages": {"update": {"responseResult": result, "page": None}}}}
        page = found[0]
        page.update({k: v for k, v in args.items() if v is not None})
        answer = {"responseResult": self._result(True), "page": {"id": page["id"]}}
        return {"data": {"pages": {"update": answer}}}


@pytest.fixture
def wiki(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_WIKIJS_TOKEN", TOKEN)
    fake = FakeWiki()
    yield fake
    fake.close()
    assert fake.problems == [], fake.problems


def digest(day: dt.date, n: int = 3) -> Digest:
    items = [
        PaperResult(paper=Paper(id=f"2601.{i:05d}", title=f"Paper {i}"), outcome="no-llm")
        for i in range(1, n + 1)
    ]
    return Digest(
        date=day,
        template="digest-en",
        language="en",
        generated_at=dt.datetime(2026, 1, 9, tzinfo=dt.UTC),
        items=items,
    )


JAN8, JAN9 = dt.date(2026, 1, 8), dt.date(2026, 1, 9)
DAY_LINK = re.compile(r"^- \[(\d{4}-\d{2}-\d{2})\]\((\S+)\)", re.M)


def links(content: str) -> list[tuple[str, str]]:
    return DAY_LINK.findall(content)


async def test_first_publish_creates_the_day_page_and_the_month_index(wiki):
    result = await publish_wikijs(wiki.url, digest(JAN8), markdown="# Jan 8\n\nPapers.\n")
    assert (result.day_action, result.index_action) == ("created", "created")
    assert result.url == f"http://127.0.0.1:{wiki.port}/en/daily-papers/2026/01/2026-01-08"
    day = wiki.page("daily-papers/2026/01/2026-01-08")
    assert day["content"] == "# Jan 8\n\nPapers.\n"
    assert day["title"] == "Daily Papers 2026-01-08" and day["editor"] == "markdown"
    assert day["isPublished"] is True and day["isPrivate"] is False
    assert day["tags"] == ["daily-papers"] and day["description"].startswith("3 papers")
    index = wiki.page("daily-papers/2026/01")
    assert index["title"] == "Daily Papers 2026-01"
    assert links(index["content"]) == [("2026-01-08", "/en/daily-papers/2026/01/2026-01-08")]
    assert "— 3 papers" in index["content"]
    assert wiki.calls == ["singleByPath", "create", "singleByPath", "create"]


async def test_republishing_and_restarting_never_duplicates(wiki):
    await publish_wikijs(wiki.url, digest(JAN8), markdown="v1")
    again = await publish_wikijs(wiki.url, digest(JAN8), markdown="v1")
    assert (again.day_action, again.index_action) == ("unchanged", "unchanged")
    changed = await publish_wikijs(wiki.url, digest(JAN8, n=4), markdown="v2")
    assert (changed.day_action, changed.index_action) == ("updated", "updated")
    # A "restart": nothing is kept in this process; everything comes from the wiki.
    await publish_wikijs(wiki.url, digest(JAN9), markdown="jan 9")
    await publish_wikijs(wiki.url, digest(JAN8, n=4), markdown="v2")
    assert sorted(path for _, path in wiki.pages) == [
        "daily-papers/2026/01",
        "daily-papers/2026/01/2026-01-08",
        "daily-papers/2026/01/2026-01-09",
    ]
    assert wiki.page("daily-papers/2026/01/2026-01-08")["content"] == "v2"
    index = wiki.page("daily-papers/2026/01")["content"]
    assert [d for d, _ in links(index)] == ["2026-01-09", "2026-01-08"]  # newest first, once
    assert "2026-01-08](/en/daily-papers/2026/01/2026-01-08) — 4 papers" in index
    assert wiki.calls.count("create") == 3


async def test_an_index_with_duplicate_links_is_rebuilt_clean(wiki):
    await publish_wikijs(wiki.url, digest(JAN8), markdown="x")
    index = wiki.page("daily-papers/2026/01")
    line = "- [2026-01-08](/en/daily-papers/2026/01/2026-01-08) — 3 papers"
    stray = "- [2025-12-31](/en/daily-papers/2025/12/2025-12-31) — 1 paper"
    index["content"] += f"{line}\n{line}\n{stray}\nsome notes\n"
    await publish_wikijs(wiki.url, digest(JAN9, n=1), markdown="y")
    assert links(wiki.page("daily-papers/2026/01")["content"]) == [
        ("2026-01-09", "/en/daily-papers/2026/01/2026-01-09"),
        ("2026-01-08", "/en/daily-papers/2026/01/2026-01-08"),
    ]


async def test_each_month_has_its_own_index_and_locale_and_prefix_are_kept(wiki):
    url = f"wikijs+http://127.0.0.1:{wiki.port}/team/papers?locale=de"
    await publish_wikijs(url, digest(dt.date(2026, 2, 1)), markdown="feb")
    await publish_wikijs(url, digest(JAN8), markdown="jan")
    assert sorted(wiki.pages) == [
        ("de", "team/papers/2026/01"),
        ("de", "team/papers/2026/01/2026-01-08"),
        ("de", "team/papers/2026/02"),
        ("de", "team/papers/2026/02/2026-02-01"),
    ]
    feb = wiki.page("team/papers/2026/02", "de")["content"]
    assert links(feb) == [("2026-02-01", "/de/team/papers/2026/02/2026-02-01")]


async def test_a_page_created_meanwhile_is_updated_not_created_twice(wiki):
    await publish_wikijs(wiki.url, digest(JAN8), markdown="first")
    wiki.hide_once.add("daily-papers/2026/01/2026-01-08")  # lookup misses; create says 6002
    result = await publish_wikijs(wiki.url, digest(JAN8), markdown="second")
    assert result.day_action == "updated"
    assert wiki.page("daily-papers/2026/01/2026-01-08")["content"] == "second"
    assert len(wiki.pages) == 2


async def test_a_bad_gateway_is_retried(wiki):
    wiki.fail_next = [502, 503]
    result = await publish_wikijs(wiki.url, digest(JAN8), markdown="x", backoff=0.01)
    assert result.day_action == "created"
    wiki.fail_next = [502, 502, 502]
    with pytest.raises(PublishError, match="HTTP 502"):
        await publish_wikijs(wiki.url, digest(JAN9), markdown="x", retries=2, backoff=0.01)


async def test_a_wrong_or_missing_token_fails_without_showing_it(wiki, monkeypatch):
    with pytest.raises(PublishError, match="Forbidden") as raised:
        await publish_wikijs(wiki.url, digest(JAN8), markdown="x", token="wrongSecretToken42")
    assert raised.value.exit_code == 4 and "wrongSecretToken42" not in str(raised.value)
    monkeypatch.delenv("DAILYPAPERS_WIKIJS_TOKEN")
    with pytest.raises(PublishError, match="DAILYPAPERS_WIKIJS_TOKEN"):
        await publish_wikijs(wiki.url, digest(JAN8), markdown="x")
    assert wiki.pages == {}


def test_wikijs_urls():
    target = parse_wikijs_url("wikijs://wiki.example.org/kb/daily")
    assert (target.base, target.prefix, target.locale) == (
        "https://wiki.example.org",
        "kb/daily",
        "en",
    )
    assert target.endpoint == "https://wiki.example.org/graphql"
    plain = parse_wikijs_url("wikijs+http://127.0.0.1:3000")
    assert (plain.base, plain.prefix) == ("http://127.0.0.1:3000", "daily-papers")
    assert plain.day_path(JAN8) == "daily-papers/2026/01/2026-01-08"
    assert is_wikijs_url("wikijs://x") and not is_wikijs_url("s3://bucket")
    for bad in (
        "https://wiki.example.org/x",
        "wikijs:///nohost",
        "wikijs://wiki.example.org/../etc",
        "wikijs://user:key@wiki.example.org/x",
        "wikijs://wiki.example.org/x?locale=english!",
    ):
        with pytest.raises(UsageError):
            parse_wikijs_url(bad)


def test_the_fake_rejects_what_wikijs_would():
    with pytest.raises(Problem, match="no argument"):
        parse_operation(
            "query Q($path: String!, $locale: String!, $x: String!) { pages { singleByPath("
            "path: $path, locale: $locale, bogus: $x) { id } } }",
            {"path": "a", "locale": "en", "x": "y"},
        )
    with pytest.raises(Problem, match="needs"):
        parse_operation(
            "mutation M($path: String!) { pages { create(path: $path) "
            "{ responseResult { succeeded } } } }",
            {"path": "a"},
        )
    with pytest.raises(Problem, match="must be Int"):
        parse_operation(
            "mutation M($id: Int!) { pages { update(id: $id) { responseResult { succeeded } } } }",
            {"id": "7"},
        )
