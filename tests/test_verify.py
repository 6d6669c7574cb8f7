"""Verify: claim extraction and format-tolerant lookup, on real strings from the corpus reports.

Unit tests take their summary sentences from corpus/reports (the 2026-01-02 English digest, the
2026-01-08 Vietnamese digest and the Chinese report) and check them against short texts written
the way papers write. The corpus tier runs benchmarks/verify_eval.py on the four real
(summary, PDF) pairs of 2026-01-02 and holds the matcher to the found share measured there,
while fabricated claims and other papers' texts must stay unsupported.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dailypapers.models import Finding
from dailypapers.verify import (
    TextIndex,
    extract_claims,
    index_text,
    unsupported_share,
    verify_fields,
)

ROOT = Path(__file__).resolve().parent.parent

# Real sentences from corpus/reports.
FLOWBLENDING = (  # daily_digest_2026-01-02.md, FlowBlending, Main Results
    "FlowBlending achieves up to **1.65x faster inference** with **57.35% fewer FLOPs** compared "
    "to using only large models. The effectiveness was demonstrated across two open-source video "
    "diffusion models: LTX-Video (2B/13B) and WAN 2.1 (1.3B/14B)."
)
MAGMA_ZH = (  # hf_daily_papers_report_2026-01-08.zh.md, MAGMA, 实验效果
    "在 LoCoMo 基准测试中，MAGMA 取得了 **0.7 的 LLM-as-a-Judge 分数**，大幅优于 Full Context "
    "(0.481)、A-MEM (0.58) 和 Nemori (0.59) 等基线模型，相对提升幅度达 18.6% 至 45.5%。"
)
EAFT_VI = (  # daily_digest_2026-01-08.md, EAFT, Main Results
    "Các thử nghiệm trên các dòng mô hình Qwen và GLM (từ 4B đến 32B tham số) trong các lĩnh vực "
    "toán học, y tế và tác tử đã xác nhận giả thuyết."
)
DLCM = (  # daily_digest_2026-01-02.md, DLCM, Main Results
    "At a practical compression ratio (R = 4, averaging four tokens per concept), DLCM "
    "reallocates roughly one-third of inference compute into a higher-capacity reasoning "
    "backbone. This reallocation leads to a **+2.69% average improvement** across 12 zero-shot "
    "benchmarks under matched inference FLOPs."
)


def claims(text: str) -> list[tuple[str, str]]:
    return [(claim, kind) for _, claim, kind in extract_claims({"f": text})]


def found(claim_text: str, paper_text: str) -> list[tuple[str, bool]]:
    return [(f.claim, f.found) for f in verify_fields({"f": claim_text}, paper_text)]


# ----------------------------------------------------------------------------- extraction


def test_numbers_keep_their_units_and_names_their_versions() -> None:
    assert claims(FLOWBLENDING) == [
        ("FlowBlending", "name"),
        ("1.65x", "number"),
        ("57.35%", "number"),
        ("LTX-Video", "name"),
        ("2B", "number"),
        ("13B", "number"),
        ("WAN", "name"),
        ("2.1", "number"),
        ("1.3B", "number"),
        ("14B", "number"),
    ]


def test_chinese_prose_keeps_english_names_and_numbers() -> None:
    assert claims(MAGMA_ZH) == [
        ("LoCoMo", "name"),
        ("MAGMA", "name"),
        ("0.7", "number"),
        ("LLM-as-a-Judge", "name"),
        ("Full Context", "name"),
        ("0.481", "number"),
        ("A-MEM", "name"),
        ("0.58", "number"),
        ("Nemori", "name"),
        ("0.59", "number"),
        ("18.6% 至 45.5%", "number"),
    ]


def test_vietnamese_prose_ranges_and_no_pieces_of_accented_words() -> None:
    assert claims(EAFT_VI) == [("Qwen", "name"), ("GLM", "name"), ("4B đến 32B tham số", "number")]
    # daily_digest_2026-01-08.md, EAFT, Conclusion: an en-dash range
    text = "hoạt động thành công trên nhiều họ mô hình và quy mô khác nhau (4B–32B tham số)."
    assert claims(text) == [("4B–32B tham số", "number")]
    # Vietnamese words, even capitalized or unaccented, are not names
    assert claims("Mô hình được huấn luyện tại Việt Nam bằng tiếng Anh.") == []


def test_trivial_numbers_are_skipped() -> None:
    assert claims(DLCM) == [("DLCM", "name"), ("+2.69%", "number"), ("12", "number")]
    # list numbering, a section pointer, a bare year, a date, an arXiv id and a link
    text = (
        "1.  **Efficiency:** Superior efficiency. (Section 5, not fully provided) accepted to "
        "Agents4Science 2025; published 2026-01-05 as 2601.03315, see https://arxiv.org/abs/2601.03315"
    )
    assert claims(text) == [("Agents4Science", "name")]


def test_sentence_openers_are_not_names_but_mid_sentence_title_case_is() -> None:
    opener = "Dynamic Large Concept Models (DLCM) learn semantic boundaries."
    assert claims(opener) == [("DLCM", "name")]
    inside = "The paper introduces Dynamic Large Concept Models (DLCM), a framework."
    assert claims(inside) == [("Dynamic Large Concept Models", "name"), ("DLCM", "name")]
    # "(1) Encoding" is an enumerated step, "Chain of Thought" keeps its connector
    text = "It has (1) Encoding raw tokens, unlike the Chain of Thought in MLLMs."
    assert claims(text) == [("Chain of Thought", "name")]


def test_title_case_names_take_their_version() -> None:
    # daily_digest_2026-01-08.md (Why LLMs Aren't Scientists Yet; RedBench)
    text = "sử dụng Gemini 2.5 Pro và Claude Code; các mô hình Qwen2.5, Llama 3.1, Gemma2"
    assert claims(text) == [
        ("Gemini 2.5 Pro", "name"),
        ("Claude Code", "name"),
        ("Qwen2.5", "name"),
        ("Llama 3.1", "name"),
        ("Gemma2", "name"),
    ]


def test_fields_nest_and_repeat_once_per_field() -> None:
    fields = {
        "main_results": ["HGMEM beats RAG.", "HGMEM again, 97.81%."],
        "brainstorming": {"patents": ["A phone app with GPT-4o."]},
        "score": 0.95,
    }
    assert extract_claims(fields) == [
        ("main_results", "HGMEM", "name"),
        ("main_results", "RAG", "name"),
        ("main_results", "97.81%", "number"),
        ("brainstorming.patents", "GPT-4o", "name"),
        ("score", "0.95", "number"),
    ]
    assert [c for _, c, _ in extract_claims(fields, skip=["brainstorming", "score"])] == [
        "HGMEM",
        "RAG",
        "97.81%",
    ]


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("claim", "text", "expected"),
    [
        ("97.8%", "reaching 97.81 on the test set", True),  # rounded to the stated precision
        ("97.81%", "reaching 97.8 on the test set", False),  # never more precise than the text
        ("97.82%", "reaching 97.81 on the test set", False),
        ("34%", "reduces FLOPs by 33.7%", True),
        ("+39.0%", "an improvement of 39% over", True),
        ("2.70%", "Average 43.92 41.23 +2.69", False),
        ("4B", "models with 4 billion parameters", True),
        ("4B", "Qwen3-4B and Qwen3-32B", True),
        ("4B", "with 4 layers", False),  # a scale is part of the value
        ("10k steps", "we train for 10,000 steps", True),
        ("10k steps", "we train for 10 000 steps", True),
        ("10k steps", "we train for 10K steps", True),
        ("29,362", "29362 prompts", True),
        ("29.362", "a total of 29,362 samples", True),  # Vietnamese thousands
        ("97,81%", "accuracy of 97.81%", True),  # decimal comma
        ("95%", "a ratio of 0.95", True),
        ("0.95", "keeps 95% of the tokens", True),
        ("0.95", "keeps 95 of the tokens", False),
        ("−0.5", "a drop of -0.5 points", True),
        ("8100万", "81M densely captioned samples", True),
        ("81 triệu", "81 million triplets", True),
        ("1.65x", "a 1.65× speed-up", True),
        ("925 FPS", "renders at 925 FPS", True),
        ("2.34 gFID", "achieving a gFID of 2.34 on ImageNet-256", True),
        ("1.47s", "latency 1.47 s per query", True),
    ],
)
def test_number_matching_rules(claim: str, text: str, expected: bool) -> None:
    assert found(f"It gets {claim} here.", text) == [(claim, expected)]


def test_a_range_needs_both_ends() -> None:
    assert found("(4B–32B tham số)", "from Qwen3-4B up to Qwen3-32B") == [("4B–32B tham số", True)]
    assert found("(4B–32B tham số)", "from Qwen3-4B up to Qwen3-8B") == [("4B–32B tham số", False)]
    assert found("sizes 4–32B", "4B, 8B and 32B models") == [("4–32B", True)]  # shared suffix
    assert found("0.7k-4.2k tokens", "0.7k to 4.2k tokens per query") == [
        ("0.7k-4.2k tokens", True)
    ]


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("claim", "text", "expected"),
    [
        ("Qwen 2.5", "we fine-tune Qwen2.5-7B", True),
        ("Qwen2.5-7B", "we fine-tune Qwen 2.5 7B", True),
        ("GPT-4", "compared with GPT-4o", False),  # another model
        ("LLaDA", "all adapters are frozen", False),  # only on word boundaries
        ("HGMem", "We introduce HGMEM, a memory", True),  # case-insensitive
        ("SO", "and so on", False),  # an acronym needs a capital in the text
        ("SO", "Simulation Optimization (SO)", True),
        ("HGMEM", "HYPERGRAPH\ufffe\r\nBASED memory, HGMEM", True),
        ("Hypergraph-Based Memory", "HYPERGRAPH\ufffe\r\nBASED MEMORY", True),  # PDF hyphens
        ("DLMs", "a diffusion language model (DLM)", True),  # plural either side
        ("DLM", "existing DLMs", True),
        ("ImageNet-256x256", "ImageNet 256×256", True),
        ("Full Context", "the full-context baseline", True),
        ("Tabu Search", "a tabu list", False),
    ],
)
def test_name_matching_rules(claim: str, text: str, expected: bool) -> None:
    assert found(f"compared with {claim} here.", text) == [(claim, expected)]


def test_fabricated_claims_are_not_found() -> None:
    text = "Qwen3-VL-32B reaches 97.81% and GPT-5 reaches 93.37%; Llama-3-8B is a baseline."
    result = found("It reaches 99.37% and beats Llama-3-70B and DeepSeek-V9.", text)
    assert result == [("99.37%", False), ("Llama-3-70B", False), ("DeepSeek-V9", False)]


def test_findings_and_share() -> None:
    findings = verify_fields({"results": ["+2.69% on 12 benchmarks, 99.37% on MMLU"]}, DLCM)
    assert findings == [
        Finding(field="results", claim="+2.69%", kind="number", found=True),
        Finding(field="results", claim="12", kind="number", found=True),
        Finding(field="results", claim="99.37%", kind="number", found=False),
        Finding(field="results", claim="MMLU", kind="name", found=False),
    ]
    assert unsupported_share(findings) == 0.5
    assert unsupported_share([]) == 0.0


def test_a_text_is_indexed_once() -> None:
    text = "HGMEM reaches 97.81%. " * 5000  # 110k characters
    index = index_text(text)
    assert isinstance(index, TextIndex)
    assert index_text(text) is index
    assert verify_fields({"f": "HGMEM: 97.8%"}, index) == verify_fields({"f": "HGMEM: 97.8%"}, text)


# ----------------------------------------------------------------------------- corpus tier


@pytest.fixture(scope="module")
def verify_eval() -> ModuleType:
    """benchmarks/verify_eval.py, loaded once (it caches the PDF texts it reads)."""
    spec = importlib.util.spec_from_file_location("verify_eval", ROOT / "benchmarks/verify_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.corpus
def test_real_summaries_are_grounded_in_their_pdfs(corpus: Path, verify_eval: ModuleType) -> None:
    results = verify_eval.evaluate(corpus)
    assert [r.paper_id for r in results] == ["2512.22630", "2512.23959", "2512.24007", "2512.24617"]
    claims_total = sum(len(r.findings) for r in results)
    found_total = sum(f.found for r in results for f in r.findings)
    # measured: 31 claims (3 numbers, 28 names), all found; a floor leaves room for PDF readers
    assert claims_total >= 25
    assert found_total / claims_total >= 0.9
    assert all(r.count("name", found=True) >= 0.8 * r.count("name") for r in results)
    dlcm = next(r for r in results if r.paper_id == "2512.24617")
    assert [(f.claim, f.found) for f in dlcm.findings if f.kind == "number"] == [
        ("+2.69%", True),
        ("12", True),
        ("34%", True),
    ]


@pytest.mark.corpus
def test_fabricated_and_foreign_claims_are_flagged_in_real_pdfs(
    corpus: Path, verify_eval: ModuleType
) -> None:
    module = verify_eval
    digest = module.parse_digest((corpus / module.DIGEST).read_text(encoding="utf-8"))
    texts = {}
    for paper_id in module.PAPERS:
        pdf = next((corpus / "pdf").glob(f"arxiv_{paper_id}*.pdf"))
        texts[paper_id] = index_text(module.pdf_text(pdf.read_bytes(), paper_id)[0])
    fabricated = "It reaches 99.37% on MMLU-Pro, beating Llama-3-70B and Mixtral-8x22B by 7.3x."
    for paper_id, index in texts.items():
        fields = dict(digest[paper_id][1], fabricated=fabricated)
        by_field = {(f.field, f.claim): f.found for f in verify_fields(fields, index)}
        assert [c for (field, c), ok in by_field.items() if field == "fabricated" and ok] == []
    # a summary checked against another paper's text finds little (measured 6 of 93 claims)
    foreign = [
        f.found
        for a in module.PAPERS
        for b in module.PAPERS
        if a != b
        for f in verify_fields(digest[a][1], texts[b])
    ]
    assert sum(foreign) / len(foreign) <= 0.2
    # real numbers of the DLCM paper, re-formatted the way summaries write them
    dlcm = texts["2512.24617"]
    restated = "43.9% vs 41.2%, i.e. +2.7%; 2.69 % và 43,92%"
    assert [f.found for f in verify_fields({"f": restated}, dlcm)] == [True] * 5
    wrong = "43.93% vs 41.24%, i.e. +2.71%"
    assert [f.found for f in verify_fields({"f": wrong}, dlcm)] == [False] * 3
