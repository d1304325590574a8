"""Sphinx configuration: the API reference (autodoc) and the Markdown pages (MyST).

Built by ``make docs`` (``sphinx-build -W``: a warning fails the build); needs the
``[docs]`` extra. The tutorials (``tutorials/*.ipynb``) are executed by
``tests/test_tutorials.py``, not here.
"""

import os
import sys

# the checkout being documented, not an installed copy (worktrees, editable installs)
sys.path.insert(0, os.path.abspath(".."))

project = "issc"
author = "the issc authors"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "tutorials/.ipynb_checkpoints"]

# autodoc: signatures as written (``from __future__ import annotations`` strings), members in
# source order; napoleon reads the Google-style ``Args:`` / ``Returns:`` / ``Raises:`` sections
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# "Attributes:" sections as :ivar: fields: the dataclass fields are documented by autodoc
# already (one description per object)
napoleon_use_ivar = True

# the measurement pages link to headings by their slug (GitHub style)
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "issc"
