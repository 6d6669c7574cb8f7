"""Templates: which fields a summary has, what the model is told, and how the report looks.

A template is data, not code: a TOML (or YAML) file with ``name``, ``language``,
``description``, ``[[fields]]`` (name, description, type, counts, ``fallback``), ``instructions``,
``[labels]`` (and ``[labels.<lang>]``) and the Jinja2 layouts ``paper_md``/``report_md``
(``paper_html``/``report_html`` optional). A file may start from another template with
``extends = "digest-vi"`` and override only some keys. The built-ins (``digest-vi``,
``digest-en``, ``report-zh``) are files in this package; a file of the same name in the user
folder (``Settings.templates_dir``), or a path, wins over them. See ``docs/templates.md``.

This package owns loading and checking templates (``spec.py``), the pydantic output model
(``schema.py``) and the no-LLM fill (:func:`fields_without_llm`). Rendering is ``render.py``.
"""

from __future__ import annotations

import logging
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import TemplateError
from ..models import Paper
from .lang import check_language, language_name
from .schema import output_model, output_schema
from .spec import (
    DEFAULT_LABELS,
    Fallback,
    FieldSpec,
    FieldType,
    Template,
    parse_template,
)

__all__ = [
    "DEFAULT_LABELS",
    "Fallback",
    "FieldSpec",
    "FieldType",
    "Template",
    "builtin_names",
    "check_language",
    "fields_without_llm",
    "language_name",
    "list_templates",
    "load_template",
    "output_model",
    "output_schema",
]

log = logging.getLogger(__name__)

_SUFFIXES = (".toml", ".yaml", ".yml")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_MAX_BYTES = 1_000_000
_MAX_EXTENDS = 5
_SOURCE = "\x00source"  # where the file's text rides along with its data


def builtin_names() -> list[str]:
    """Names of the templates shipped with dailypapers."""
    root = resources.files(__name__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _parse_bytes(data: bytes, suffix: str, origin: str) -> dict[str, Any]:
    if len(data) > _MAX_BYTES:
        raise TemplateError(f"template {origin}: file is larger than 1 MB")
    try:
        text = data.decode("utf-8")
        raw = yaml.safe_load(text) if suffix in (".yaml", ".yml") else tomllib.loads(text)
        if isinstance(raw, dict):
            raw[_SOURCE] = text
    except UnicodeDecodeError:
        raise TemplateError(f"template {origin}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"template {origin}: invalid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise TemplateError(f"template {origin}: invalid YAML: {first}") from None
    if not isinstance(raw, dict):
        raise TemplateError(f"template {origin}: must be a table of keys at the top level")
    return raw


def _read_path(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"template file not found: {path}") from None
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc.strerror or exc}") from None
    return _parse_bytes(data, path.suffix.lower(), str(path))


def _user_file(name: str, user_dir: Path | None) -> Path | None:
    if user_dir is None:
        return None
    for suffix in _SUFFIXES:
        candidate = user_dir / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.lower().endswith(_SUFFIXES)


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``base``; ``labels`` (and its per-language tables) and ``layout`` merge
    key by key."""
    merged = {**base, **child}
    merged.pop("extends", None)
    if isinstance(base.get("layout"), dict) and isinstance(child.get("layout"), dict):
        merged["layout"] = {**base["layout"], **child["layout"]}
    if isinstance(base.get("labels"), dict) and isinstance(child.get("labels"), dict):
        labels = dict(base["labels"])
        for key, value in child["labels"].items():
            if isinstance(value, dict) and isinstance(labels.get(key), dict):
                labels[key] = {**labels[key], **value}
            else:
                labels[key] = value
        merged["labels"] = labels
    return merged


def _resolve(
    ref: str, user_dir: Path | None, *, skip_user: bool = False, depth: int = 0
) -> tuple[dict[str, Any], str, Path | None, bool]:
    """Find ``ref`` (a name or a path) and return (raw data, origin, path, builtin)."""
    if depth > _MAX_EXTENDS:
        raise TemplateError(f"template {ref}: 'extends' chain is longer than {_MAX_EXTENDS}")
    path: Path | None
    if _looks_like_path(ref):
        path = Path(ref).expanduser()
        raw, origin, builtin = _read_path(path), str(path), False
        name = path.stem
    else:
        name = ref.strip().lower()
        if not _NAME_RE.match(name):
            raise TemplateError(f"invalid template name {ref!r}")
        path = None if skip_user else _user_file(name, user_dir)
        if path is not None:
            raw, origin, builtin = _read_path(path), str(path), False
        elif name in builtin_names():
            data = resources.files(__name__).joinpath(f"{name}.toml").read_bytes()
            raw, origin, builtin = _parse_bytes(data, ".toml", name), name, True
        else:
            known = sorted(set(builtin_names()) | {t.name for t in _user_templates(user_dir)})
            raise TemplateError(f"unknown template {ref!r} (available: {', '.join(known)})")
    raw.setdefault("name", name)
    parent = raw.get("extends")
    if parent is not None:
        if not isinstance(parent, str):
            raise TemplateError(f"template {origin}: extends: must be a template name or path")
        # A user file may extend the built-in of its own name.
        same = not _looks_like_path(parent) and parent.strip().lower() == raw["name"]
        base, _, _, _ = _resolve(parent, user_dir, skip_user=same, depth=depth + 1)
        base.pop("name", None)
        base.pop(_SOURCE, None)
        raw = _merge(base, raw)
    return raw, origin, path, builtin


def load_template(
    name_or_path: str, *, user_dir: Path | None = None, lang: str | None = None
) -> Template:
    """Load a template by name (user folder first, then built-ins) or by file path.

    ``lang`` renders it in another language: the instructions ask for prose in that language
    (technical names stay in English) and ``[labels.<lang>]`` applies if the template has it.
    Raises TemplateError (one line) for an unknown name or a file that cannot be used.
    """
    raw, origin, path, builtin = _resolve(name_or_path, user_dir)
    source = str(raw.pop(_SOURCE, ""))
    default = path.stem if path is not None else str(raw.get("name", ""))
    return parse_template(
        raw,
        origin=origin,
        path=path,
        builtin=builtin,
        lang=lang,
        default_name=default,
        source=source,
    )


def _user_templates(user_dir: Path | None) -> list[Template]:
    found: list[Template] = []
    if user_dir is None or not user_dir.is_dir():
        return found
    for path in sorted(user_dir.iterdir()):
        if path.suffix.lower() in _SUFFIXES and path.is_file():
            try:
                found.append(load_template(str(path), user_dir=user_dir))
            except TemplateError as exc:
                log.warning("skipping %s", exc)
    return found


def list_templates(user_dir: Path | None = None) -> list[Template]:
    """Every usable template, sorted by name; a user template hides a built-in of its name.

    A user file that cannot be loaded is skipped with a logged warning.
    """
    by_name = {name: load_template(name) for name in builtin_names()}
    for template in _user_templates(user_dir):
        by_name[template.name] = template
    return [by_name[name] for name in sorted(by_name)]


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def _fallback_value(spec: FieldSpec, paper: Paper) -> Any:
    if spec.fallback == "ai_summary":
        return _clean_text(paper.ai_summary)
    if spec.fallback == "abstract":
        return _clean_text(paper.abstract)
    if spec.fallback == "keywords":
        words = [w for w in (_clean_text(k) for k in paper.ai_keywords) if w]
        limit = spec.max_len
        return (words[:limit] if limit else words) or None
    return None


def _fill(fields: list[FieldSpec], paper: Paper) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.type == "group":
            value: Any = _fill(spec.fields, paper) or None
        else:
            value = _fallback_value(spec, paper)
        if value is not None:
            out[spec.name] = value
    return out


def fields_without_llm(template: Template, paper: Paper) -> dict[str, Any]:
    """The fields that need no LLM, filled from the paper's HF metadata by each ``fallback``.

    ``ai_summary`` -> HF's one-paragraph AI summary, ``abstract`` -> the abstract (whitespace
    normalized), ``keywords`` -> HF's AI keywords (cut to ``max_items``). Fields with no
    fallback, or whose source is missing, are left out; layouts show only what is present.
    """
    return _fill(template.fields, paper)
