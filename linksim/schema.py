"""Strict schemas for the files a user gives (pydantic v2, strict mode), and their docs.

A schema is a :class:`StrictModel`: no coercion (``"no"`` is not a bool, ``true`` is not a
number, ``"4"`` is not an integer, a scalar is not a list), only finite floats, no unknown
keys. :func:`check` validates a plain dict (as read from TOML / JSON) and turns the first
error into a ``ValueError`` of one line naming the file, the dotted key and what is valid,
e.g. ``scn.toml: issc.n_t='4' is invalid: must be an integer >= 1``. What "valid" says is
derived from the field's type, bounds and unit (:func:`valid_text`), and so is the Markdown
key table of the docs (:func:`markdown_table`), so neither can drift from the check.

Field metadata (``json_schema_extra``): ``unit`` (shown after the range) and ``table`` (the
TOML table a key customarily sits in).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every file schema: strict types, finite floats, unknown keys refused."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


def plain(value: Any) -> Any:
    """A field as plain Python for the schema: tuples and arrays as lists, numpy scalars
    unwrapped (the schema is strict: a numpy float is not a float to it)."""
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy / torch
        return plain(value.tolist())
    return value


def check(model: type[M], data: Any, source: str | None = None,
          where: Mapping[str, str] | None = None) -> M:
    """Validate ``data`` against ``model``; ValueError (one line) on the first problem.

    Args:
        source: the file the data came from (named first in the message).
        where: dotted path in the file of a top-level key (e.g. ``{"n_tx": "array.n_tx"}``)
            when the dict was flattened from tables.
    """
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValueError(error_line(model, e.errors()[0], source, where)) from None


def error_line(model: type[BaseModel], err: Mapping[str, Any], source: str | None = None,
               where: Mapping[str, str] | None = None) -> str:
    """One line for one pydantic error: ``<file>: <key>=<value> is invalid: must be ...``."""
    loc = tuple(err.get("loc", ()))
    key = dotted(loc, where)
    head = f"{source}: " if source else ""
    owner, field = _resolve(model, loc)
    if err["type"] == "extra_forbidden":
        keys = ", ".join(owner.model_fields) if owner is not None else "?"
        return f"{head}{key} is not a valid key: valid keys are {keys}"
    if err["type"] == "missing":
        rule = valid_text(field) if field is not None else "given"
        return f"{head}{key} is missing: must be {rule}"
    if err["type"] in ("value_error", "assertion_error"):  # a validator's own sentence
        msg = str(err.get("ctx", {}).get("error", err.get("msg", "")))
        return f"{head}{key}={show(err.get('input'))} is invalid: {' '.join(msg.split())}"
    if not loc:  # the whole document has the wrong type
        return f"{head}the file is invalid: must be a table of keys ({err.get('msg', '')})"
    if field is None:
        rule = err.get("msg", "")
    else:  # an entry of a list field: say what one entry is
        element = isinstance(loc[-1], int) and _submodel(_element(field.annotation)) is None
        rule = valid_text(field, element=element)
    return f"{head}{key}={show(err.get('input'))} is invalid: must be {rule}"


def in_file(message: str, source: str | None, where: Mapping[str, str] | None = None) -> str:
    """A check's one-line ``message`` (``"crb_limit=0.5 is invalid: ..."``) as said of a file:
    prefixed with the file, its leading key spelled as placed there (``signal.crb_limit``)."""
    key = message.split("=", 1)[0].split("[", 1)[0]
    if where and key in where and where[key] != key:
        message = where[key] + message[len(key):]
    return f"{source}: {message}" if source else message


def dotted(loc: tuple, where: Mapping[str, str] | None = None) -> str:
    """``("issc", "tr_position", 1)`` -> ``issc.tr_position[1]``."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = where.get(part, part) if (i == 0 and where) else part
            out += f".{name}" if out else str(name)
    return out or "(top level)"


def show(value: Any) -> str:
    """A value as the user wrote it (TOML / JSON spelling for bools and non-finite floats)."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _resolve(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel] | None,
                                                             FieldInfo | None]:
    """The model that owns the last key of ``loc`` and that key's field (None if unknown)."""
    owner: type[BaseModel] | None = model
    field: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            if field is not None:
                sub = _submodel(_element(field.annotation))
                if sub is not None:
                    owner, field = sub, None
            continue
        if owner is None or part not in owner.model_fields:
            return owner, field
        field = owner.model_fields[part]
        sub = _submodel(field.annotation)
        if sub is not None:
            owner = sub
    return owner, field


def _strip(tp: Any) -> tuple[Any, list[Any]]:
    """(bare type, constraints) of a possibly ``Annotated`` / optional type."""
    meta: list[Any] = []
    while typing.get_origin(tp) is typing.Annotated:
        tp, *extra = typing.get_args(tp)
        for m in extra:  # Field(gt=0) inside Annotated holds its bounds in .metadata
            meta += list(m.metadata) if isinstance(m, FieldInfo) else [m]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _strip(args[0])[0], meta + _strip(args[0])[1]
    return tp, meta


def _element(tp: Any) -> Any:
    bare, _ = _strip(tp)
    args = typing.get_args(bare)
    return args[0] if args else Any


def _submodel(tp: Any) -> type[BaseModel] | None:
    bare, _ = _strip(tp)
    return bare if isinstance(bare, type) and issubclass(bare, BaseModel) else None


def _bounds(meta: list[Any]) -> str:
    """Bounds held by pydantic's constraint objects (annotated_types Gt, Ge, Lt, Le)."""
    parts = []
    for m in meta:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            v = getattr(m, attr, None)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                parts.append(f"{sym} {v:g}" if isinstance(v, float) else f"{sym} {v}")
    return " and ".join(parts)


def _lengths(meta: list[Any]) -> tuple[int | None, int | None]:
    """(min, max) entries held by pydantic's MinLen / MaxLen constraint objects."""
    lo = hi = None
    for m in meta:
        lo = getattr(m, "min_length", None) if getattr(m, "min_length", None) is not None else lo
        hi = getattr(m, "max_length", None) if getattr(m, "max_length", None) is not None else hi
    return lo, hi


def type_text(tp: Any, plural: bool = False, meta: list[Any] | None = None) -> str:
    """``int`` -> "an integer", ``list[float]`` -> "a list of finite numbers", ...

    ``meta``: constraints held by the field rather than the type (``Field(gt=0)``)."""
    bare, own = _strip(tp)
    meta = own + list(meta or [])
    bounds = _bounds(meta)
    sfx = f" {bounds}" if bounds else ""
    origin = typing.get_origin(bare)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(bare))
    if bare is bool:
        return "true or false"
    if bare is int:
        return ("integers" if plural else "an integer") + sfx
    if bare is float:
        return ("finite numbers" if plural else "a finite number") + sfx
    if bare is str:
        return "strings" if plural else "a string"
    if origin in (list, tuple):
        lo, hi = _lengths(meta)
        what = type_text(_element(bare), plural=True)
        if lo is not None and lo == hi:
            return f"a list of {lo} {what}"
        if lo and hi:
            return f"a list of {lo} to {hi} {what}"
        if lo:
            return f"a list of {lo} or more {what}" if lo > 1 else f"a non-empty list of {what}"
        return f"a list of {what} (may be empty)"
    if origin is dict:
        return "a table"
    sub = _submodel(bare)
    if sub is not None:
        return f"{'tables' if plural else 'a table'} of keys {', '.join(sub.model_fields)}"
    return getattr(bare, "__name__", str(bare))


def unit_of(field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return str(extra.get("unit", ""))


def valid_text(field: FieldInfo, element: bool = False) -> str:
    """What a valid value of ``field`` is, e.g. "a finite number > 0 (s)"; with ``element``,
    what one entry of a list field is."""
    tp = Any if field.annotation is None else field.annotation
    if element:
        text = type_text(_element(tp))
    else:
        text = type_text(tp, meta=list(field.metadata))
    unit = unit_of(field)
    return f"{text} ({unit})" if unit else text


def markdown_table(model: type[BaseModel], defaults: Mapping[str, Any] | None = None,
                   tables: bool = False) -> str:
    """The key table of a schema for the docs: key, [table,] type and range, unit, default,
    description. Generated, so a docs test can assert the page holds exactly this text."""
    head = ["key"] + (["table"] if tables else []) + ["valid values", "unit", "default",
                                                        "description"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit = unit_of(field)
        rule = valid_text(field)
        if unit and rule.endswith(f" ({unit})"):
            rule = rule[: -len(unit) - 3]
        if defaults is not None and name in defaults:
            default = show(list(defaults[name]) if isinstance(defaults[name], tuple)
                           else defaults[name])
        else:
            default = "(none)" if field.is_required() else show(field.default)
        if isinstance(defaults, Mapping) and default.startswith("'"):
            default = '"' + default[1:-1] + '"'
        cells = [f"`{name}`"] + ([f"[{extra.get('table', '')}]" if extra.get("table")
                                  else "(top level)"] if tables else [])
        cells += [rule.replace("|", "\\|"), unit or "-", f"`{default}`" if default else "",
                  " ".join((field.description or "").split()).replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def generated_markers(name: str) -> tuple[str, str]:
    """The comment lines around a generated section ``name`` of a docs page."""
    return (f"<!-- BEGIN generated: {name} (python -m scripts.schema_docs) -->",
            f"<!-- END generated: {name} -->")


def replace_section(page: str, name: str, body: str) -> str:
    """``page`` with the text between the markers of section ``name`` set to ``body``."""
    begin, end = generated_markers(name)
    if page.count(begin) != 1 or page.count(end) != 1:
        raise ValueError(f"docs section {name!r} is invalid: the page must hold its markers "
                         f"{begin!r} and {end!r} once each")
    head, rest = page.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{body}{end}{tail}"
