"""A template's fields as a pydantic model: the structured-output format and its validator.

``output_model(template)`` builds one model class per template (cached): every field required,
no defaults, ``extra="forbid"`` (``additionalProperties: false`` in the JSON schema), lists with
``minItems``/``maxItems`` from ``count``/``min_items``/``max_items``, optional fields as
``T | null`` (still required), groups as nested models. Text checks that JSON Schema cannot say
without keywords some providers reject (not empty, one line for a sentence) are validators, so
they reject bad answers without appearing in the schema. The counts are also spelled out in each
field's description, for providers that only get the schema as instructions.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from .spec import FieldSpec, Template

__all__ = ["output_model", "output_schema"]

_MAX_SENTENCE_CHARS = 800


def _not_empty(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _one_line(value: str) -> str:
    value = _not_empty(value)
    if "\n" in value:
        raise ValueError("must be one sentence on one line (no line breaks)")
    if len(value) > _MAX_SENTENCE_CHARS:
        raise ValueError(f"must be one sentence (at most {_MAX_SENTENCE_CHARS} characters)")
    return value


def _keyword(value: str) -> str:
    value = _not_empty(value)
    if "\n" in value:
        raise ValueError("must be a short term on one line (no line breaks)")
    return value


Text = Annotated[str, AfterValidator(_not_empty)]
Sentence = Annotated[str, AfterValidator(_one_line)]
Keyword = Annotated[str, AfterValidator(_keyword)]


def _class_name(name: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or "Template"


def _description(spec: FieldSpec) -> str:
    hint = spec.count_hint()
    text = f"{spec.description} {hint}".strip() if hint else spec.description
    if spec.optional:
        text += " Use null when the paper does not say."
    return text


def _annotation(spec: FieldSpec, prefix: str) -> Any:
    if spec.type == "group":
        return _model(spec.fields, f"{prefix}{_class_name(spec.name)}")
    if spec.type == "sentence":
        return Sentence
    if spec.type == "list":
        return list[Text]
    if spec.type == "keywords":
        return list[Keyword]
    return Text


def _model(fields: list[FieldSpec], class_name: str) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for spec in fields:
        annotation = _annotation(spec, class_name)
        constraints: dict[str, Any] = {}
        if spec.is_list:
            if spec.min_len is not None:
                constraints["min_length"] = spec.min_len
            if spec.max_len is not None:
                constraints["max_length"] = spec.max_len
        if spec.optional:
            annotation = annotation | None
        definitions[spec.name] = (
            annotation,
            Field(..., description=_description(spec), **constraints),
        )
    model: type[BaseModel] = create_model(
        class_name,
        __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
        **definitions,
    )
    return model


_CACHE: dict[tuple[str, str], type[BaseModel]] = {}


def output_model(template: Template) -> type[BaseModel]:
    """The pydantic model of ``template``'s fields; ``model_validate_json`` checks an answer.

    ``model_dump()`` of a validated answer gives the ``Summary.fields`` dict (field names as
    declared). The class is cached per template name and fingerprint.
    """
    key = (template.name, template.fingerprint)
    model = _CACHE.get(key)
    if model is None:
        model = _model(template.fields, f"{_class_name(template.name)}Output")
        _CACHE[key] = model
    return model


def output_schema(template: Template) -> dict[str, Any]:
    """The JSON schema of :func:`output_model`, ready for a structured-output request.

    Only keywords OpenAI strict mode accepts: ``type``, ``properties``, ``required`` (every
    field), ``additionalProperties: false``, ``items``, ``minItems``/``maxItems``,
    ``description``, and ``anyOf`` with ``null`` for optional fields. Groups are inlined (no
    ``$defs``/``$ref``) and ``title`` keys are dropped, which Gemini's endpoint also prefers.
    """
    schema = output_model(template).model_json_schema()
    defs = schema.pop("$defs", {})
    return cast(dict[str, Any], _clean(schema, defs))


def _clean(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_clean(v, defs) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _clean(merged, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key == "properties":
            out[key] = {name: _clean(sub, defs) for name, sub in value.items()}
        else:
            out[key] = _clean(value, defs)
    return out
