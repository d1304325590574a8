"""The typed schema of a designs file (``designs.json`` of ``issc ascc``), version 1.

Every design of a file is validated by :class:`DesignV1` (pydantic, strict mode): numbers
are numbers (no bool, no string), integers are integers, unknown keys are refused, and the
keys every writer of version 1 has written are required. NaN is the documented "does not
apply" value (an operating point has no P_T or HCRB; an analog DJSCC design has no R_c or
BER), never infinity. A few checks across keys hold for any design, whatever its scenario:
a digital design has a finite R_c > 0, a BER model this library knows and a BER in
[0, 0.5]; an optimised design states its P_T, ABR and Pi. What a design claims against its
scenario (power, HCRB, SINR, capacity) is re-computed by :mod:`optim.ascc.verify`.

Versions: ``DESIGN_VERSION = 1`` is the only layout issc has written (commit a528cfb on).
Files from before ``codec_sha256``, ``ber_model``, ``scenario``, ``codec_kind`` ... existed
are version 1 too and load with those keys' defaults; a file of another version is refused
with one line that names the version that wrote it and how to regenerate it.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, FiniteFloat, model_validator

from linksim.ber_model import BER_MODELS

from ..validation import STRICT, NaNOrFinite

DESIGN_VERSION = 1
#: how a design was made: the optimiser's beam methods, the benchmark, or an operating point
#: chosen by hand (:func:`optim.e2e.design_at`: no beams, the SINR is stated)
OPTIMISED_METHODS = ("paper", "sdr", "benchmark")
METHODS = (*OPTIMISED_METHODS, "operating-point")
REGENERATE = "regenerate it with `issc ascc` (or optim.e2e.design_at for an operating point)"


class ComplexVector(BaseModel):
    """A complex beamformer ``{"re": [...], "im": [...]}``, sqrt(W), finite entries."""

    model_config = STRICT
    re: list[FiniteFloat] = Field(min_length=1, description="real parts, finite, >= 1 entry")
    im: list[FiniteFloat] = Field(min_length=1, description="imaginary parts, finite")

    @model_validator(mode="after")
    def _same_length(self) -> ComplexVector:
        if len(self.re) != len(self.im):
            raise ValueError(f"'re' has {len(self.re)} entries and 'im' {len(self.im)}: a "
                             "complex vector needs as many of each")
        return self


class ConstraintRecord(BaseModel):
    """A constraint as the optimiser recorded it (re-computed on use, not trusted)."""

    model_config = STRICT
    value: float = Field(description="the constraint's value, a number")
    limit: float = Field(description="its limit, a number")
    sense: Literal["<=", ">="] = Field("<=", description="'<=' or '>='")
    slack: float | None = Field(None, description="limit - value ('<='), a number")


_Beam = Annotated[ComplexVector, Field(description="a beamformer of N_T >= 1 complex entries "
                                                   "{'re': [...], 'im': [...]} (sqrt(W))")]


class DesignV1(BaseModel):
    """One design of a version-1 designs file (:class:`optim.ascc.LinkDesign` as JSON)."""

    model_config = STRICT
    version: Literal[1] = Field(1, description="1, the design layout version")
    scheme: Literal["ascc", "benchmark"] = Field(description="'ascc' or 'benchmark'")
    method: Literal[METHODS] = Field(description=f"one of {METHODS}")
    pt_dbm: NaNOrFinite = Field(description="P_T in dBm, a finite number (NaN for an "
                                            "operating point)")
    abr: NaNOrFinite = Field(description="ABR in channel uses per source dimension, a "
                                         "finite number > 0 (NaN for an operating point)")
    pi_m2: NaNOrFinite = Field(description="HCRB limit Pi in m^2, a finite number > 0 (NaN "
                                           "for an operating point)")
    model: int = Field(description="codec index in the ladder, an integer (-1 for DJSCC)")
    model_name: str = Field(description="ladder name of the codec ('q3'), a string")
    rs_bits: NaNOrFinite = Field(description="R_s in bits per image, a number (NaN: DJSCC)")
    rs_bpd: NaNOrFinite = Field(description="R_s in bits per source dimension, a number")
    rc: NaNOrFinite = Field(description="R_c in information bits per channel use, a finite "
                                        "number > 0 (NaN for a DJSCC design)")
    blocklength: int = Field(ge=1, description="L, channel uses per block, an integer >= 1")
    w_c: _Beam
    w_0: _Beam
    sinr: FiniteFloat = Field(ge=0.0, description="SINR at the CRE (linear), finite, >= 0")
    ber_pred: NaNOrFinite = Field(description="predicted BER rho_b in [0, 0.5] (NaN: DJSCC)")
    mse_pred: NaNOrFinite = Field(description="predicted MSE, a number")
    msssim_pred: NaNOrFinite = Field(description="predicted MS-SSIM, a number")
    hcrb: NaNOrFinite = Field(description="Tr HCRB in m^2, a number (NaN for an operating "
                                          "point)")
    hcrb_no_ts: NaNOrFinite = Field(description="Tr CRB without the sync error in m^2")
    constraints: dict[str, ConstraintRecord] = Field(
        default_factory=dict, description="name -> {value, limit, sense, slack}")
    sinr_bound_db: NaNOrFinite = Field(math.nan, description="SDR bound's SINR in dB or NaN")
    iterations: int = Field(0, ge=0, description="outer iterations, an integer >= 0")
    trace: list[float] = Field(default_factory=list, description="a list of numbers")
    solver: str = Field("", description="the convex solver's name, a string")
    solve_s: float = Field(0.0, ge=0.0, description="wall time in s, a number >= 0")
    ber_model: Literal[(*BER_MODELS, "")] = Field(
        "fbl", description=f"the BER model of ber_pred: one of {BER_MODELS} ('' for DJSCC)")
    codec_sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$",
                              description="SHA-256 of the codec checkpoint: 64 lowercase hex "
                                          "digits, or ''")
    scenario: dict[str, Any] = Field(default_factory=dict,
                                     description="the far-field scenario's fields (a table)")
    extra: dict[str, Any] = Field(default_factory=dict, description="a table (free-form)")
    codec_kind: Literal["digital", "djscc"] = Field("digital",
                                                    description="'digital' or 'djscc'")
    djscc_model: str = Field("", description="the DJSCC model id ('' for a digital design)")
    # derived by the writer from sinr and sinr_bound_db; checked, never used
    sinr_db: float | None = Field(None, description="10 log10(sinr), a number")
    gap_to_bound_db: float | None = Field(None, description="sinr_bound_db - sinr_db")

    @model_validator(mode="after")
    def _consistent(self) -> DesignV1:
        if len(self.w_c.re) != len(self.w_0.re):
            raise ValueError(f"w_c has {len(self.w_c.re)} entries and w_0 {len(self.w_0.re)}: "
                             "both beams have N_T entries")
        if self.codec_kind == "djscc":
            if not self.djscc_model:
                raise ValueError("djscc_model='' is invalid for a codec_kind='djscc' design: "
                                 "it must name the DJSCC model")
        else:
            if not (math.isfinite(self.rc) and self.rc > 0):
                raise ValueError(f"rc={self.rc!r} is invalid for a digital design: R_c must be "
                                 "a finite number > 0 (information bits per channel use)")
            if not self.ber_model:
                raise ValueError(f"ber_model='' is invalid for a digital design: must be one "
                                 f"of {BER_MODELS}")
            if not (0.0 <= self.ber_pred <= 0.5):
                raise ValueError(f"ber_pred={self.ber_pred!r} is invalid: a bit error rate "
                                 "in [0, 0.5]")
        if self.method in OPTIMISED_METHODS:
            if not math.isfinite(self.pt_dbm):
                raise ValueError(f"pt_dbm={self.pt_dbm!r} is invalid for an optimised design "
                                 f"(method={self.method!r}): P_T must be finite (dBm)")
            for name in ("abr", "pi_m2"):
                v = getattr(self, name)
                if not (math.isfinite(v) and v > 0):
                    raise ValueError(f"{name}={v!r} is invalid for an optimised design "
                                     f"(method={self.method!r}): must be finite and > 0")
        if self.sinr_db is not None:
            want = 10.0 * math.log10(self.sinr) if self.sinr > 0 else -math.inf
            if not (self.sinr_db == want or abs(self.sinr_db - want) <= 1e-9 * max(1, abs(want))):
                raise ValueError(f"sinr_db={self.sinr_db!r} does not match sinr={self.sinr!r} "
                                 f"({want:.6g} dB): the file was edited by hand")
        return self


class DesignsFileV1(BaseModel):
    """The top level of a version-1 designs file (the designs are validated one by one)."""

    model_config = STRICT
    version: Literal[1] = Field(description="1, the designs file layout version")
    meta: dict[str, Any] = Field(default_factory=dict, description="a table (free-form)")
    designs: list[dict[str, Any]] = Field(description="a list of designs (tables)")


def version_refusal(version: Any, what: str = "designs") -> str | None:
    """Why ``version`` cannot be read (one line), or None when it is the one this reads."""
    if isinstance(version, bool) or not isinstance(version, int):
        return (f"version={version!r} is invalid: must be the integer {DESIGN_VERSION} (the "
                f"{what} layout issc writes); {REGENERATE}")
    if version > DESIGN_VERSION:
        return (f"version={version} was written by a newer issc (design layout {version}); "
                f"this one reads version {DESIGN_VERSION}: upgrade issc, or {REGENERATE}")
    if version != DESIGN_VERSION:
        return (f"version={version} is invalid: no issc wrote design layout {version} (valid: "
                f"{DESIGN_VERSION}); {REGENERATE}")
    return None
