"""Templates: built-ins, the output model (counts, schema), user folder, --lang, bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dailypapers.errors import TemplateError, UsageError
from dailypapers.models import Paper
from dailypapers.templates import (
    builtin_names,
    fields_without_llm,
    list_templates,
    load_template,
    output_model,
    output_schema,
)

VI_FIELDS: dict[str, Any] = {
    "tags": ["Fine-tuning", "Catastrophic Forgetting", "LLM"],
    "main_problem": "Supervised Fine-Tuning (SFT) gây ra hiện tượng quên thảm khốc.",
    "main_idea": "EAFT dùng entropy cấp độ token như một cơ chế cổng.",
    "main_results": "Các thử nghiệm trên Qwen và GLM (từ 4B đến 32B tham số).",
    "conclusion": "EAFT là một giải pháp hiệu quả.",
    "brainstorming": {
        "publish_papers": ["Ý tưởng 1.", "Ý tưởng 2.", "Ý tưởng 3."],
        "patent_ideas": ["Sáng chế 1.", "Sáng chế 2.", "Sáng chế 3."],
    },
}

ZH_FIELDS: dict[str, Any] = {
    "domain": "自然语言处理 (NLP) - 大模型智能体 (AI Agents)",
    "contribution": "提出了一种名为 MAGMA 的多图代理记忆架构。",
    "usage": {
        "input": "用户的自然语言查询（Query）以及持续的交互历史流。",
        "output": "基于结构化记忆上下文生成的回答。",
        "pipeline": ["**查询处理**：分析用户查询意图。", "**图谱遍历**：自适应策略。"],
        "hardware": None,
        "open_source": "论文明确提到代码已开源。",
    },
    "innovations": [
        "**多图记忆基底**：四个正交的图结构。",
        "**双流记忆演化机制**：快路径与慢路径。",
    ],
    "results_setup": "在 LoCoMo 和 LongMemEval 两个核心基准数据集上进行了评估：",
    "results": [
        "**推理准确性**：0.7 的 LLM-as-a-Judge 分数。",
        "**系统效率**：减少了 95% 的 Token。",
    ],
}


def _with(fields: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``fields`` with ``a.b`` set to ``value``."""
    import copy

    out = copy.deepcopy(fields)
    node = out
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return out


# ----------------------------------------------------------------------------- built-ins


def test_builtins_load_with_their_language_and_fields() -> None:
    assert builtin_names() == ["digest-en", "digest-vi", "report-zh"]
    vi, en, zh = (load_template(n) for n in ("digest-vi", "digest-en", "report-zh"))
    assert (vi.language, en.language, zh.language) == ("vi", "en", "zh")
    assert vi.builtin and vi.path is None and "[[fields]]" in vi.source
    # digest-en has the same fields as digest-vi (it extends it), with English labels.
    assert (
        en.field_names()
        == vi.field_names()
        == [
            "tags",
            "main_problem",
            "main_idea",
            "main_results",
            "conclusion",
            "brainstorming",
        ]
    )
    assert (vi.labels["authors"], en.labels["authors"]) == ("Tác giả", "Authors")
    assert vi.labels["stub"] == en.labels["stub"] == "Summary generation failed."
    assert zh.field_names() == [
        "domain",
        "contribution",
        "usage",
        "innovations",
        "results_setup",
        "results",
    ]
    assert "Vietnamese (vi)" in vi.instructions and "Simplified Chinese (zh)" in zh.instructions
    assert "English (en)" in en.instructions
    assert [t.name for t in list_templates()] == ["digest-en", "digest-vi", "report-zh"]


# ----------------------------------------------------------------------------- output model


def test_output_model_accepts_a_good_answer_and_dumps_the_fields() -> None:
    model = output_model(load_template("digest-vi"))
    assert model.model_validate(VI_FIELDS).model_dump() == VI_FIELDS
    zh = output_model(load_template("report-zh"))
    assert zh.model_validate(ZH_FIELDS).model_dump() == ZH_FIELDS


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("brainstorming.publish_papers", ["a", "b"], "brainstorming.publish_papers"),
        ("brainstorming.patent_ideas", ["a", "b", "c", "d"], "brainstorming.patent_ideas"),
        ("tags", ["one", "two"], "tags"),
        ("tags", [f"t{i}" for i in range(9)], "tags"),
        ("tags", ["a keyword\nwith a line break", "b", "c"], "tags.0"),
        ("main_problem", "   ", "main_problem"),
        ("main_idea", None, "main_idea"),
    ],
)
def test_output_model_enforces_counts_and_text(path: str, value: Any, where: str) -> None:
    model = output_model(load_template("digest-vi"))
    with pytest.raises(ValidationError) as info:
        model.model_validate(_with(VI_FIELDS, path, value))
    locs = [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]
    assert where in locs


def test_output_model_zh_ranges_optional_fields_and_sentences() -> None:
    model = output_model(load_template("report-zh"))
    # min_items/max_items: 2..4 innovations, 2..6 pipeline steps.
    for bad in (["only one"], ["a", "b", "c", "d", "e"]):
        with pytest.raises(ValidationError):
            model.model_validate(_with(ZH_FIELDS, "innovations", bad))
    model.model_validate(_with(ZH_FIELDS, "innovations", ["a", "b", "c", "d"]))
    with pytest.raises(ValidationError):
        model.model_validate(_with(ZH_FIELDS, "usage.pipeline", ["just one step"]))
    # optional = null allowed, but the key is still required.
    model.model_validate(_with(ZH_FIELDS, "usage.hardware", "单张 NVIDIA A40 GPU"))
    without = _with(
        ZH_FIELDS, "usage", {k: v for k, v in ZH_FIELDS["usage"].items() if k != "hardware"}
    )
    with pytest.raises(ValidationError):
        model.model_validate(without)
    # a sentence is one line; unknown keys are refused.
    with pytest.raises(ValidationError):
        model.model_validate(_with(ZH_FIELDS, "contribution", "第一句。\n第二句。"))
    with pytest.raises(ValidationError):
        model.model_validate({**ZH_FIELDS, "extra": "x"})


_OPENAI_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "description",
    "anyOf",
}


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for key, value in node.items():
            if key == "properties":
                for sub in value.values():
                    found += _objects(sub)
            else:
                found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def _keywords(node: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            keys.add(key)
            if key == "properties":
                for sub in value.values():
                    keys |= _keywords(sub)
            else:
                keys |= _keywords(value)
    elif isinstance(node, list):
        for value in node:
            keys |= _keywords(value)
    return keys


@pytest.mark.parametrize("name", ["digest-vi", "digest-en", "report-zh"])
def test_output_schema_is_strict_mode_json_schema(name: str) -> None:
    schema = output_schema(load_template(name))
    objects = _objects(schema)
    assert len(objects) == 2  # the answer and its one group
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    assert _keywords(schema) <= _OPENAI_KEYWORDS | set(_all_field_names(schema))
    if name.startswith("digest"):
        ideas = schema["properties"]["brainstorming"]["properties"]["publish_papers"]
        assert (ideas["minItems"], ideas["maxItems"]) == (3, 3)
        assert ideas["description"].endswith("Exactly 3 items.")


def _all_field_names(node: Any) -> list[str]:
    names: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                names += list(value)
                for sub in value.values():
                    names += _all_field_names(sub)
            else:
                names += _all_field_names(value)
    return names


# ----------------------------------------------------------------------------- no LLM


def test_fields_without_llm_use_each_fallback() -> None:
    paper = Paper(
        id="2601.02151",
        title="EAFT",
        abstract="  Supervised fine-tuning\n  causes forgetting. ",
        ai_summary="EAFT uses token-level entropy.",
        ai_keywords=[f"kw{i}" for i in range(12)],
    )
    vi = fields_without_llm(load_template("digest-vi"), paper)
    assert vi == {"tags": [f"kw{i}" for i in range(8)], "main_idea": paper.ai_summary}
    zh = fields_without_llm(load_template("report-zh"), paper)
    assert zh == {"contribution": "EAFT uses token-level entropy."}
    bare = Paper(id="2512.99999", title="No AI fields yet")
    assert fields_without_llm(load_template("digest-vi"), bare) == {}


def test_abstract_fallback_normalizes_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "abs.toml"
    path.write_text(
        'language = "en"\n[[fields]]\nname = "abstract_text"\ndescription = "d"\n'
        'fallback = "abstract"\n[layout]\npaper_md = "x"\nreport_md = "y"\n',
        encoding="utf-8",
    )
    paper = Paper(id="2601.00001", title="t", abstract="  Line one\n  line two. ")
    assert fields_without_llm(load_template(str(path)), paper) == {
        "abstract_text": "Line one line two."
    }


# ----------------------------------------------------------------------------- user folder


def test_user_template_overrides_builtin(tmp_path: Path) -> None:
    builtin = load_template("digest-vi")
    text = builtin.source.replace(
        'title = "🤗 Daily Hugging Face Paper Digest"', 'title = "Bản tin của tôi"'
    )
    assert text != builtin.source
    (tmp_path / "digest-vi.toml").write_text(text, encoding="utf-8")
    mine = load_template("digest-vi", user_dir=tmp_path)
    assert mine.path == tmp_path / "digest-vi.toml" and not mine.builtin
    assert mine.labels["title"] == "Bản tin của tôi"
    listed = {t.name: t for t in list_templates(tmp_path)}
    assert sorted(listed) == ["digest-en", "digest-vi", "report-zh"]
    assert listed["digest-vi"].path == tmp_path / "digest-vi.toml"
    # Without the user folder the built-in is back.
    assert load_template("digest-vi").labels["title"] == "🤗 Daily Hugging Face Paper Digest"


def test_user_template_can_extend_the_builtin_of_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "report-zh.toml").write_text(
        'extends = "report-zh"\n[labels]\nstub = "生成失败"\n', encoding="utf-8"
    )
    mine = load_template("report-zh", user_dir=tmp_path)
    assert mine.labels["stub"] == "生成失败"
    assert mine.labels["domain"] == "应用领域"  # the rest comes from the built-in
    assert mine.field_names() == load_template("report-zh").field_names()


def test_a_third_template_in_yaml_by_path(tmp_path: Path) -> None:
    path = tmp_path / "tldr.yaml"
    path.write_text(
        "name: tldr\nlanguage: de\ndescription: one line per paper\n"
        "instructions: Schreibe kurz.\n"
        "fields:\n"
        "  - {name: tldr, type: sentence, description: The paper in one sentence.}\n"
        "  - {name: points, type: list, max_items: 3, description: Key points.}\n"
        "layout:\n"
        "  paper_md: '- {{ title }}: {{ f.tldr }}'\n"
        "  report_md: '{% for p in papers %}{{ p }}{% endfor %}'\n",
        encoding="utf-8",
    )
    tldr = load_template(str(path))
    assert (tldr.name, tldr.language, tldr.path) == ("tldr", "de", path)
    assert tldr.instructions.startswith("Schreibe kurz.") and "German (de)" in tldr.instructions
    model = output_model(tldr)
    model.model_validate({"tldr": "Kurz.", "points": ["a"]})
    with pytest.raises(ValidationError):
        model.model_validate({"tldr": "Kurz.", "points": ["a", "b", "c", "d"]})
    # In the user folder it is listed next to the built-ins.
    (tmp_path / "broken.toml").write_text("this is not toml", encoding="utf-8")
    names = [t.name for t in list_templates(tmp_path)]
    assert names == ["digest-en", "digest-vi", "report-zh", "tldr"]


# ----------------------------------------------------------------------------- --lang


def test_lang_changes_instructions_and_uses_labels_table() -> None:
    vi_en = load_template("digest-vi", lang="EN")
    assert vi_en.language == "en" and vi_en.base_language == "vi"
    assert "write every field in English (en)" in vi_en.instructions
    assert "Vietnamese" not in vi_en.instructions
    assert vi_en.labels["authors"] == "Authors"  # from [labels.en]
    assert vi_en.labels["main_problem"] == "Main Problem"
    zh_fr = load_template("report-zh", lang="fr")
    assert "write every field in French (fr)" in zh_fr.instructions
    assert zh_fr.labels == load_template("report-zh").labels  # no [labels.fr]: unchanged
    odd = load_template("digest-en", lang="sw")
    assert "the language with code 'sw'" in odd.instructions
    with pytest.raises(TemplateError, match="not a language code"):
        load_template("digest-vi", lang="english please")


# ----------------------------------------------------------------------------- bad templates

_GOOD_FIELD = '[[fields]]\nname = "a"\ndescription = "d"\n'
_GOOD_LAYOUT = '[layout]\npaper_md = "{{ title }}"\nreport_md = "{{ papers | join }}"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = [", "invalid TOML"),
        ('language = "vi"\n' + _GOOD_LAYOUT, "fields: must be a non-empty list"),
        (_GOOD_FIELD + _GOOD_LAYOUT, "language: is missing"),
        ('language = "vi"\nlayuot = 1\n' + _GOOD_FIELD + _GOOD_LAYOUT, "layuot: unknown key"),
        (
            'language = "vi"\n[[fields]]\nname = "a"\ndescription = "d"\ntype = "table"\n'
            + _GOOD_LAYOUT,
            "'table' is not one of text | sentence | list | keywords | group",
        ),
        (
            'language = "vi"\n[[fields]]\nname = "a"\ndescription = "d"\ntype = "list"\n'
            "count = 3\nmax_items = 4\n" + _GOOD_LAYOUT,
            "use either count or min_items/max_items",
        ),
        (
            'language = "vi"\n[[fields]]\nname = "a"\ndescription = "d"\ntype = "list"\n'
            "min_items = 4\nmax_items = 2\n" + _GOOD_LAYOUT,
            "min_items 4 is larger than max_items 2",
        ),
        (
            'language = "vi"\n[[fields]]\nname = "a"\ndescription = "d"\ncount = 2\n'
            + _GOOD_LAYOUT,
            "only apply to list and keywords",
        ),
        (
            'language = "vi"\n[[fields]]\nname = "schema"\ndescription = "d"\n' + _GOOD_LAYOUT,
            "'schema' is a reserved name",
        ),
        (
            'language = "vi"\n[[fields]]\nname = "Bad Name"\ndescription = "d"\n' + _GOOD_LAYOUT,
            "must be lowercase letters",
        ),
        ('language = "vi"\n' + _GOOD_FIELD + _GOOD_FIELD + _GOOD_LAYOUT, "declared twice"),
        (
            'language = "vi"\n[[fields]]\nname = "a"\ndescription = "d"\nfallback = "keywords"\n'
            + _GOOD_LAYOUT,
            "'keywords' only fits a list or keywords field",
        ),
        (
            'language = "vi"\n[[fields]]\nname = "g"\ndescription = "d"\ntype = "group"\n'
            + _GOOD_LAYOUT,
            "a group needs a non-empty list of fields",
        ),
        ('language = "vi"\n' + _GOOD_FIELD + '[layout]\npaper_md = "x"\n', "report_md: is missing"),
        (
            'language = "vi"\n' + _GOOD_FIELD + '[layout]\npaper_md = "{% if x %}"\n'
            'report_md = "y"\n',
            "paper_md: Jinja2 syntax error on line 1",
        ),
        ('language = "vi"\nlabels = 3\n' + _GOOD_FIELD + _GOOD_LAYOUT, "labels: must be"),
        ('language = "Vietnamese!"\n' + _GOOD_FIELD + _GOOD_LAYOUT, "is not a language code"),
        ('extends = "no-such-template"\n', "unknown template 'no-such-template'"),
    ],
)
def test_bad_template_is_one_line_template_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_template(str(path))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert isinstance(info.value, UsageError) and info.value.exit_code == 2


def test_unknown_name_missing_file_bad_yaml_and_extends_loop(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"unknown template 'nope' \(available: digest-en, "):
        load_template("nope")
    with pytest.raises(TemplateError, match="template file not found"):
        load_template(str(tmp_path / "missing.toml"))
    with pytest.raises(TemplateError, match="invalid template name"):
        load_template("Bad Name!")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("fields: [unclosed\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="invalid YAML") as info:
        load_template(str(bad_yaml))
    assert "\n" not in str(info.value)
    (tmp_path / "a.toml").write_text(f'extends = "{tmp_path / "b.toml"}"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text(f'extends = "{tmp_path / "a.toml"}"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="'extends' chain is longer than"):
        load_template(str(tmp_path / "a.toml"))


def test_fingerprint_changes_with_what_shapes_a_summary(tmp_path: Path) -> None:
    vi = load_template("digest-vi")
    assert vi.fingerprint == load_template("digest-vi").fingerprint
    assert vi.fingerprint != load_template("digest-vi", lang="en").fingerprint
    # A user copy with only a label changed summarizes the same way; a changed count does not.
    (tmp_path / "digest-vi.toml").write_text(
        'extends = "digest-vi"\n[labels]\nstub = "Lỗi."\n', encoding="utf-8"
    )
    assert load_template("digest-vi", user_dir=tmp_path).fingerprint == vi.fingerprint
    edited = vi.source.replace("count = 3", "count = 2")
    (tmp_path / "digest-vi.toml").write_text(edited, encoding="utf-8")
    assert load_template("digest-vi", user_dir=tmp_path).fingerprint != vi.fingerprint
