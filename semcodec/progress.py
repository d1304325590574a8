"""The product's log lines and progress bars: one logger, ``issc``, and bars that follow it.

``issc -q`` sets the logger to WARNING (warnings and errors only, no progress bars), ``issc
-v`` to DEBUG; the default is INFO. A bar is also off where stderr is not a terminal (tqdm's
``disable=None``), so a log file gets no carriage-return lines. Library code logs through
:data:`logger` and asks :func:`bar_disabled` for a tqdm bar's ``disable``::

    from tqdm import tqdm
    from semcodec.progress import bar_disabled, logger

    for item in tqdm(items, desc="work", disable=bar_disabled(progress)):
        ...
    logger.info("wrote %s", path)
"""

from __future__ import annotations

import logging

#: the name of the product's logger (``linksim`` reads it by name: the layers share no code)
LOGGER_NAME = "issc"
logger = logging.getLogger(LOGGER_NAME)


def bar_disabled(progress: bool = True) -> bool | None:
    """tqdm's ``disable`` for a bar the caller would show when ``progress``: True (off) when
    not asked for or when the ``issc`` logger was set quieter than INFO (``issc -q``); None
    (on, but off where stderr is not a terminal) otherwise. A logger left unset (a library
    user who configured no logging) keeps the bars."""
    if not progress or logger.level > logging.INFO:
        return True
    return None
