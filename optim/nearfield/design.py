"""The hand-off of the NF optimiser: one optimised design, saved as JSON.

An :class:`NFDesign` is plain data (numpy arrays and numbers, no solver objects). The JSON
layout is stable (``version`` bumps on an incompatible change); complex matrices are stored
as ``{"re": [[...]], "im": [[...]]}`` and floats with Python's repr, so :func:`load_design`
gives back exactly the numbers that were saved.

Units: positions m (N_t, 2) [x, z]; W (N_t, K) sqrt(W); Rx (N_t, N_t) W; f Hz (L,);
rho, rho_lb (K,) in (0, 1]; min_secrecy bits/s/Hz (times iota).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from semcodec.atomic_io import write_atomic

NF_DESIGN_VERSION = 1


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
    def from_json(cls, d: dict[str, Any]) -> NFDesign:
        version = d.get("version")
        if version != NF_DESIGN_VERSION:
            raise ValueError(f"version={version!r} is invalid: this reader knows NF design "
                             f"version {NF_DESIGN_VERSION}")
        return cls(positions=np.asarray(d["positions_m"], dtype=float), W=_cload(d["W"]),
                   Rx=_cload(d["Rx"]), f_hz=np.asarray(d["f_hz"], dtype=float),
                   rho=np.asarray(d["rho"], dtype=float),
                   rho_lb=np.asarray(d["rho_lb"], dtype=float),
                   min_secrecy=float(d["min_secrecy"]), strategy=d["strategy"],
                   semantic=bool(d["semantic"]), seed=int(d["seed"]),
                   scenario=d.get("scenario", {}), options=d.get("options", {}),
                   constraints=d.get("constraints", {}))


def save_design(design: NFDesign, path: str | os.PathLike) -> None:
    """Write the design as JSON (atomic: a kill never leaves half a file)."""
    write_atomic(Path(path), json.dumps(design.to_json(), indent=1))


def load_design(path: str | os.PathLike) -> NFDesign:
    """Read a design written by :func:`save_design`."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"design file {p} does not exist")
    return NFDesign.from_json(json.loads(p.read_text()))
