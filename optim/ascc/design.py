"""The hand-off of the ASCC optimiser: one optimised link, saved as JSON.

A :class:`LinkDesign` is plain data (no solver objects), so the end-to-end evaluation
(``issc e2e``), the figures and a user's own code can read it without re-running the
optimiser. The JSON layout is stable: ``version`` is bumped on any incompatible change, and
:func:`load_designs` reads every earlier version it knows.

Units: powers in dBm, SINR linear and in dB, R_s in bits per image and bits per source
dimension, R_c in information bits per channel use, HCRB traces in m^2, times in s.
Beamformers ``w_c``, ``w_0`` are complex vectors of length N_T (amplitude sqrt(W)), stored
as ``{"re": [...], "im": [...]}``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from semcodec.atomic_io import write_atomic

from ..validation import refusal_line
from .design_schema import DESIGN_VERSION, DesignsFileV1, DesignV1, version_refusal

SCHEMES = ("ascc", "benchmark")
#: how a design's images cross the link: ``digital`` (codec payload, channel code, bits) or
#: ``djscc`` (analog deep JSCC symbols straight on the channel, :mod:`semcodec.djscc`)
CODEC_KINDS = ("digital", "djscc")


def complex_to_json(v: np.ndarray) -> dict[str, list[float]]:
    """Complex vector -> ``{"re": [...], "im": [...]}`` (exact float64 round trip)."""
    v = np.asarray(v, dtype=complex).ravel()
    return {"re": [float(x) for x in v.real], "im": [float(x) for x in v.imag]}


def complex_from_json(d: dict[str, list[float]]) -> np.ndarray:
    """Inverse of :func:`complex_to_json`; shape ``(N,)`` complex128 (signed zeros kept)."""
    re = np.asarray(d["re"], dtype=float)
    v = np.empty(re.shape, dtype=complex)
    v.real = re
    v.imag = np.asarray(d["im"], dtype=float)
    return v


@dataclass
class ConstraintValue:
    """One constraint of the design problem: ``value <= limit`` (or ``>=``, see ``sense``).

    ``slack`` is positive when the constraint holds with room to spare (``limit - value``
    for ``<=``, ``value - limit`` for ``>=``), zero when it binds, negative when violated.
    """

    value: float
    limit: float
    sense: str = "<="

    @property
    def slack(self) -> float:
        return self.limit - self.value if self.sense == "<=" else self.value - self.limit

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "limit": self.limit, "sense": self.sense,
                "slack": self.slack}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ConstraintValue:
        return cls(float(d["value"]), float(d["limit"]), str(d.get("sense", "<=")))


@dataclass
class LinkDesign:
    """One optimised ASCC link (ASCC problem P4.1, ASCC eq. (14), eq. (15), eq. (16), eq. (17),
    eq. (18)) and its predictions.

    Attributes:
        scheme: ``"ascc"`` (the paper's method) or ``"benchmark"`` (DJSCC-WF-ZF).
        method: how it was solved (``"paper"``, ``"sdr"``, ``"benchmark"``).
        pt_dbm: transmit power budget P_T (dBm).
        abr: bandwidth limit, channel uses per source dimension (E_a^max = ABR * M).
        pi_m2: HCRB limit Pi (m^2).
        model: codec index 0..G-1 in the ladder (R_s choice).
        model_name: ladder name of that codec (``"q1"``...).
        codec_sha256: SHA-256 of the codec checkpoint the fits were measured with ("" when
            unknown), so an end-to-end run can refuse a different ladder.
        rs_bits: R_s in payload bits per image; rs_bpd: bits per source dimension.
        rc: channel coding rate R_c (information bits per channel use).
        blocklength: L, channel uses per block.
        w_c, w_0: communication and sensing beamformers, complex ``(N_T,)``, sqrt(W).
        sinr: SINR at the CRE (linear); ``sinr_db`` the same in dB.
        ber_pred: predicted bit error rate rho_b (ASCC eq. (4)) under ``ber_model``.
        mse_pred, msssim_pred: predicted distortion from the fitted S-curves (ASCC eq. (7)).
        hcrb, hcrb_no_ts: Tr(HCRB) with / without the time-synchronisation error (m^2).
        constraints: name -> :class:`ConstraintValue` (power, hcrb, bandwidth, ...).
        sinr_bound_db: largest SINR reachable at (P_T, Pi) by the SDR bound (dB), or NaN.
        gap_to_bound_db: ``sinr_bound_db - sinr_db`` (dB), or NaN.
        iterations: outer iterations of the alternating optimisation.
        trace: objective value per iteration.
        solver: convex solver used; solve_s: wall time (s).
        ber_model: ``"fbl"`` (ASCC eq. (4)) or ``"ldpc"`` (measured table).
        scenario: the scenario's fields (plain JSON), so the link can be rebuilt.
        extra: anything else a method wants to record (free-form JSON).
        codec_kind: ``"digital"`` (the fields above) or ``"djscc"``: an analog deep JSCC
            link, whose ``model_name`` is the DJSCC model id and ``codec_sha256`` its
            checkpoint hash; R_s, R_c and the BER fields are NaN (no bits cross the link).
            Files written before this field existed read as ``"digital"``.
        djscc_model: the DJSCC model id (``""`` for a digital design).
    """

    scheme: str
    method: str
    pt_dbm: float
    abr: float
    pi_m2: float
    model: int
    model_name: str
    rs_bits: float
    rs_bpd: float
    rc: float
    blocklength: int
    w_c: np.ndarray
    w_0: np.ndarray
    sinr: float
    ber_pred: float
    mse_pred: float
    msssim_pred: float
    hcrb: float
    hcrb_no_ts: float
    constraints: dict[str, ConstraintValue] = field(default_factory=dict)
    sinr_bound_db: float = math.nan
    iterations: int = 0
    trace: list[float] = field(default_factory=list)
    solver: str = ""
    solve_s: float = 0.0
    ber_model: str = "fbl"
    codec_sha256: str = ""
    scenario: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    codec_kind: str = "digital"
    djscc_model: str = ""

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme={self.scheme!r} is invalid: must be one of {SCHEMES}")
        if self.codec_kind not in CODEC_KINDS:
            raise ValueError(f"codec_kind={self.codec_kind!r} is invalid: must be one of "
                             f"{CODEC_KINDS}")
        if self.codec_kind == "djscc" and not self.djscc_model:
            raise ValueError("djscc_model='' is invalid for a codec_kind='djscc' design: it "
                             "must name the DJSCC model")
        self.w_c = np.asarray(self.w_c, dtype=complex).ravel()
        self.w_0 = np.asarray(self.w_0, dtype=complex).ravel()

    @property
    def sinr_db(self) -> float:
        return 10.0 * math.log10(self.sinr) if self.sinr > 0 else -math.inf

    @property
    def gap_to_bound_db(self) -> float:
        return self.sinr_bound_db - self.sinr_db

    @property
    def is_analog(self) -> bool:
        """True for a deep JSCC design (no bits, no channel code)."""
        return self.codec_kind == "djscc"

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"version": DESIGN_VERSION}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("codec_kind", "djscc_model") and not self.is_analog:
                continue  # digital designs write the same JSON as before these fields
            if f.name in ("w_c", "w_0"):
                v = complex_to_json(v)
            elif f.name == "constraints":
                v = {k: c.to_json() for k, c in v.items()}
            d[f.name] = v
        d["sinr_db"] = self.sinr_db
        d["gap_to_bound_db"] = self.gap_to_bound_db
        return d

    @classmethod
    def from_json(cls, d: Any, where: str = "design") -> LinkDesign:
        """Validate ``d`` against the schema (:class:`.design_schema.DesignV1`) and build it.

        Raises ValueError with one line that starts with ``where`` and names the key, the
        value and what is valid.
        """
        if not isinstance(d, dict):
            raise ValueError(f"{where} is {type(d).__name__}, not a table of keys; valid: a "
                             "design as `issc ascc` writes it")
        if "version" in d and (why := version_refusal(d["version"], "design")):
            raise ValueError(f"{where}: {why}")
        try:
            m = DesignV1.model_validate(d)
        except ValidationError as e:
            raise ValueError(refusal_line(e, DesignV1, where)) from None
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: getattr(m, k) for k in names if k not in ("w_c", "w_0", "constraints")}
        kw["w_c"] = complex_from_json(m.w_c.model_dump())
        kw["w_0"] = complex_from_json(m.w_0.model_dump())
        kw["constraints"] = {k: ConstraintValue(c.value, c.limit, c.sense)
                             for k, c in m.constraints.items()}
        kw["trace"] = list(m.trace)
        return cls(**kw)


def save_designs(designs: list[LinkDesign], path: str | os.PathLike,
                 meta: dict[str, Any] | None = None) -> Path:
    """Write ``{"version", "meta", "designs": [...]}`` atomically; returns the path."""
    doc = {"version": DESIGN_VERSION, "meta": meta or {},
           "designs": [d.to_json() for d in designs]}
    data = json.dumps(doc, indent=1, allow_nan=True).encode()
    write_atomic(Path(path), data)
    return Path(path)


def load_designs(path: str | os.PathLike) -> list[LinkDesign]:
    """Read a designs file written by :func:`save_designs` (any version-1 file).

    The file and each design are validated against the typed schema
    (:mod:`.design_schema`); a refusal is one ValueError line naming the file, the design's
    index, the key and what is valid. What a design claims against its scenario is checked
    separately (:func:`optim.ascc.verify.verify_link_design`).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"designs file {str(p)!r} cannot be read as JSON ({e}); valid: a "
                         "designs.json written by `issc ascc`") from e
    where = f"designs file {str(p)!r}"
    if not isinstance(doc, dict) or not isinstance(doc.get("designs"), list):
        raise ValueError(f"{where} has no 'designs' list; valid: a designs.json written by "
                         "`issc ascc`")
    if why := version_refusal(doc.get("version")):
        raise ValueError(f"{where}: {why}")
    try:
        DesignsFileV1.model_validate(doc)
    except ValidationError as e:
        raise ValueError(refusal_line(e, DesignsFileV1, where)) from None
    return [LinkDesign.from_json(d, f"{where}: design {i}")
            for i, d in enumerate(doc["designs"])]
