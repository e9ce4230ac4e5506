"""JupyterLab as `make lab` starts it: a chapter opens as a notebook, not marked as changed.

A chapter's .md file does not store `language_info` (what the kernel reports about its
language: jupytext keeps only the header metadata that the book's jupytext.toml names).
JupyterLab fills a notebook without it with a placeholder as it opens it, and with the
kernel's answer once the kernel starts: either change marks the notebook as changed, and
closing an untouched chapter asks whether to save it. This contents manager, jupytext's own
with one addition, hands JupyterLab each notebook with the `language_info` that the book's
kernel reports (ipykernel's, on this Python), so that neither changes anything; saving drops it
again, as jupytext.toml says.

`make lab` starts JupyterLab with `--ServerApp.contents_manager_class=booktools.lab.
ChapterContentsManager`; jupytext's server extension keeps a manager that is jupytext's already.
"""

from ipykernel.ipkernel import IPythonKernel
from jupytext.async_contentsmanager import AsyncTextFileContentsManager


class ChapterContentsManager(AsyncTextFileContentsManager):
    """jupytext's contents manager; a notebook comes with the kernel's `language_info`."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content, type, format, **kwargs)
        if content and model["type"] == "notebook":
            metadata = model["content"]["metadata"]
            metadata.setdefault("language_info", dict(IPythonKernel.language_info))
        return model
