"""Run records and atomic writers for the verbs (``from scripts.runinfo import ...``).

The implementations live in :mod:`semcodec.runinfo` (``meta.json``) and
:mod:`semcodec.atomic_io` (the one atomic writer); this module gives the
``cmd_*`` front ends one place to import them from.
"""

from semcodec.atomic_io import write_atomic, write_csv_atomic, write_json_atomic, write_rows_atomic
from semcodec.runinfo import git_commit, run_command, run_record, versions

__all__ = ["git_commit", "run_command", "run_record", "versions", "write_atomic",
           "write_csv_atomic", "write_json_atomic", "write_rows_atomic"]
