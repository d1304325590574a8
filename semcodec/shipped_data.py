"""Where the source side's shipped data is found: codecs, photos, S-curve fits, Brown
corpus, DJSCC ladder.

The rule (README, "Install"):

1. the folder named by the ``ISSC_DATA`` environment variable, laid out as the repository's
   ``data/`` (``codecs/``, ``photos/``, ``scurves/``, ``text/``, ``djscc/``, ``phy/``,
   ``scenarios/``); module constants such as ``SHIPPED_CODECS`` read it at import;
2. else ``semcodec/_data`` of an installed wheel (``pip install .`` packs ``data/`` there);
3. else the repository's top-level ``data/`` (a checkout or an editable install).

``linksim.shipped_data`` applies the same rule to the radio side's folders
(``phy/``, ``scenarios/``): semcodec and linksim never import each other."""

from __future__ import annotations

import os
from pathlib import Path

#: environment variable naming a data folder laid out as the repository's ``data/``
DATA_ENV = "ISSC_DATA"
_PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The data folder in force (``ISSC_DATA``, else the installed package's, else the
    repository's ``data/``)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    packaged = _PACKAGE / "_data"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "data"


def shipped_path(relative: str) -> Path:
    """``relative`` (e.g. ``"codecs/compact"``) inside the data folder; not checked."""
    return data_root() / relative


def missing_data_message(path: str | os.PathLike) -> str:
    """One line naming a shipped file that is not there and the data location searched."""
    return (f"shipped data file {path} is missing (data location {data_root()}); reinstall "
            f"issc or set {DATA_ENV} to a folder laid out as the repository's data/")


def require_shipped(path: str | os.PathLike) -> Path:
    """``path`` if it exists, else ``FileNotFoundError`` with :func:`missing_data_message`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(missing_data_message(path))
    return path
