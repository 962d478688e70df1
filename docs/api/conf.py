"""Sphinx configuration of the API reference (``docs/api``).

Built by the test run (tests/test_docs.py) and by hand with::

    python -m sphinx -b html docs/api build/api-html
"""

project = "gaitlab"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" as fields: no duplicate of the dataclass fields
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
html_theme = "alabaster"
exclude_patterns: list[str] = []
