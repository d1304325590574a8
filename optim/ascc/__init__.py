"""ASCC link optimiser (ASCC paper, arXiv 2601.12827, Sec. IV): model choice R_s, channel
coding rate R_c and beamformers (w_c, w_0) under an HCRB limit, its benchmark DJSCC-WF-ZF
and a certified SDR bound. See docs/optim_ascc.md.

Public names:

- :class:`LinkDesign`, :func:`save_designs`, :func:`load_designs` - the JSON hand-off.
- :class:`ASCCProblem` - one operating point (P_T, ABR, Pi) of problem P4.1.
- :func:`optimise_ascc`, :func:`benchmark_design`, :func:`solve_point` - designs.
- :func:`sinr_bound`, :func:`min_hcrb` - the SDR bound and the smallest reachable HCRB.
- :func:`run_grid`, :func:`summarise` - resumable grids (``issc ascc``).
- :func:`demo_link` - one ASCC + benchmark link for ``issc demo``.
- :class:`InfeasibleError`, :class:`SolverUnknownError`.
"""

from .bound import min_hcrb, sinr_bound
from .demo import demo_link
from .design import ConstraintValue, LinkDesign, load_designs, save_designs
from .errors import InfeasibleError, SolverUnknownError
from .grid import run_grid, summarise
from .inputs import DEFAULT_SCENARIO, load_distortion, load_scenario
from .optimise import benchmark_design, optimise_ascc, solve_point
from .problem import ASCCProblem

__all__ = ["ASCCProblem", "ConstraintValue", "DEFAULT_SCENARIO", "InfeasibleError",
           "LinkDesign", "SolverUnknownError", "benchmark_design", "demo_link",
           "load_designs", "load_distortion", "load_scenario", "min_hcrb", "optimise_ascc",
           "run_grid", "save_designs", "sinr_bound", "solve_point", "summarise"]
