"""Re-verification of an ASCC design before it is used: every constraint of ASCC problem P4.1
(ASCC eq. (15), eq. (16), eq. (17), eq. (18)) and every claim the design makes, re-computed
from its scenario and its beams alone.

Nothing here calls the optimiser: the scenario is rebuilt from the design's ``scenario``
table (:meth:`linksim.farfield.ISSCScenario.from_dict`), the power is ``||w_c||^2 +
||w_0||^2``, the HCRB is the closed form of ASCC eq. (13) at ``Sigma = w_c w_c^H + w_0 w_0^H``
(:meth:`~linksim.farfield.ISSCScenario.hcrb`, not the LMIs the optimiser solves), the SINR
is ASCC eq. (3) and the BER ASCC eq. (4) (:mod:`linksim.farfield.fbl`).

Two kinds of failure:

* a design that cannot be checked (its scenario does not build, its beams do not have the
  scenario's N_T entries, an optimised design without a scenario, an operating point that
  carries beams) raises ValueError in one line: it is never evaluated;
* a constraint or claim that does not hold is a :class:`Violation`; ``issc e2e`` refuses
  the design in one line naming it (:func:`refusal`) unless ``--allow-infeasible`` is given.

Tolerances are relative and far above what a re-computation on another machine (BLAS,
CPU) changes: the optimiser's solver tolerances are ~1e-8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from linksim.farfield import ISSCScenario, covariance, fbl
from linksim.units import dbm_to_watt

from .design import LinkDesign
from .design_schema import OPTIMISED_METHODS

#: relative tolerance of a limit (power, HCRB, bandwidth, capacity)
LIMIT_RTOL = 1e-6
#: relative tolerance of a recomputed claim (SINR, HCRB, BER) against the stored one
CLAIM_RTOL = 1e-6


@dataclass(frozen=True)
class Violation:
    """One constraint or claim that does not hold: ``value`` against ``limit``."""

    name: str
    value: float
    limit: float
    text: str  # what it is, with the equation and units


@dataclass
class DesignCheck:
    """Every check of one design: ``checked`` names them, ``violations`` the failed ones."""

    checked: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    scenario: ISSCScenario | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def names(self) -> str:
        """Violated constraints as ``"power_w;hcrb_m2"`` ('' when none): the CSV column."""
        return ";".join(v.name for v in self.violations)

    def limit(self, name: str, value: float, limit: float, text: str, upper: bool = True,
              rtol: float = LIMIT_RTOL) -> None:
        """``value <= limit`` (``upper``) or ``>=``, with ``rtol`` of ``|limit|`` room."""
        self.checked.append(name)
        room = rtol * abs(limit)
        ok = value <= limit + room if upper else value >= limit - room
        if not (ok and math.isfinite(value)):
            self.violations.append(Violation(name, float(value), float(limit), text))

    def claim(self, name: str, stored: float, recomputed: float, text: str,
              rtol: float = CLAIM_RTOL, atol: float = 0.0) -> None:
        """The design's ``stored`` number equals the ``recomputed`` one within ``rtol``."""
        self.checked.append(name)
        if not (abs(stored - recomputed) <= rtol * abs(recomputed) + atol):
            self.violations.append(Violation(name, float(stored), float(recomputed), text))


def design_scenario(des: LinkDesign, where: str = "design") -> ISSCScenario | None:
    """The scenario the design was made for (None for an operating point without one).

    Raises ValueError (one line) when it does not build, or an optimised design has none.
    """
    if not des.scenario:
        if des.method in OPTIMISED_METHODS:
            raise ValueError(f"{where} (method={des.method!r}) has no scenario: its beams "
                             "cannot be re-verified; valid: a designs.json written by "
                             "`issc ascc` (it records the scenario)")
        return None
    try:
        return ISSCScenario.from_dict(des.scenario)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{where}: scenario: {str(e).splitlines()[0]}") from None


def verify_link_design(des: LinkDesign, where: str = "design") -> DesignCheck:
    """Re-check ``des`` against its scenario (module docstring); ``where`` names it in errors.

    Returns the :class:`DesignCheck`; raises ValueError when the design cannot be checked.
    """
    scn = design_scenario(des, where)
    chk = DesignCheck(scenario=scn)
    n = des.w_c.size
    if des.method == "operating-point":
        # the operating point states its SINR; zero beams say no optimiser was involved
        if np.any(des.w_c != 0) or np.any(des.w_0 != 0):
            raise ValueError(f"{where} (method='operating-point') carries non-zero beams "
                             "w_c, w_0 that nothing can verify; valid: zero beams (an "
                             "operating point states its SINR, optim.e2e.design_at) or an "
                             "optimised design with its P_T, Pi and scenario")
    if scn is not None:
        if n != scn.n_t or des.w_0.size != scn.n_t:
            raise ValueError(f"{where}: beams w_c, w_0 have {n} and {des.w_0.size} entries but "
                             f"its scenario has n_t={scn.n_t} transmit antennas; valid: one "
                             "entry per antenna (N_T)")
        chk.claim("blocklength", des.blocklength, scn.blocklength,
                  f"blocklength L={des.blocklength} of the design against L={scn.blocklength} "
                  f"of its scenario (channel uses per block)", rtol=0.0)
    if des.method not in OPTIMISED_METHODS or scn is None:
        return chk

    p_t = float(dbm_to_watt(des.pt_dbm))
    power = float(np.sum(np.abs(des.w_c) ** 2) + np.sum(np.abs(des.w_0) ** 2))
    chk.limit("power_w", power, p_t, f"||w_c||^2 + ||w_0||^2 = {power:.6g} W against P_T = "
              f"{p_t:.6g} W (pt_dbm={des.pt_dbm:g}, ASCC eq. (18))")
    hcrb = float(scn.hcrb(covariance(des.w_c, des.w_0)).trace)
    chk.limit("hcrb_m2", hcrb, des.pi_m2, f"Tr HCRB of the beams = {hcrb:.6g} m^2 against "
              f"Pi = {des.pi_m2:g} m^2 (ASCC eq. (15))")
    chk.claim("hcrb_claim", des.hcrb, hcrb, f"stored hcrb={des.hcrb:.6g} m^2 against "
              f"{hcrb:.6g} m^2 re-computed from the beams (ASCC eq. (13))")
    sinr = float(scn.sinr(des.w_c, des.w_0))
    chk.claim("sinr_claim", des.sinr, sinr, f"stored sinr={des.sinr:.6g} against {sinr:.6g} "
              f"re-computed from the beams (ASCC eq. (3))", atol=1e-300)
    if des.is_analog:
        return chk
    if math.isfinite(des.rs_bpd):
        uses = des.rs_bpd / des.rc
        chk.limit("channel_uses_per_dim", uses, des.abr, f"R_s/R_c = {uses:.6g} channel uses "
                  f"per source dimension against ABR = {des.abr:g} (ASCC eq. (16))")
    if des.scheme == "ascc":  # the benchmark sends R_s / E_a^max whatever the capacity
        cap = float(fbl.capacity(sinr))
        chk.limit("rc_capacity", des.rc, cap, f"R_c = {des.rc:.6g} against the capacity "
                  f"C = log2(1 + SINR) = {cap:.6g} bit/use (ASCC eq. (17))")
    if des.ber_model != "fbl":
        from linksim.ber_model import make_ber_model

        lo, hi = make_ber_model(des.ber_model, des.blocklength).rc_range
        chk.limit("rc_table_max", des.rc, float(hi), f"R_c = {des.rc:.6g} against the "
                  f"{des.ber_model} table's rows [{lo:g}, {hi:g}]")
        chk.limit("rc_table_min", des.rc, float(lo), f"R_c = {des.rc:.6g} against the "
                  f"{des.ber_model} table's rows [{lo:g}, {hi:g}]", upper=False)
    else:  # a measured table may be remeasured; ASCC eq. (4) is a formula
        lb = float(fbl.log10_normal_approx_ber(des.sinr, des.rc, scn.blocklength))
        ber = min(10.0 ** lb, 0.5)
        chk.claim("ber_claim", des.ber_pred, ber, f"stored ber_pred={des.ber_pred:.6g} "
                  f"against {ber:.6g} of ASCC eq. (4) at the stored SINR and R_c",
                  atol=1e-300)
    return chk


def refusal(label: str, check: DesignCheck) -> str:
    """The one-line refusal of the design ``label`` names: its first violation (name, value,
    limit) and the names of the others."""
    v = check.violations[0]
    rest = [x.name for x in check.violations[1:]]
    also = f" (also violated: {', '.join(rest)})" if rest else ""
    return (f"{label} violates {v.name}: {v.text}{also}; pass --allow-infeasible to evaluate "
            "it anyway (its rows then name the violations)")


def verify_designs(designs: Sequence[LinkDesign], allow_infeasible: bool = False,
                   source: str = "") -> list[DesignCheck]:
    """:func:`verify_link_design` of every design, in order; refuses the first violated one
    (one-line ValueError) unless ``allow_infeasible``. ``source`` names the file."""
    checks = []
    for d, des in enumerate(designs):
        label = f"{source}: design {d}" if source else f"design {d}"
        checks.append(c := verify_link_design(des, label))
        if not (c.ok or allow_infeasible):
            raise ValueError(refusal(label, c))
    return checks
