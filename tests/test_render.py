"""Rendering: the built-in layouts reproduce the reference reports; JSON output; report paths.

The corpus tests rebuild each reference report's papers as Digest objects (fields taken from the
report itself), render them with our template and compare the result with the reference, line
by line after normalizing what the reference's LLM wrote inconsistently (blank lines, list
markers), or, for the Chinese report whose body layout varies per paper, by its skeleton.
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dailypapers.errors import TemplateError
from dailypapers.models import Digest, Finding, Paper, PaperResult, RunStats, Summary
from dailypapers.render import JSON_SCHEMA, render_json, render_markdown, report_paths
from dailypapers.templates import fields_without_llm, load_template

GENERATED = datetime(2026, 1, 9, 10, 16, 18)
SEP = "=" * 60

# ----------------------------------------------------------------------------- digest-vi / -en


def _section(block: str, heading: str) -> str:
    match = re.search(rf"^### {re.escape(heading)}:\n(.*?)(?=^### |\Z)", block, re.M | re.S)
    assert match, heading
    return match.group(1).strip()


def _items(text: str) -> list[str]:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return [re.sub(r"^(?:\d+\.|[-*])\s+", "", line) for line in lines]


def _digest_papers(text: str, labels: dict[str, str]) -> list[PaperResult]:
    """The papers of a digest-layout report as PaperResults (summaries from the report)."""
    items: list[PaperResult] = []
    for block in text.split("\n--- \n")[1:]:
        title = re.search(r"^## \d+\. (.+)$", block, re.M)
        pid = re.search(r"huggingface\.co/papers/([\d.]+)\)", block)
        authors = re.search(rf"^\*\*{labels['authors']}:\*\* (.+)$", block, re.M)
        published = re.search(rf"^\*\*{labels['published']}:\*\* (.+)$", block, re.M)
        github = re.search(r"^\| Github Repository \| \[(.+?)\]", block, re.M)
        assert title and pid and authors and published
        paper = Paper(
            id=pid.group(1),
            title=title.group(1),
            authors=authors.group(1).split(", "),
            published_at=datetime.fromisoformat(published.group(1)),
            github_repo=github.group(1) if github else None,
        )
        if labels["stub"] in block:
            items.append(PaperResult(paper=paper, outcome="failed", source="pdf"))
            continue
        tags = re.search(rf"^\*\*{labels['tags']}:\*\* (.+)$", block, re.M)
        brainstorm = _section(block, "Brainstorming Space")
        ideas, patents = re.split(r"^#### 2\. .*$", brainstorm, flags=re.M)
        fields: dict[str, Any] = {
            "tags": tags.group(1).split(", ") if tags else [],
            "main_problem": _section(block, "Main Problem"),
            "main_idea": _section(block, "Main Idea"),
            "main_results": _section(block, "Main Results"),
            "conclusion": _section(block, "Conclusion & Future Works"),
            "brainstorming": {
                "publish_papers": _items(ideas.split("\n", 1)[1]),
                "patent_ideas": _items(patents),
            },
        }
        summary = Summary(
            paper_id=paper.id,
            template="digest-vi",
            language="vi",
            model="gemini-2.5-flash",
            fields=fields,
        )
        items.append(PaperResult(paper=paper, summary=summary, outcome="summarized", source="pdf"))
    return items


def _normalized(text: str) -> list[str]:
    """Lines without blank lines and with list markers unified (the reference's LLM varied them)."""
    out = []
    in_ideas = False  # under "#### 1. Publish Papers:" / "#### 2. Patent:" every line is an item
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            in_ideas = line.startswith("#### ")
            out.append(line)
            continue
        line = re.sub(r"^\s*(?:\d+\.|[-*])\s+", "• ", line.rstrip())
        if in_ideas and not line.startswith("• "):
            line = f"• {line}"
        out.append(line)
    return out


def _skeleton(text: str) -> list[str]:
    """Headings, bold labels, table rows and separators: the structure of a report."""
    keep = re.compile(r"^(#{1,4} |\*\*[^*]+:\*\*|\| |--- $|Summary generation failed\.$)")
    out = []
    for line in text.splitlines():
        if keep.match(line):
            line = re.sub(r"^(## \d+\. ).*", r"\1TITLE", line)
            line = re.sub(r"^(\*\*[^*]+:\*\*).*", r"\1", line)
            out.append(line)
    return out


def test_digest_vi_reproduces_the_reference_report(corpus: Path) -> None:
    reference = (corpus / "reports" / "daily_digest_2026-01-08.md").read_text(encoding="utf-8")
    template = load_template("digest-vi")
    items = _digest_papers(reference, template.labels)
    assert len(items) == 20 and sum(1 for i in items if i.summary is None) == 1
    digest = Digest(
        date=date(2026, 1, 8),
        template="digest-vi",
        language="vi",
        model="gemini-2.5-flash",
        generated_at=GENERATED,
        items=items,
    )
    ours = render_markdown(digest, template)
    ours_lines = ours.splitlines()
    ref_lines = reference.splitlines()
    assert ours_lines[:7] == ref_lines[:7]  # title, generated line, heading, first separator
    assert ours_lines[2] == (
        "Báo cáo được tạo tự động vào lúc 2026-01-09 10:16:18 bằng mô hình `gemini-2.5-flash`."
    )
    assert _skeleton(ours) == _skeleton(reference)
    assert _normalized(ours) == _normalized(reference)
    # Links tables, N/A and the stub, verbatim.
    tables = [line for line in ours_lines if line.startswith("| ")]
    assert tables == [line for line in ref_lines if line.startswith("| ")]
    assert ours.count("| Github Repository | N/A |") == reference.count(
        "| Github Repository | N/A |"
    )
    stub_ref = reference.split("\n--- \n")[3]
    stub_ours = ours.split("\n--- \n")[3]
    assert stub_ours == stub_ref
    assert "\nSummary generation failed.\n" in stub_ours and "**Tag:**" not in stub_ours


def test_digest_en_follows_the_english_reference_labels(corpus: Path) -> None:
    reference = (corpus / "reports" / "daily_digest_2026-01-02.md").read_text(encoding="utf-8")
    template = load_template("digest-en")
    vi_items = _digest_papers(
        (corpus / "reports" / "daily_digest_2026-01-08.md").read_text(encoding="utf-8"),
        load_template("digest-vi").labels,
    )
    digest = Digest(
        date=date(2026, 1, 2),
        template="digest-en",
        language="en",
        model="gemini-2.5-flash",
        generated_at=datetime(2026, 1, 4, 16, 45, 58),
        items=vi_items[:3],
    )
    ours = render_markdown(digest, template)
    lines = ours.splitlines()
    ref = reference.splitlines()
    assert lines[0] == ref[0].replace("2026-01-02", "2026-01-02")
    assert lines[2] == ref[2].replace(" by the Manus AI tool", "")
    assert lines[4:7] == ref[4:7]  # "## Summary of Papers", "", "--- "
    ref_skeleton = set(_skeleton(reference))
    for label in ("**Authors:**", "**Published:**", "### Related Links", "| Platform | Link |"):
        assert label in ref_skeleton and label in _skeleton(ours)
    assert "| :--- | :--- |" in lines and "| Github Repository | N/A |" in lines


# ----------------------------------------------------------------------------- report-zh

_ZH_LABELS = ("应用领域", "一句话核心贡献", "使用指南", "主要创新点", "实验效果")
_ZH_HEAD = re.compile(
    r"^(?:#+\s*)?(?:\d\.\s*)?\**(" + "|".join(_ZH_LABELS) + r")\**\s*[：:]?\**\s*$", re.M
)


def _zh_blocks(text: str) -> list[str]:
    return [b.strip("\n") for b in text.split(f"\n{SEP}\n")[1:] if b.strip()]


def _zh_sections(block: str) -> dict[str, str]:
    marks = list(_ZH_HEAD.finditer(block))
    ends = [m.start() for m in marks[1:]] + [len(block)]
    return {
        m.group(1): textwrap.dedent(block[m.end() : end].strip("\n")).strip()
        for m, end in zip(marks, ends, strict=True)
    }


def _bullets(text: str) -> list[str]:
    """Top-level items (``1.``, ``*``, ``-`` at the start of a line), each on one line."""
    items: list[str] = []
    for line in text.splitlines():
        if re.match(r"^(?:\d+\.|[-*])\s+", line):
            items.append(re.sub(r"^(?:\d+\.|[-*])\s+", "", line).strip())
        elif items and line.strip():
            items[-1] += " " + line.strip()
    return items


def _usage(text: str) -> dict[str, Any]:
    parts: dict[str, str] = {}
    for item in _bullets(text):
        match = re.match(r"\*\*(.+?)\*\*[：:]?\s*(.*)", item)
        if match:
            parts[match.group(1)] = match.group(2)
    steps = [s.strip() for s in re.findall(r"^\s+\d+\.\s+(.+)$", text, re.M)]

    def pick(*names: str) -> str | None:
        return next((v for k, v in parts.items() if any(n in k for n in names) and v), None)

    return {
        "input": pick("输入") or "见论文",
        "output": pick("输出") or "见论文",
        "pipeline": steps or ["见论文", "见论文"],
        "hardware": pick("硬件", "资源"),
        "open_source": pick("开源", "代码") or "论文未说明",
    }


def _zh_papers(text: str) -> list[PaperResult]:
    items = []
    for block in _zh_blocks(text):
        title = re.search(r"^## 📄 (.+)$", block, re.M)
        pid = re.search(r"^- \*\*链接\*\*: https://huggingface\.co/papers/([\d.]+)$", block, re.M)
        assert title and pid
        sections = _zh_sections(block)
        assert tuple(sections) == _ZH_LABELS, title.group(1)
        results = sections["实验效果"]
        setup = results.split("\n", 1)[0] if not re.match(r"^[*\-\d]", results) else None
        fields = {
            "domain": " ".join(sections["应用领域"].replace("**", "").split()),
            "contribution": " ".join(sections["一句话核心贡献"].split()),
            "usage": _usage(sections["使用指南"]),
            "innovations": _bullets(sections["主要创新点"]),
            "results_setup": setup,
            "results": _bullets(results),
        }
        paper = Paper(id=pid.group(1), title=title.group(1))
        summary = Summary(
            paper_id=paper.id, template="report-zh", language="zh", model="m", fields=fields
        )
        items.append(PaperResult(paper=paper, summary=summary, outcome="summarized", source="html"))
    return items


def _zh_skeleton(text: str) -> list[tuple[str, ...]]:
    """Per paper: its title, link and reading-source lines, then its section labels in order."""
    out = []
    for block in _zh_blocks(text):
        lines = block.splitlines()
        head = tuple(line for line in lines if line.startswith(("## 📄 ", "- **")))
        out.append(head + tuple(m.group(1) for m in _ZH_HEAD.finditer(block)))
    return out


def test_report_zh_reproduces_the_reference_structure(corpus: Path) -> None:
    reference = (corpus / "reports" / "hf_daily_papers_report_2026-01-08.zh.md").read_text(
        encoding="utf-8"
    )
    items = _zh_papers(reference)
    assert len(items) == 12
    digest = Digest(
        date=date(2026, 1, 8),
        template="report-zh",
        language="zh",
        model="m",
        generated_at=GENERATED,
        items=items,
    )
    ours = render_markdown(digest, load_template("report-zh"))
    assert ours.splitlines()[:6] == reference.splitlines()[:6]  # title, Date, Source URL, ====
    assert _zh_skeleton(ours) == _zh_skeleton(reference)
    assert ours.count(f"\n{SEP}\n") == reference.count(f"\n{SEP}\n")
    # Every paper: numbered "### k. label" headings, the usage guide as labelled bullets.
    first = _zh_blocks(ours)[0]
    ref_first = _zh_blocks(reference)[0]
    assert re.findall(r"^### \d\. .+$", first, re.M) == re.findall(
        r"^### \d\. .+$", ref_first, re.M
    )
    bullet_labels = re.compile(r"^\*   \*\*(.+?)\*\*：", re.M)
    usage = first.split("### 3.")[1].split("### 4.")[0]
    ref_usage = ref_first.split("### 3.")[1].split("### 4.")[0]
    assert bullet_labels.findall(usage) == bullet_labels.findall(ref_usage)
    assert "    1.  **查询处理**：" in usage
    # The paper ends like the reference's: last line, two blank lines, the separator.
    assert ours.split(SEP)[1].endswith("\n\n\n")


def test_report_zh_reading_source_stub_and_lang(corpus: Path) -> None:
    items = _zh_papers(
        (corpus / "reports" / "hf_daily_papers_report_2026-01-08.zh.md").read_text("utf-8")
    )[:1]
    items.append(
        PaperResult(
            paper=Paper(id="2601.03872", title="Atlas"),
            summary=Summary(
                paper_id="2601.03872", template="report-zh", language="zh", error="LLM timeout"
            ),
            outcome="failed",
            source="abstract",
        )
    )
    items[0].source = "pdf"
    digest = Digest(
        date=date(2026, 1, 8),
        template="report-zh",
        language="zh",
        model="m",
        generated_at=GENERATED,
        items=items,
    )
    ours = render_markdown(digest, load_template("report-zh"))
    assert "- **阅读来源**: PDF\n" in ours and "- **阅读来源**: 摘要\n" in ours
    assert "\n报告生成失败。\n\n*原因: LLM timeout*\n" in ours
    english = render_markdown(digest, load_template("report-zh", lang="en"))
    assert "- **Reading source**: Abstract\n" in english
    assert "### 1. Application domain\n" in english and "Summary generation failed." in english


# ----------------------------------------------------------------------------- fixed digests


def _paper(pid: str = "2601.02151", **extra: Any) -> Paper:
    return Paper(
        id=pid,
        title="Entropy-Adaptive Fine-Tuning:\n  Resolving Confident Conflicts",
        authors=["Muxi Diao", "Lele Yang"],
        published_at=datetime(2026, 1, 5, 8, 0),
        abstract="Supervised Fine-Tuning (SFT) is the standard paradigm.",
        ai_summary="EAFT uses token-level entropy to gate updates.",
        ai_keywords=["Fine-tuning", "Entropy"],
        **extra,
    )


_VI = {
    "tags": ["Fine-tuning", "LLM", "Entropy"],
    "main_problem": "SFT gây ra hiện tượng quên.",
    "main_idea": "EAFT dùng entropy.",
    "main_results": "Ministral-8B đạt ASR 97.81%.",
    "conclusion": "EAFT hiệu quả.",
    "brainstorming": {"publish_papers": ["a", "b", "c"], "patent_ideas": ["d", "e", "f"]},
}


def _digest(items: list[PaperResult], model: str | None = "gemini-2.5-flash") -> Digest:
    return Digest(
        date=date(2026, 1, 8),
        template="digest-vi",
        language="vi",
        model=model,
        generated_at=GENERATED,
        items=items,
        stats=RunStats(papers=len(items), summarized=1, failed=1, sources={"html": 1}),
    )


def _summary(findings: list[Finding] | None = None, **extra: Any) -> Summary:
    return Summary(
        paper_id="2601.02151",
        template="digest-vi",
        language="vi",
        model="gemini-2.5-flash",
        fields=_VI,
        findings=findings or [],
        **extra,
    )


def test_unsupported_claims_are_marked_next_to_their_field() -> None:
    findings = [
        Finding(field="main_results", claim="97.81%", kind="number", found=False),
        Finding(field="main_results", claim="Ministral-8B", kind="name", found=True),
        Finding(field="brainstorming.patent_ideas[1]", claim="GPT-9", kind="name", found=False),
        Finding(field="somewhere_else", claim="42 FPS", kind="number", found=False),
    ]
    item = PaperResult(paper=_paper(), summary=_summary(findings), outcome="summarized")
    text = render_markdown(_digest([item]), load_template("digest-vi"))
    warn = "> ⚠ Không tìm thấy trong văn bản đã đọc"
    assert f"Ministral-8B đạt ASR 97.81%.\n\n{warn}: 97.81%\n\n### Conclusion" in text
    assert f"3.  f\n\n{warn}: GPT-9\n\n### Các đường dẫn" in text
    assert f"{warn}: 42 FPS\n" in text  # a finding of an unknown field is still shown
    assert "Ministral-8B\n" not in text.replace("Ministral-8B đạt", "")  # found: not marked
    assert text.count("⚠") == 3
    # The title wrapped by the old API comes out on one line.
    assert "## 1. Entropy-Adaptive Fine-Tuning: Resolving Confident Conflicts\n" in text


def test_failed_paper_shows_stub_with_reason() -> None:
    failed = PaperResult(
        paper=_paper("2601.03872"),
        summary=Summary(
            paper_id="2601.03872",
            template="digest-vi",
            language="vi",
            error="invalid answer after 2 re-asks:\nwrong item count",
        ),
        outcome="failed",
    )
    text = render_markdown(_digest([failed]), load_template("digest-vi"))
    assert (
        "**Xuất bản lúc:** 2026-01-05\n\nSummary generation failed.\n\n"
        "*Lý do: invalid answer after 2 re-asks: wrong item count*\n\n### Các đường dẫn liên quan"
    ) in text
    assert "### Main Problem" not in text


def test_no_llm_digest_says_so_and_uses_hf_metadata() -> None:
    template = load_template("digest-vi")
    paper = _paper()
    summary = Summary(
        paper_id=paper.id,
        template="digest-vi",
        language="vi",
        fields=fields_without_llm(template, paper),
    )
    item = PaperResult(paper=paper, summary=summary, outcome="no-llm")
    text = render_markdown(_digest([item], model=None), template)
    lines = text.splitlines()
    assert lines[2].startswith("Báo cáo được tạo tự động vào lúc 2026-01-09 10:16:18 mà không")
    assert "bằng mô hình" not in text
    assert "**Tag:** Fine-tuning, Entropy\n" in text
    assert "### Main Idea:\nEAFT uses token-level entropy to gate updates.\n" in text
    assert "### Abstract:\nSupervised Fine-Tuning (SFT) is the standard paradigm.\n" in text
    assert "### Main Problem" not in text and "### Brainstorming Space" not in text
    zh = load_template("report-zh")
    zh_item = PaperResult(
        paper=paper,
        summary=Summary(
            paper_id=paper.id,
            template="report-zh",
            language="zh",
            fields=fields_without_llm(zh, paper),
        ),
        outcome="no-llm",
    )
    zh_text = render_markdown(_digest([zh_item], model=None), zh)
    assert "**说明**: 本报告未使用大语言模型生成" in zh_text
    assert "### 1. 一句话核心贡献\nEAFT uses token-level entropy" in zh_text
    assert "### 2. 摘要\n**关键词**：Fine-tuning, Entropy\n" in zh_text
    assert "\n\n\n\n" not in zh_text


def test_layout_errors_are_one_line_template_errors(tmp_path: Path) -> None:
    item = PaperResult(paper=_paper(), summary=_summary(), outcome="summarized")
    cases = {
        "typo": ("{{ paepr.title }}", "'paepr' is undefined"),
        "sandbox": ("{{ paper.__class__.__mro__ }}", "paper_md"),
    }
    for name, (layout, expected) in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(
            'language = "en"\n[[fields]]\nname = "a"\ndescription = "d"\n'
            f"[layout]\npaper_md = '{layout}'\nreport_md = \"{{{{ papers | join }}}}\"\n",
            encoding="utf-8",
        )
        with pytest.raises(TemplateError) as info:
            render_markdown(_digest([item]), load_template(str(path)))
        assert expected in str(info.value) and "\n" not in str(info.value)


def test_table_cells_and_titles_are_kept_on_one_line() -> None:
    paper = _paper(github_repo="https://github.com/a|b/c")
    item = PaperResult(paper=paper, summary=_summary(), outcome="summarized")
    text = render_markdown(_digest([item]), load_template("digest-vi"))
    assert (
        "| Github Repository | [https://github.com/a\\|b/c](https://github.com/a\\|b/c) |" in text
    )


# ----------------------------------------------------------------------------- JSON, paths


def test_render_json_schema_and_counts() -> None:
    findings = [
        Finding(field="main_results", claim="97.81%", kind="number", found=False),
        Finding(field="main_results", claim="Ministral-8B", kind="name", found=True),
    ]
    ok = PaperResult(
        paper=_paper(github_repo="https://github.com/PRIS-CV/EAFT"),
        summary=_summary(findings, llm_calls=2, prompt_tokens=9000, completion_tokens=800),
        outcome="summarized",
        source="html",
        source_url="https://arxiv.org/html/2601.02151",
        skipped=[],
        text_chars=48000,
    )
    failed = PaperResult(
        paper=_paper("2601.03872"),
        outcome="failed",
        source="pdf",
        skipped=["html: HTTP 404"],
        error="LLM timeout",
    )
    doc = json.loads(render_json(_digest([ok, failed])))
    assert doc["schema"] == JSON_SCHEMA == "dailypapers.digest/1"
    assert (doc["date"], doc["template"], doc["language"]) == ("2026-01-08", "digest-vi", "vi")
    assert doc["model"] == "gemini-2.5-flash" and doc["llm_used"] is True
    assert doc["generated_at"] == "2026-01-09T10:16:18"
    assert doc["verify"] == {"claims": 2, "unsupported": 1, "papers_with_unsupported": 1}
    assert doc["stats"]["papers"] == 2 and doc["stats"]["sources"] == {"html": 1}
    first, second = doc["papers"]
    assert first["index"] == 1 and first["id"] == "2601.02151"
    assert first["title"] == "Entropy-Adaptive Fine-Tuning: Resolving Confident Conflicts"
    assert first["paper"]["authors"] == ["Muxi Diao", "Lele Yang"]
    assert first["links"]["pdf"] == "https://arxiv.org/pdf/2601.02151.pdf"
    assert first["links"]["github"] == "https://github.com/PRIS-CV/EAFT"
    assert first["fulltext"] == {
        "source": "html",
        "url": "https://arxiv.org/html/2601.02151",
        "chars": 48000,
        "skipped": [],
    }
    assert first["summary"]["fields"] == _VI and first["summary"]["ok"] is True
    assert first["summary"]["prompt_tokens"] == 9000
    assert first["verify"]["claims"] == 2 and first["verify"]["unsupported"] == 1
    assert first["verify"]["findings"][0] == {
        "field": "main_results",
        "claim": "97.81%",
        "kind": "number",
        "found": False,
    }
    assert second["summary"] is None and second["error"] == "LLM timeout"
    assert second["outcome"] == "failed" and second["fulltext"]["skipped"] == ["html: HTTP 404"]


def _json_keys(node: Any, prefix: str = "") -> set[str]:
    """Dotted paths of a JSON document: ``papers[].verify.findings[].claim``."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}{key}"
            keys.add(path)
            if key in ("fields", "meta", "sources", "failures"):
                continue  # free-form maps, documented as a whole
            if isinstance(value, list) and value:
                keys |= _json_keys(value[0], f"{path}[].")
            else:
                keys |= _json_keys(value, f"{path}.")
    return keys


def test_every_json_key_is_documented() -> None:
    item = PaperResult(
        paper=_paper(),
        summary=_summary([Finding(field="x", claim="1%", kind="number", found=False)]),
        outcome="summarized",
    )
    doc = json.loads(render_json(_digest([item])))
    documented = (Path(__file__).parent.parent / "docs" / "json-schema.md").read_text("utf-8")
    missing = [k for k in sorted(_json_keys(doc)) if f"`{k}`" not in documented]
    assert missing == []


def test_report_paths() -> None:
    paths = report_paths(Path("digests"), date(2026, 1, 8))
    assert paths == {
        "md": Path("digests/2026/01/daily_digest_2026-01-08.md"),
        "json": Path("digests/2026/01/daily_digest_2026-01-08.json"),
        "html": Path("digests/2026/01/daily_digest_2026-01-08.html"),
    }
