"""Computing and power budgets of an NF scenario (NF eq. (24), eq. (25), eq. (26), eq. (27),
eq. (28e))."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from . import metrics as met
from .geometry import DTYPE


class BudgetMixin:
    """Mixin of :class:`~linksim.nearfield.scenario.NFScenario` (needs its fields)."""

    # --------------------------------------------------------------- computing
    def min_cpu_frequency(self) -> float:
        """Smallest f_l with T_l <= T_max (NF eq. (26)), Hz; the same for every target."""
        return met.min_cpu_frequency(self.data_bits, self.cycles_per_bit, self.t_max_s,
                                     self.f_required_hz)

    def latency(self, f: Any) -> torch.Tensor:
        """T_l of NF eq. (26) for CPU frequencies f (L,) in Hz: seconds (L,)."""
        return met.task_latency(f, self.data_bits, self.cycles_per_bit, self.f_required_hz)

    def processing_power(self, f: Any, model: str | None = None) -> torch.Tensor:
        """P_l^process (L,) watts: kappa f^3 (default) or NF eq. (27) as printed."""
        return met.processing_power(f, self.kappa, self.cycles_per_bit,
                                    model or self.cpu_power_model)

    def semantic_computing_power(self, extraction_ratio: Any) -> torch.Tensor:
        """P^Comp of NF eq. (24), watts."""
        return met.semantic_computing_power(extraction_ratio, self.nu)

    def power_report(self, Rx: Any, extraction_ratio: Any, f: Any | None = None,
                     model: str | None = None) -> dict[str, Any]:
        """Every budget term of NF eq. (28b), eq. (28c), eq. (28d), eq. (28e) and which one breaks.

        f defaults to :meth:`min_cpu_frequency` for every target. Returns floats
        (watts, seconds, Hz) and ``violations``: a list of one-line messages
        naming the broken term (empty when the design is feasible).
        """
        f = torch.full((self.L,), self.min_cpu_frequency(), dtype=DTYPE) if f is None else (
            torch.as_tensor(f, dtype=DTYPE))
        model = model or self.cpu_power_model
        p_cs = float(met.cs_power(torch.as_tensor(np.asarray(Rx))))
        p_comp = float(self.semantic_computing_power(extraction_ratio)) + 0.0  # no -0.0
        p_proc = self.processing_power(f, model)
        total = p_cs + p_comp + float(p_proc.sum())
        latency = self.latency(f)
        crb = self.crb_normalised(Rx)
        out = {"P_cs_w": p_cs, "P_comp_w": p_comp, "P_process_w": p_proc.tolist(),
               "P_total_w": total, "P_t_w": self.power_budget_w, "cpu_power_model": model,
               "latency_s": latency.tolist(), "f_hz": f.tolist(), "crb": crb,
               "crb_limit": self.crb_limit,
               "crb_normalisation": self.crb_normalisation,
               "violations": []}
        if total > self.power_budget_w * (1 + 1e-9):
            out["violations"].append(
                f"power: P_C&S={p_cs:.4g} + P_Comp={p_comp:.4g} + sum P_process="
                f"{float(p_proc.sum()):.4g} ({model}) = {total:.4g} W exceeds P_t="
                f"{self.power_budget_w:.4g} W (NF eq. (28c))")
        if float(latency.max()) > self.t_max_s * (1 + 1e-9):
            out["violations"].append(f"latency: max T_l={float(latency.max()):.4g} s exceeds "
                                     f"T_max={self.t_max_s} s (NF eq. (28d))")
        if float(f.sum()) > self.f_max_hz * (1 + 1e-9):
            out["violations"].append(f"cpu: sum f_l={float(f.sum()):.4g} Hz exceeds "
                                     f"F_max={self.f_max_hz:.4g} Hz (NF eq. (28e))")
        if crb > self.crb_limit:
            out["violations"].append(f"sensing: CRB={crb:.4g} exceeds xi={self.crb_limit} "
                                     f"({self.crb_normalisation} normalisation, NF eq. (28b))")
        return out

