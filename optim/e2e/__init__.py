"""End-to-end evaluation of optimised links: real images through bit flips and the 5G LDPC
chain at each design's operating point (see ``docs/e2e.md``).

Public names: :func:`run_e2e` (the ``issc e2e`` job), :func:`send_body` (one payload body
over one channel), :func:`design_at` / :func:`djscc_design_at` (a digital / analog DJSCC
design at a chosen operating point, with predictions; DJSCC designs run on the analog
channel of :mod:`optim.e2e.analog`), :func:`summarise`, :func:`format_summary`,
:data:`RESULT_COLUMNS`,
:data:`SUMMARY_COLUMNS`, :data:`CHANNELS`.
"""

from .designs import design_at, djscc_design_at
from .runner import CHANNEL_CHOICES, RESULT_COLUMNS, check_channel, resolve_codecs, run_e2e
from .summary import SUMMARY_COLUMNS, format_summary, mean_ci, summarise
from .worker import CHANNELS, send_body

__all__ = ["CHANNELS", "CHANNEL_CHOICES", "RESULT_COLUMNS", "SUMMARY_COLUMNS", "check_channel",
           "design_at", "djscc_design_at", "format_summary", "mean_ci", "resolve_codecs",
           "run_e2e", "send_body", "summarise"]
