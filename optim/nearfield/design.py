"""The hand-off of the NF optimiser: one optimised design, saved as JSON.

An :class:`NFDesign` is plain data (numpy arrays and numbers, no solver objects). The JSON
layout is stable (``version`` bumps on an incompatible change); complex matrices are stored
as ``{"re": [[...]], "im": [[...]]}`` and floats with Python's repr, so :func:`load_design`
gives back exactly the numbers that were saved. The layout is typed (:class:`NFDesignV1`,
pydantic strict mode): a file with a key missing, unknown, of the wrong type or shape, or
not finite is refused in one line naming the file, the key and what is valid; and
:func:`reverify` re-checks a loaded design against every constraint of NF problem (28) with
:func:`optim.nearfield.feasibility.verify_design` on the scenario it records.

Units: positions m (N_t, 2) [x, z]; W (N_t, K) sqrt(W); Rx (N_t, N_t) W; f Hz (L,);
rho, rho_lb (K,) in (0, 1]; min_secrecy bits/s/Hz (times iota).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, FiniteFloat, ValidationError, model_validator

from semcodec.atomic_io import write_atomic

from ..validation import STRICT, refusal_line

NF_DESIGN_VERSION = 1
#: what made a design: NF Algorithm 2's position strategies
#: (:data:`optim.nearfield.POSITION_STRATEGIES`) or the joint method (``issc nf --method joint``)
STRATEGIES = ("bfgs", "taylor", "random", "fixed", "joint")


def _cjson(M: np.ndarray) -> dict[str, list]:
    M = np.asarray(M, dtype=complex)
    return {"re": M.real.tolist(), "im": M.imag.tolist()}


def _plain(x: Any) -> Any:
    """Tuples -> lists, numpy scalars -> Python numbers (what JSON gives back)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def _cload(d: dict[str, list]) -> np.ndarray:
    return np.asarray(d["re"], dtype=float) + 1j * np.asarray(d["im"], dtype=float)


def _shape(rows: list[list[float]], key: str) -> tuple[int, int]:
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise ValueError(f"{key} has rows of {sorted(widths)} entries: a matrix has rows of one "
                         "length")
    return len(rows), widths.pop() if widths else 0


class ComplexMatrix(BaseModel):
    """A complex matrix ``{"re": [[...]], "im": [[...]]}`` with finite entries."""

    model_config = STRICT
    re: list[list[FiniteFloat]] = Field(min_length=1, description="rows of real parts")
    im: list[list[FiniteFloat]] = Field(min_length=1, description="rows of imaginary parts")

    @model_validator(mode="after")
    def _same_shape(self) -> ComplexMatrix:
        if _shape(self.re, "re") != _shape(self.im, "im"):
            raise ValueError(f"'re' is {_shape(self.re, 're')} and 'im' "
                             f"{_shape(self.im, 'im')}: they must have one shape")
        return self

    @property
    def shape(self) -> tuple[int, int]:
        return _shape(self.re, "re")


class NFConstraint(BaseModel):
    """One constraint as :func:`~optim.nearfield.feasibility.verify_design` recorded it."""

    model_config = STRICT
    value: float = Field(description="a number")
    limit: float = Field(description="a number")
    slack: float = Field(description="a number (>= 0: satisfied)")
    ok: bool = Field(description="true or false")


class NFChecks(BaseModel):
    """The record of :func:`~optim.nearfield.feasibility.verify_design` (re-computed on use)."""

    model_config = STRICT
    feasible: bool = Field(description="true or false")
    constraints: dict[str, NFConstraint] = Field(description="name -> {value, limit, slack, "
                                                             "ok}")
    violations: list[str] = Field(default_factory=list, description="a list of names")


class NFDesignV1(BaseModel):
    """The typed layout of an NF ``design.json`` (:meth:`NFDesign.to_json`), version 1."""

    model_config = STRICT
    version: Literal[1] = Field(description="1, the NF design layout version")
    strategy: Literal[STRATEGIES] = Field(description=f"one of {STRATEGIES}")
    semantic: bool = Field(description="true or false (JSON booleans only)")
    seed: int = Field(ge=0, description="the run's seed, an integer >= 0")
    min_secrecy: FiniteFloat = Field(description="min_k S_k in bits/s/Hz, a finite number")
    positions_m: list[list[FiniteFloat]] = Field(
        min_length=1, description="N_t antenna positions [x, z] in m, finite")
    W: ComplexMatrix = Field(description="beams (N_t, K) {'re': [[...]], 'im': [[...]]}")
    Rx: ComplexMatrix = Field(description="transmit covariance (N_t, N_t) {'re', 'im'}")
    f_hz: list[FiniteFloat] = Field(min_length=1, description="CPU frequencies (L,) in Hz")
    rho: list[FiniteFloat] = Field(min_length=1, description="extraction ratios (K,)")
    rho_lb: list[FiniteFloat] = Field(min_length=1, description="their lower bounds (K,)")
    constraints: NFChecks | None = Field(None, description="the verify_design record")
    scenario: dict[str, Any] = Field(default_factory=dict,
                                     description="the NF scenario's fields (a table)")
    options: dict[str, Any] = Field(default_factory=dict, description="a table")

    @model_validator(mode="after")
    def _shapes(self) -> NFDesignV1:
        n_t, k = len(self.positions_m), len(self.rho)
        if any(len(p) != 2 for p in self.positions_m):
            raise ValueError("positions_m is invalid: each of the N_t positions is [x, z] (m)")
        if self.W.shape != (n_t, k):
            raise ValueError(f"W is {self.W.shape} but positions_m has N_t={n_t} and rho K={k}"
                             f" entries: W is (N_t, K)")
        if self.Rx.shape != (n_t, n_t):
            raise ValueError(f"Rx is {self.Rx.shape}: it must be (N_t, N_t) = ({n_t}, {n_t})")
        if len(self.rho_lb) != k:
            raise ValueError(f"rho_lb has {len(self.rho_lb)} entries and rho {k}: one per user")
        return self


@dataclass
class NFDesign:
    """One design of NF problem (28) with what produced it and every constraint's check."""

    positions: np.ndarray
    W: np.ndarray
    Rx: np.ndarray
    f_hz: np.ndarray
    rho: np.ndarray
    rho_lb: np.ndarray
    min_secrecy: float
    strategy: str
    semantic: bool
    seed: int
    scenario: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    constraints: dict[str, Any] = field(default_factory=dict)

    @property
    def R(self) -> np.ndarray:
        """The sensing covariance R = R_x - W W^H of NF eq. (3), (N_t, N_t)."""
        return self.Rx - self.W @ self.W.conj().T

    def to_json(self) -> dict[str, Any]:
        return {"version": NF_DESIGN_VERSION, "strategy": self.strategy,
                "semantic": bool(self.semantic), "seed": int(self.seed),
                "min_secrecy": float(self.min_secrecy),
                "positions_m": np.asarray(self.positions, dtype=float).tolist(),
                "W": _cjson(self.W), "Rx": _cjson(self.Rx),
                "f_hz": np.asarray(self.f_hz, dtype=float).tolist(),
                "rho": np.asarray(self.rho, dtype=float).tolist(),
                "rho_lb": np.asarray(self.rho_lb, dtype=float).tolist(),
                "constraints": _plain(self.constraints), "scenario": _plain(self.scenario),
                "options": _plain(self.options)}

    @classmethod
    def from_json(cls, d: Any, where: str = "NF design") -> NFDesign:
        """Validate ``d`` (:class:`NFDesignV1`) and build the design; a refusal is one
        ValueError line starting with ``where``."""
        if not isinstance(d, dict):
            raise ValueError(f"{where} is {type(d).__name__}, not a table of keys; valid: a "
                             "design.json written by `issc nf`")
        version = d.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError(f"{where}: version={version!r} is invalid: must be the integer "
                             f"{NF_DESIGN_VERSION}; regenerate the design with `issc nf`")
        if version != NF_DESIGN_VERSION:
            newer = version > NF_DESIGN_VERSION
            raise ValueError(f"{where}: version={version} "
                             + ("was written by a newer issc: upgrade issc or" if newer else
                                "was never written by issc:")
                             + f" regenerate the design with `issc nf` (this reads version "
                             f"{NF_DESIGN_VERSION})")
        try:
            m = NFDesignV1.model_validate(d)
        except ValidationError as e:
            raise ValueError(refusal_line(e, NFDesignV1, where)) from None

        def cplx(c: ComplexMatrix) -> np.ndarray:
            return _cload(c.model_dump())

        return cls(positions=np.asarray(m.positions_m, dtype=float), W=cplx(m.W),
                   Rx=cplx(m.Rx), f_hz=np.asarray(m.f_hz, dtype=float),
                   rho=np.asarray(m.rho, dtype=float),
                   rho_lb=np.asarray(m.rho_lb, dtype=float), min_secrecy=m.min_secrecy,
                   strategy=m.strategy, semantic=m.semantic, seed=m.seed,
                   scenario=d.get("scenario", {}), options=d.get("options", {}),
                   constraints=d.get("constraints") or {})


def save_design(design: NFDesign, path: str | os.PathLike) -> None:
    """Write the design as JSON (atomic: a kill never leaves half a file)."""
    write_atomic(Path(path), json.dumps(design.to_json(), indent=1))


def load_design(path: str | os.PathLike) -> NFDesign:
    """Read a design written by :func:`save_design` (typed: one-line ValueError naming the
    file and key when it is not one)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"design file {p} does not exist")
    where = f"NF design file {str(p)!r}"
    try:
        doc = json.loads(p.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{where} cannot be read as JSON ({e}); valid: a design.json "
                         "written by `issc nf`") from None
    return NFDesign.from_json(doc, where)


def reverify(design: NFDesign, where: str = "NF design") -> dict[str, Any]:
    """Every constraint of NF problem (28) re-computed for ``design`` on the scenario it
    records (:func:`~optim.nearfield.feasibility.verify_design`, the scenario's own
    formulas, not the optimiser's SDP). Returns its ``{"feasible", "constraints",
    "violations"}``; raises ValueError (one line) when the design has no scenario or its
    scenario does not build, or the design's sizes are not the scenario's.
    """
    from linksim.nearfield import NFScenario

    from .feasibility import verify_design

    if not design.scenario:
        raise ValueError(f"{where} has no scenario: it cannot be re-verified; valid: a "
                         "design.json written by `issc nf`")
    try:
        scn = NFScenario(**design.scenario)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{where}: scenario: {str(e).splitlines()[0]}") from None
    sizes = {"positions (N_t)": (design.positions.shape[0], scn.n_t),
             "rho (K users)": (design.rho.size, scn.K), "f_hz (L targets)": (design.f_hz.size,
                                                                          scn.L)}
    for what, (got, want) in sizes.items():
        if got != want:
            raise ValueError(f"{where}: {what} has {got} entries but its scenario has {want}")
    return verify_design(scn, design.positions, design.W, design.Rx, design.f_hz, design.rho,
                         design.rho_lb)


def refuse_infeasible(design: NFDesign, where: str = "NF design") -> dict[str, Any]:
    """:func:`reverify`, refusing a violated constraint in one line (name, value, limit)."""
    check = reverify(design, where)
    if check["violations"]:
        name = check["violations"][0]
        c = check["constraints"][name]
        raise ValueError(f"{where} violates {name}: value {c['value']:.6g} against limit "
                         f"{c['limit']:.6g} (slack {c['slack']:.3g}, NF problem (28)); "
                         f"violated: {', '.join(check['violations'])}")
    return check
