"""What a template is: the FieldSpec and Template dataclasses, and their checked parsing.

A template file (TOML or YAML) is parsed into plain data here; every mistake in it becomes a
one-line :class:`~dailypapers.errors.TemplateError` that names the file and the key. Loading
files (built-ins, user folder, ``extends``) lives in ``templates/__init__.py``; the pydantic
output model lives in ``templates/schema.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

import jinja2
from pydantic import BaseModel

from ..errors import TemplateError
from .lang import LANG_RE, check_language, language_name, language_rule

__all__ = [
    "DEFAULT_LABELS",
    "Fallback",
    "FieldSpec",
    "FieldType",
    "Template",
    "parse_template",
]

FieldType = Literal["text", "sentence", "list", "keywords", "group"]
Fallback = Literal["ai_summary", "abstract", "keywords"]

#: Fixed strings every layout may use; a template's ``[labels]`` table overrides them.
DEFAULT_LABELS: dict[str, str] = {
    "stub": "Summary generation failed.",
    "reason": "Reason",
    "no_llm": "written without a language model (from Hugging Face's AI summary, keywords and "
    "the abstract)",
    "generated": "Generated on",
    "by_model": "with model",
    "date": "Date",
    "unsupported": "not found in the text that was read",
    "abstract": "Abstract",
    "source_html": "HTML",
    "source_pdf": "PDF",
    "source_abstract": "Abstract",
    "source_none": "N/A",
    "na": "N/A",
}

_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TEMPLATE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Names that would shadow an attribute of the pydantic model or of the dict given to layouts.
_RESERVED = frozenset(n for n in dir(BaseModel) + dir(dict) if not n.startswith("__"))
_TOP_KEYS = frozenset(
    {
        "name",
        "language",
        "description",
        "extends",
        "instructions",
        "fields",
        "labels",
        "layout",
        "paper_md",
        "report_md",
        "paper_html",
        "report_html",
        "max_unsupported",
    }
)
_FIELD_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "count",
        "min_items",
        "max_items",
        "fields",
        "fallback",
        "optional",
        "label",
        "verify",
    }
)


@dataclass
class FieldSpec:
    """One output field the model fills (or, without a model, the paper's metadata fills).

    ``type``: ``text`` (paragraphs, Markdown allowed), ``sentence`` (one line), ``list`` (items,
    exactly ``count`` or between ``min_items`` and ``max_items``), ``keywords`` (short terms),
    ``group`` (nested ``fields``). ``optional`` fields may be null ("where known").
    ``fallback`` names what fills the field when no LLM is configured. ``verify = false`` exempts
    a field (e.g. brainstormed ideas, which are not claims about the paper) from the claim check.
    """

    name: str
    description: str
    type: FieldType = "text"
    count: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    fields: list[FieldSpec] = field(default_factory=list)
    fallback: Fallback | None = None
    optional: bool = False
    label: str = ""
    verify: bool = True

    @property
    def is_list(self) -> bool:
        return self.type in ("list", "keywords")

    @property
    def min_len(self) -> int | None:
        """Smallest allowed number of items (lists and keywords only)."""
        return self.count if self.count is not None else self.min_items

    @property
    def max_len(self) -> int | None:
        """Largest allowed number of items (lists and keywords only)."""
        return self.count if self.count is not None else self.max_items

    def count_hint(self) -> str:
        """A phrase for the model: ``"Exactly 3 items."``, ``"At most 8 items."``, or ``""``."""
        lo, hi = self.min_len, self.max_len
        if not self.is_list or (lo is None and hi is None):
            return ""
        if lo is not None and lo == hi:
            return f"Exactly {lo} item{'s' if lo != 1 else ''}."
        if lo is not None and hi is not None:
            return f"Between {lo} and {hi} items."
        if hi is not None:
            return f"At most {hi} items."
        return f"At least {lo} items."


@dataclass
class Template:
    """A digest layout: output fields, LLM instructions, labels and Jinja2 layouts.

    ``labels`` are the labels in effect (defaults < ``[labels]`` < ``[labels.<lang>]``);
    ``instructions`` already carry the language rule for ``language``. ``path`` is the file it
    came from (``None`` for a built-in); ``builtin`` says whether it ships with dailypapers;
    ``source`` is the text of that file (for ``dailypapers templates show``).
    """

    name: str
    language: str
    description: str
    fields: list[FieldSpec]
    instructions: str
    labels: dict[str, str]
    paper_md: str
    report_md: str
    paper_html: str | None = None
    report_html: str | None = None
    max_unsupported: float | None = None
    path: Path | None = None
    builtin: bool = False
    base_language: str = ""
    label_sets: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""

    @property
    def fingerprint(self) -> str:
        """A short hash of what shapes a summary (language, fields, instructions).

        Two templates with the same name but edited fields or instructions (a user copy of a
        built-in) differ here, so a store can key cached summaries on it.
        """
        shape = json.dumps(
            [self.language, [asdict(f) for f in self.fields], self.instructions],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(shape.encode("utf-8")).hexdigest()[:16]

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def get_field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


# ----------------------------------------------------------------------------- parsing


def _fail(origin: str, where: str, problem: str) -> TemplateError:
    return TemplateError(f"template {origin}: {where}: {problem}")


def _opt_int(raw: dict[str, Any], key: str, origin: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 50:
        raise _fail(origin, f"{where}.{key}", "must be a whole number from 0 to 50")
    return value


def _parse_field(raw: Any, origin: str, where: str) -> FieldSpec:
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a table with name, description and type")
    unknown = sorted(set(raw) - _FIELD_KEYS)
    if unknown:
        raise _fail(origin, where, f"unknown key {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not _FIELD_NAME_RE.match(name):
        raise _fail(origin, f"{where}.name", "must be lowercase letters, digits and _ (a-z first)")
    if name in _RESERVED:
        raise _fail(origin, f"{where}.name", f"{name!r} is a reserved name")
    where = f"field {name!r}"
    ftype = raw.get("type", "text")
    if ftype not in get_args(FieldType):
        choices = " | ".join(get_args(FieldType))
        raise _fail(origin, f"{where}.type", f"{ftype!r} is not one of {choices}")
    description = raw.get("description", "")
    if not isinstance(description, str) or not description.strip():
        raise _fail(origin, f"{where}.description", "must be a non-empty string")
    count = _opt_int(raw, "count", origin, where)
    lo = _opt_int(raw, "min_items", origin, where)
    hi = _opt_int(raw, "max_items", origin, where)
    is_list = ftype in ("list", "keywords")
    if not is_list and (count, lo, hi) != (None, None, None):
        raise _fail(origin, where, "count/min_items/max_items only apply to list and keywords")
    if count is not None and (lo is not None or hi is not None):
        raise _fail(origin, where, "use either count or min_items/max_items, not both")
    if count == 0 or hi == 0:
        raise _fail(origin, where, "a list must allow at least one item")
    if lo is not None and hi is not None and lo > hi:
        raise _fail(origin, where, f"min_items {lo} is larger than max_items {hi}")
    fallback = raw.get("fallback")
    if fallback is not None:
        if fallback not in get_args(Fallback):
            choices = " | ".join(get_args(Fallback))
            raise _fail(origin, f"{where}.fallback", f"{fallback!r} is not one of {choices}")
        wants_list = fallback == "keywords"
        if wants_list != is_list or ftype == "group":
            kind = "list or keywords" if wants_list else "text or sentence"
            raise _fail(origin, f"{where}.fallback", f"{fallback!r} only fits a {kind} field")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise _fail(origin, f"{where}.optional", "must be true or false")
    verify = raw.get("verify", True)
    if not isinstance(verify, bool):
        raise _fail(origin, f"{where}.verify", "must be true or false")
    label = raw.get("label", "")
    if not isinstance(label, str):
        raise _fail(origin, f"{where}.label", "must be a string")
    sub: list[FieldSpec] = []
    if ftype == "group":
        items = raw.get("fields")
        if not isinstance(items, list) or not items:
            raise _fail(origin, f"{where}.fields", "a group needs a non-empty list of fields")
        sub = [_parse_field(item, origin, f"{where}.fields[{i}]") for i, item in enumerate(items)]
        _check_unique(sub, origin, where)
    elif "fields" in raw:
        raise _fail(origin, where, "only a group has nested fields")
    return FieldSpec(
        name=name,
        description=description.strip(),
        type=cast(FieldType, ftype),
        count=count,
        min_items=lo,
        max_items=hi,
        fields=sub,
        fallback=cast("Fallback | None", fallback),
        optional=optional,
        label=label,
        verify=verify,
    )


def _check_unique(fields: list[FieldSpec], origin: str, where: str) -> None:
    seen: set[str] = set()
    for spec in fields:
        if spec.name in seen:
            raise _fail(origin, where, f"field {spec.name!r} is declared twice")
        seen.add(spec.name)


def _parse_labels(raw: Any, origin: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        raise _fail(origin, "labels", "must be a table of strings")
    base: dict[str, str] = {}
    per_lang: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            base[key] = value
        elif isinstance(value, dict) and LANG_RE.match(key):
            if not all(isinstance(v, str) for v in value.values()):
                raise _fail(origin, f"labels.{key}", "must be a table of strings")
            per_lang[key] = dict(value)
        else:
            raise _fail(origin, f"labels.{key}", "must be a string (or a [labels.<lang>] table)")
    return base, per_lang


_SYNTAX_ENV = jinja2.Environment(autoescape=False)


def _layout(raw: dict[str, Any], key: str, origin: str, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise _fail(origin, key, "is missing (a Jinja2 layout is required)")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(origin, key, "must be a non-empty string (a Jinja2 layout)")
    try:
        _SYNTAX_ENV.parse(value)
    except jinja2.TemplateSyntaxError as exc:
        problem = f"Jinja2 syntax error on line {exc.lineno}: {exc.message}"
        raise _fail(origin, key, problem) from None
    return value


_LAYOUT_KEYS = ("paper_md", "report_md", "paper_html", "report_html")


def _layouts(raw: dict[str, Any], origin: str) -> dict[str, Any]:
    """Layouts come from a ``[layout]`` table and/or top-level keys (which win)."""
    table = raw.get("layout", {})
    if not isinstance(table, dict):
        raise _fail(origin, "layout", "must be a table of Jinja2 layouts")
    unknown = sorted(set(table) - set(_LAYOUT_KEYS))
    if unknown:
        raise _fail(
            origin, f"layout.{unknown[0]}", f"unknown layout (use {', '.join(_LAYOUT_KEYS)})"
        )
    return {**table, **{k: raw[k] for k in _LAYOUT_KEYS if k in raw}}


def parse_template(
    raw: dict[str, Any],
    *,
    origin: str,
    path: Path | None = None,
    builtin: bool = False,
    lang: str | None = None,
    default_name: str = "",
    source: str = "",
) -> Template:
    """Check a template's data and build the Template, in ``lang`` if given."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise _fail(origin, unknown[0], "unknown key (typo?)")
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not _TEMPLATE_NAME_RE.match(name):
        raise _fail(origin, "name", "must be lowercase letters, digits, '.', '_' or '-'")
    language = raw.get("language")
    if not isinstance(language, str):
        raise _fail(origin, "language", "is missing (a code like 'vi', 'en' or 'zh')")
    base_language = check_language(language, origin)
    target = check_language(lang) if lang else base_language
    description = raw.get("description", "")
    instructions = raw.get("instructions", "")
    if not isinstance(description, str):
        raise _fail(origin, "description", "must be a string")
    if not isinstance(instructions, str):
        raise _fail(origin, "instructions", "must be a string")
    items = raw.get("fields")
    if not isinstance(items, list) or not items:
        raise _fail(origin, "fields", "must be a non-empty list of [[fields]] tables")
    fields = [_parse_field(item, origin, f"fields[{i}]") for i, item in enumerate(items)]
    _check_unique(fields, origin, "fields")
    max_unsupported = raw.get("max_unsupported")
    if max_unsupported is not None and (
        isinstance(max_unsupported, bool)
        or not isinstance(max_unsupported, int | float)
        or not 0 <= max_unsupported <= 1
    ):
        raise _fail(origin, "max_unsupported", "must be a share from 0 to 1 (e.g. 0.5)")
    layouts = _layouts(raw, origin)
    base_labels, label_sets = _parse_labels(raw.get("labels"), origin)
    # [labels.<lang>] applies when rendering in another language than the template's own.
    extra = label_sets.get(target, {}) if target != base_language else {}
    labels = {**DEFAULT_LABELS, **base_labels, **extra}
    text = instructions.replace("{language}", language_name(target)).strip()
    text = f"{text}\n\n{language_rule(target)}" if text else language_rule(target)
    return Template(
        name=name,
        language=target,
        description=description.strip(),
        fields=fields,
        instructions=text,
        labels=labels,
        paper_md=cast(str, _layout(layouts, "paper_md", origin, required=True)),
        report_md=cast(str, _layout(layouts, "report_md", origin, required=True)),
        paper_html=_layout(layouts, "paper_html", origin, required=False),
        report_html=_layout(layouts, "report_html", origin, required=False),
        max_unsupported=None if max_unsupported is None else float(max_unsupported),
        path=path,
        builtin=builtin,
        base_language=base_language,
        label_sets=label_sets,
        source=source,
    )
