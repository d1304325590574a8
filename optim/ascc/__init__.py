"""ASCC link optimiser (ASCC paper, arXiv 2601.12827, Sec. IV): model choice R_s, channel
coding rate R_c and beamformers (w_c, w_0) under an HCRB limit.

Public names: :class:`LinkDesign`, :func:`save_designs`, :func:`load_designs`.
"""

from .design import ConstraintValue, LinkDesign, load_designs, save_designs

__all__ = ["ConstraintValue", "LinkDesign", "load_designs", "save_designs"]
