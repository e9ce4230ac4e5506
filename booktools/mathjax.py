"""A Sphinx extension: the website's MathJax comes with the book, not from a CDN.

Sphinx loads MathJax 3 from cdn.jsdelivr.net by default; in a lecture room with a poor network
the equations would stay raw LaTeX. This copies MathJax 3.2.2 from the django-static-mathjax
package (the files of MathJax's npm release) into the built site's _static/mathjax/ and points
the pages there. Only what the pages load is copied: the TeX-and-MathML to HTML component,
and the parts it fetches when needed (TeX extensions, fonts, the menu, accessibility).
"""

import shutil
from importlib import resources
from pathlib import Path

# the top-level package `mathjax` of django-static-mathjax, not this module
SOURCE = Path(str(resources.files("mathjax"))) / "static" / "mathjax" / "es5"
COMPONENT = "tex-mml-chtml.js"
LOADED_LATER = ("a11y", "adaptors", "input", "output", "sre", "ui")
TARGET = "mathjax"  # within the site's _static folder


def _use_local_copy(app, config) -> None:
    config.mathjax_path = f"{TARGET}/{COMPONENT}"  # Sphinx reads it relative to _static


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / TARGET
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SOURCE / COMPONENT, target / COMPONENT)
    for folder in LOADED_LATER:
        shutil.copytree(SOURCE / folder, target / folder, dirs_exist_ok=True)


def setup(app):
    app.connect("config-inited", _use_local_copy)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
