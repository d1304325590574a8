"""One-line refusals from the typed schemas of the files a user gives (pydantic v2, strict).

The design files (:mod:`optim.ascc.design_schema`, :mod:`optim.nearfield.design`) are
validated by pydantic models in strict mode (no "no" as true, no bool or string as a number,
unknown keys refused). pydantic reports every error with its location; a user gets the first
one as one line naming the file, the entry, the key, the value and what is valid, taken from
the field's description (:func:`refusal_line`); keys and values are spelled as the scenario
files' refusals spell them (:func:`linksim.schema.dotted`, :func:`linksim.schema.show`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from linksim.schema import dotted, show

#: strict types, unknown keys refused, models frozen (plain records)
STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


def _nan_or_finite(v: float) -> float:
    if math.isinf(v):
        raise ValueError("must be finite (NaN only where the quantity does not apply)")
    return v


#: a float that is finite or NaN ("does not apply"), never +-inf
NaNOrFinite = Annotated[float, AfterValidator(_nan_or_finite)]


def _short(value: Any, limit: int = 60) -> str:
    text = show(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def field_hint(model: type[BaseModel], key: str) -> str:
    """What is valid for ``key`` of ``model``: its description, else its annotation."""
    f = model.model_fields.get(key)
    if f is None:
        return f"one of the keys {sorted(model.model_fields)}"
    return f.description or str(f.annotation)


def refusal_line(err: ValidationError, model: type[BaseModel], where: str) -> str:
    """The first error of ``err`` (raised validating ``model``) as one line.

    ``where`` names the file and entry (``"designs file 'd.json': design 3"``); the line
    names the key (dotted path into the entry), the value given and what is valid.
    """
    e = err.errors(include_url=False)[0]
    loc = tuple(e.get("loc", ()))
    key = dotted(loc)
    top = str(loc[0]) if loc else ""
    hint = field_hint(model, top) if top else ""
    msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
    kind = e.get("type", "")
    if kind == "missing":
        return f"{where}: key {key!r} is missing; valid: {hint}"
    if kind == "extra_forbidden":
        return (f"{where}: key {key!r} is unknown; valid keys: "
                f"{', '.join(sorted(model.model_fields))}")
    if not loc:  # a check across keys (model validator): its message names them
        return f"{where}: {msg}"
    return f"{where}: {key}={_short(e.get('input'))} is invalid ({msg}); valid: {hint}"
