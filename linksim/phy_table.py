"""Measured 5G LDPC BER / BLER over a grid of (R_c, SINR): the table behind the ``ldpc`` BER model.

Each row is one coding rate R_c at the scenario's blocklength L, with the modulation rule
of :mod:`linksim.payload_link` (so a row is exactly the code a design at that R_c uses).
Its SINR grid starts ``below_db`` under the Shannon limit ``10 log10(2^R_c - 1)`` and
climbs in ``step_db`` steps until a point sees no block error (deeper points would need
more codewords than the budget) or ``above_db`` over the limit. A point stops after
``min_block_errors`` block errors or ``ceil(max_bits / k)`` codewords; its counts are kept,
so the confidence of every entry can be read from the table.

Files: ``points.csv`` (appended point by point, so an interrupted run resumes) and
``ldpc_table.json`` (:data:`TABLE_VERSION`, the settings and every point).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from .payload_link import MODULATION_RULE, choose_code
from .schema import StrictModel, check
from .shipped_data import shipped_path

TABLE_VERSION = 1
TABLE_KIND = "issc-ldpc-ber-table"
SHIPPED_TABLE = shipped_path("phy/ldpc_table.json")
DEFAULT_RCS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
POINT_COLUMNS = ("rc", "rc_eff", "k", "n", "bits_per_symbol", "code_rate", "sinr_db", "ber",
                 "bler", "bit_errors", "bits", "block_errors", "blocks")


Count = Annotated[int, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Probability = Annotated[float, Field(ge=0, le=1)]


class TablePoint(StrictModel):
    """One measured (R_c, SINR) point of the table (a row of ``points.csv``)."""

    rc: Positive = Field(description="coding rate R_c asked for (bit per channel use)")
    rc_eff: Positive = Field(description="rate the 5G code realises, k / L")
    k: Annotated[int, Field(ge=1)] = Field(description="information bits per codeword")
    n: Annotated[int, Field(ge=1)] = Field(description="coded bits per codeword")
    bits_per_symbol: Annotated[int, Field(ge=1)] = Field(description="QAM bits per symbol")
    code_rate: Annotated[float, Field(gt=0, le=1)] = Field(description="LDPC rate k / n")
    sinr_db: float = Field(description="SINR", json_schema_extra={"unit": "dB"})
    ber: Probability = Field(description="measured bit error rate")
    bler: Probability = Field(description="measured block error rate")
    bit_errors: Count = Field(description="bit errors counted")
    bits: Annotated[int, Field(ge=1)] = Field(description="information bits sent")
    block_errors: Count = Field(description="codeword errors counted")
    blocks: Annotated[int, Field(ge=1)] = Field(description="codewords sent")


class LDPCTable(StrictModel):
    """An ``ldpc_table.json`` (:data:`TABLE_VERSION`): the settings and every point."""

    version: Annotated[int, Field(ge=1, le=TABLE_VERSION)]
    kind: Literal[TABLE_KIND]
    blocklength: Annotated[int, Field(ge=1)]
    num_iter: Annotated[int, Field(ge=1)]
    max_bits: Annotated[float, Field(ge=1)]
    min_block_errors: Annotated[int, Field(ge=1)]
    step_db: Positive
    below_db: float
    above_db: float
    seed: Count
    deep: dict[str, Positive]
    rcs: Annotated[list[Positive], Field(min_length=1)]
    modulation_rule: list[Annotated[list[float], Field(min_length=2, max_length=2)]]
    channel: str
    decoder: str
    complete: bool
    points: Annotated[list[TablePoint], Field(min_length=1)]


def check_request(out: str | os.PathLike, rcs: Sequence[float], step_db: float,
                  below_db: float, above_db: float, finalize: bool,
                  deep: dict[float, float] | None = None) -> None:
    """Refuse (ValueError, one line) a table request that would write an empty table, before
    anything is written: an SINR window with no point, ``finalize`` with nothing measured,
    or a ``deep`` budget that is not ``{R_c > 0: bits >= 1}``."""
    for r, b in (deep or {}).items():
        if not (math.isfinite(float(r)) and float(r) > 0 and math.isfinite(float(b))
                and float(b) >= 1):
            raise ValueError(f"deep={r!r}: {b!r} is invalid: must be a coding rate > 0 and a "
                             "finite bit budget >= 1")
    for name, v in (("step_db", step_db), ("below_db", below_db), ("above_db", above_db)):
        if not math.isfinite(v):
            raise ValueError(f"{name}={v!r} is invalid: must be finite (dB)")
    if not step_db > 0:
        raise ValueError(f"step_db={step_db!r} is invalid: must be > 0 dB")
    if not above_db > -below_db:
        raise ValueError(f"above_db={above_db!r} is invalid with below_db={below_db!r}: the "
                         f"SINR window [limit {-below_db:+g} dB, limit {above_db:+g} dB] of "
                         "each row is empty; valid: above_db > -below_db (the window's top "
                         "above its bottom)")
    if finalize:
        pts = Path(out) / "points.csv"
        done = _read_points(pts, repair=False)
        wanted = {repr(float(r)) for r in rcs}
        if not any(rc in wanted for rc, _ in done):
            raise ValueError(f"finalize is invalid: {pts} holds no measured point of the "
                             f"requested rates{'' if pts.is_file() else ' (it does not exist)'}"
                             "; valid: --finalize on the --out folder of an interrupted "
                             "run with the same settings")


def shannon_sinr_db(rc: float) -> float:
    """SINR (dB) at which the AWGN capacity equals ``R_c``: ``10 log10(2^R_c - 1)``."""
    return 10.0 * math.log10(2.0 ** float(rc) - 1.0)


def grid_size(step_db: float, below_db: float = 0.5, above_db: float = 6.0) -> int:
    """Points of one row of :func:`sinr_grid` (the same for every R_c), from the sizes only."""
    if not step_db > 0:
        raise ValueError(f"step_db={step_db!r} is invalid: must be > 0")
    return int(math.ceil((below_db + above_db) / step_db)) + 1


#: Bytes per grid point while a table is measured: its SINR in the row's list (an 8-byte
#: pointer and a 24-byte float) and its (R_c, SINR) key of the resume index.
BYTES_PER_POINT = 32


def table_memory_bytes(rows: int, step_db: float, below_db: float = 0.5,
                       above_db: float = 6.0) -> int:
    """Memory [B] of the SINR grids of ``rows`` rows: ``32`` per point (:data:`BYTES_PER_POINT`)."""
    return BYTES_PER_POINT * int(rows) * grid_size(step_db, below_db, above_db)


def sinr_grid(rc: float, step_db: float = 0.5, below_db: float = 0.5, above_db: float = 6.0
              ) -> list[float]:
    """SINR points (dB) of one row, on a ``step_db`` lattice, from the limit - below to + above."""
    n = grid_size(step_db, below_db, above_db)
    s0 = shannon_sinr_db(rc)
    lo = math.floor((s0 - below_db) / step_db) * step_db
    return [round(lo + j * step_db, 6) for j in range(n)]


def _point_seed(seed: int, rc: float, sinr_db: float) -> int:
    """Seed of one point, from its (R_c, SINR) only: rows measured in separate runs (same
    settings) give the same points as one run, so their points.csv files may be joined."""
    key = [int(seed), int(round(rc * 1e6)), int(round((sinr_db + 1000.0) * 1e6))]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def measure_table(out: str | os.PathLike, rcs: Sequence[float] = DEFAULT_RCS,
                  blocklength: int = 256, num_iter: int = 20, max_bits: float = 2.5e6,
                  min_block_errors: int = 100, step_db: float = 0.5, below_db: float = 0.5,
                  above_db: float = 6.0, seed: int = 0,
                  deep: dict[float, float] | None = None, finalize: bool = False,
                  progress: bool = True,
                  on_point: Callable[[dict], None] | None = None) -> Path:
    """Measure (or resume) the table into ``out``; returns the path of ``ldpc_table.json``.

    Args:
        rcs: coding rates R_c (bit per channel use), each carried by the 5G code.
        blocklength: L channel uses per codeword (ASCC: 256).
        num_iter: BP iterations of the decoder.
        max_bits: information bits per point at most (codewords = ceil(max_bits / k)).
        min_block_errors: a point stops after this many block errors.
        step_db, below_db, above_db: the SINR grid of each row (see :func:`sinr_grid`).
        seed: every point draws from a seed of ``(seed, R_c, SINR)`` (:func:`_point_seed`).
        deep: ``{R_c: max_bits}`` overrides for rows that should reach deeper.
        finalize: measure nothing; write ``ldpc_table.json`` from the points an interrupted
            run has measured so far (its rows may then be incomplete; the file says so).
    """
    from tqdm import tqdm

    from .phy import LDPCQAMLink, measure_ber

    rcs = [float(r) for r in rcs]
    if not rcs:
        raise ValueError("rcs=[] is invalid: give at least one coding rate")
    check_request(out, rcs, step_db, below_db, above_db, finalize, deep)
    codes = [choose_code(r, blocklength) for r in rcs]  # refuses rates the code cannot do
    if not max_bits >= 1 or int(min_block_errors) < 1:
        raise ValueError(f"max_bits={max_bits!r}, min_block_errors={min_block_errors!r} are "
                         "invalid: both must be >= 1")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"blocklength": int(blocklength), "num_iter": int(num_iter),
                "max_bits": float(max_bits), "min_block_errors": int(min_block_errors),
                "step_db": float(step_db), "below_db": float(below_db),
                "above_db": float(above_db), "seed": int(seed),
                "deep": {repr(float(r)): float(b) for r, b in (deep or {}).items()}}
    cfg = out / "table_settings.json"
    if cfg.is_file() and json.loads(cfg.read_text()) != settings:
        raise ValueError(f"out={out} holds a table with other settings: use another --out "
                         "folder or the same settings to resume")
    if not cfg.is_file():
        cfg.write_text(json.dumps(settings, indent=2))
    pts_path = out / "points.csv"
    done = _read_points(pts_path)
    new = not pts_path.is_file()
    grids = [sinr_grid(r, step_db, below_db, above_db) for r in rcs]
    # the product's logger and bar rule (semcodec.progress; linksim shares no code with it)
    quiet = logging.getLogger("issc").level > logging.INFO
    bar = tqdm(total=sum(len(g) for g in grids), desc="phy-table", unit="pt",
               disable=True if (quiet or not progress) else None)
    with open(pts_path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=POINT_COLUMNS, lineterminator="\n")
        if new:
            w.writeheader()
        for code, grid in zip(codes, grids):
            link = None
            for j, s in enumerate(grid):
                key = (repr(code.rc), repr(s))
                if key in done:
                    row = done[key]
                elif finalize:
                    break
                else:
                    link = link or LDPCQAMLink(code.code_rate, code.bits_per_symbol,
                                               blocklength, num_iter)
                    budget = settings["deep"].get(repr(code.rc), float(max_bits))
                    max_blocks = max(1, math.ceil(budget / code.k))
                    m = measure_ber(link, s, max_blocks, _point_seed(seed, code.rc, s),
                                    min_block_errors, batch=min(200, max_blocks))
                    row = {"rc": code.rc, "rc_eff": code.rc_eff, "k": code.k, "n": code.n,
                           "bits_per_symbol": code.bits_per_symbol,
                           "code_rate": code.code_rate, "sinr_db": s, "ber": m["ber"],
                           "bler": m["bler"], "bit_errors": m["bit_errors"], "bits": m["bits"],
                           "block_errors": m["block_errors"], "blocks": m["blocks"]}
                    w.writerow({c: repr(v) if isinstance(v, float) else v
                                for c, v in row.items()})
                    fh.flush()
                    done[key] = row
                    if on_point:
                        on_point(row)
                bar.update()
                if int(row["block_errors"]) == 0:  # deeper points are out of this budget
                    bar.update(len(grid) - j - 1)
                    break
    bar.close()
    points = [_typed(done[(repr(c.rc), repr(s))]) for c, g in zip(codes, grids) for s in g
              if (repr(c.rc), repr(s)) in done]
    doc = {"version": TABLE_VERSION, "kind": TABLE_KIND, **settings, "rcs": rcs,
           "modulation_rule": [list(x) for x in MODULATION_RULE],
           "channel": "AWGN at the SINR (interference treated as Gaussian noise), Gray QAM, "
                      "APP demapper",
           "decoder": f"Sionna PHY 5G NR LDPC, BP boxplus-phi, {int(num_iter)} iterations",
           "complete": not finalize or all(
               any(int(p["block_errors"]) == 0 for p in points if p["rc"] == c.rc)
               or sum(p["rc"] == c.rc for p in points) == len(g) for c, g in zip(codes, grids)),
           "points": points}
    path = out / "ldpc_table.json"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, path)  # atomic: a kill leaves the old table or the new one
    return path


def _typed(r: dict[str, Any]) -> dict[str, Any]:
    ints = {"k", "n", "bits_per_symbol", "bit_errors", "bits", "block_errors", "blocks"}
    return {c: (int(r[c]) if c in ints else float(r[c])) for c in POINT_COLUMNS}


def _read_points(path: Path, repair: bool = True) -> dict[tuple[str, str], dict[str, Any]]:
    """The points of a ``points.csv`` by (repr R_c, repr SINR); ValueError (one line naming
    the file and the row) for a row that is not a point. With ``repair``, a half line left
    by a kill is cut off the file."""
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):  # a kill mid-line: drop the half line
        raw = raw[:raw.rfind(b"\n") + 1]
        if repair:
            path.write_bytes(raw)
    rows = list(csv.DictReader(raw.decode().splitlines()))
    out = {}
    for i, r in enumerate(rows, 2):
        if None in r.values():
            continue
        try:
            typed = _typed(r)
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path}: row {i} is invalid: must hold the columns "
                             f"{', '.join(POINT_COLUMNS)} as numbers") from None
        check(TablePoint, typed, f"{path} row {i}")
        out[(repr(typed["rc"]), repr(typed["sinr_db"]))] = typed
    return out


def load_table(path: str | os.PathLike = SHIPPED_TABLE) -> dict[str, Any]:
    """Read an ``ldpc_table.json`` checked against :class:`LDPCTable`; ValueError (one line
    naming the file and the key) when it is not one."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"LDPC table {p} does not exist (write one with "
                                f"`issc phy-table --out DIR`)")
    try:
        doc = json.loads(p.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"LDPC table {str(p)!r} is not JSON ({e})") from e
    if not isinstance(doc, dict) or doc.get("kind") != TABLE_KIND:
        raise ValueError(f"LDPC table {str(p)!r} is not an `issc phy-table` ldpc_table.json")
    version = doc.get("version", 0)
    if isinstance(version, int) and not isinstance(version, bool) and version > TABLE_VERSION:
        raise ValueError(f"LDPC table {str(p)!r} has version {doc['version']}: this build "
                         f"reads <= {TABLE_VERSION}")
    return check(LDPCTable, doc, str(p)).model_dump()
