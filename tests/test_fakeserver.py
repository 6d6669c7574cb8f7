"""The loopback fake server speaks the shapes the real clients expect."""

from __future__ import annotations

import json

import httpx2


def test_unknown_date_is_an_empty_list(fake_server):
    response = httpx2.get(f"{fake_server.url}/api/daily_papers", params={"date": "2026-01-10"})
    assert response.status_code == 200
    assert response.json() == []


def test_corpus_day_serves_list_and_pdfs(fake_server, corpus):
    ids = fake_server.serve_corpus_day(corpus, "2026-01-02")
    assert len(ids) == 7
    assert sorted(fake_server.pdf) == ["2512.22630", "2512.23959", "2512.24007", "2512.24617"]
    pdf = httpx2.get(f"{fake_server.url}/pdf/2512.22630")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert httpx2.get(f"{fake_server.url}/html/2512.22630").status_code == 404


def test_fault_is_served_then_cleared(fake_server):
    fake_server.add_fault("/api/", status=429, headers={"Retry-After": "2"})
    first = httpx2.get(f"{fake_server.url}/api/daily_papers", params={"date": "2026-01-10"})
    second = httpx2.get(f"{fake_server.url}/api/daily_papers", params={"date": "2026-01-10"})
    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert second.status_code == 200


def test_chat_fills_schema_in_asked_language(fake_server):
    schema = {
        "type": "object",
        "properties": {
            "problem": {"type": "string"},
            "ideas": {"type": "array", "items": {"type": "string"}, "minItems": 3},
        },
    }
    request = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Write in Vietnamese."},
            {"role": "user", "content": "paper text " * 50},
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
    }
    answer = httpx2.post(f"{fake_server.url}/v1/chat/completions", json=request).json()
    content = json.loads(answer["choices"][0]["message"]["content"])
    assert len(content["ideas"]) == 3
    assert "Bài báo" in content["problem"]
    assert answer["usage"]["prompt_tokens"] > 0
    assert fake_server.chat_requests()[0]["model"] == "m"
