"""NF-ISCSC optimiser (NF paper, "Fluid Antenna-enabled Near-Field Integrated Sensing,
Computing and Semantic Communication", arXiv 2507.15800, Sec. IV): NF Algorithm 2.

Public names:

- :func:`optimise` / :func:`run_nf` - one run, a pure function of (scenario, options, seed);
  :class:`NFOptions`, :class:`NFRun`; :func:`demo_run` for ``issc demo``.
- :class:`NFDesign`, :func:`save_design`, :func:`load_design` - the design as stable, typed
  JSON; :func:`reverify` / :func:`refuse_infeasible` - re-check a loaded design against (28).
- :func:`optimise_joint`, :class:`JointOptions` - the joint method (``issc nf --method
  joint``, :mod:`.joint`): beams, sensing factor and positions at once, re-checked.
- :func:`verify_design`, :func:`precheck`, :class:`InfeasibleError` - constraints of (28).
- sub-problems: :mod:`.beamforming_sca` (1), :mod:`.positions` (2), :mod:`.extraction` (3).
"""

from .alternating import POSITION_STRATEGIES, NFOptions, NFRun, demo_run, optimise, run_nf
from .design import NFDesign, load_design, refuse_infeasible, reverify, save_design
from .feasibility import InfeasibleError, precheck, verify_design
from .joint import DesignCheckError, JointOptions, optimise_joint

__all__ = ["POSITION_STRATEGIES", "DesignCheckError", "InfeasibleError", "JointOptions",
           "NFDesign", "NFOptions", "NFRun", "demo_run", "load_design", "optimise",
           "optimise_joint", "precheck", "refuse_infeasible", "reverify", "run_nf",
           "save_design", "verify_design"]
