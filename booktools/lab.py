"""JupyterLab as `make lab` starts it: a chapter opens as a notebook, not marked as changed.

A chapter's .md file does not store `language_info` (what the kernel reports about its
language: jupytext keeps only the header metadata that the book's jupytext.toml names).
JupyterLab fills a notebook without it with a placeholder as it opens it, and with the
kernel's answer once the kernel starts: either change marks the notebook as changed, and
closing an untouched chapter asks whether to save it. This contents manager, jupytext's own
with one addition, hands JupyterLab each notebook with the `language_info` that the book's
kernel reports (ipykernel's, on this Python), so that neither changes anything; saving drops it
again, as jupytext.toml says.

A student who opens a hidden solution changes how JupyterLab shows it, not the chapter: when a
chapter is saved (by hand or by autosave), a cell that the file on disk hides, with the same
source, keeps its hidden flags, so that saving never publishes a solution for good.

`make lab` starts JupyterLab with `--ServerApp.contents_manager_class=booktools.lab.
ChapterContentsManager`; jupytext's server extension keeps a manager that is jupytext's already.
"""

from ipykernel.ipkernel import IPythonKernel
from jupytext.async_contentsmanager import AsyncTextFileContentsManager
from tornado.web import HTTPError


def _text(source) -> str:
    """A cell's source, which JupyterLab may send as one string or as a list of lines."""
    return source if isinstance(source, str) else "".join(source)


class ChapterContentsManager(AsyncTextFileContentsManager):
    """jupytext's contents manager; a notebook comes with the kernel's `language_info`, and
    the chapter's hidden cells stay hidden when it is saved."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content, type, format, **kwargs)
        if content and model["type"] == "notebook":
            metadata = model["content"]["metadata"]
            metadata.setdefault("language_info", dict(IPythonKernel.language_info))
        return model

    async def save(self, model, path=""):
        if model.get("type") == "notebook" and model.get("content") is not None:
            await self._keep_hidden(model["content"], path)
        return await super().save(model, path)

    async def _keep_hidden(self, notebook, path):
        """Give each cell the `jupyter` view flags (source_hidden, outputs_hidden) that the
        cell of the same source has in the file on disk."""
        try:
            on_disk = await super().get(path, content=True, type="notebook")
        except HTTPError:  # a new file: it hides nothing yet
            return
        flags = {
            _text(cell["source"]): cell["metadata"]["jupyter"]
            for cell in on_disk["content"]["cells"]
            if cell["metadata"].get("jupyter")
        }
        for cell in notebook["cells"]:
            hidden = flags.get(_text(cell["source"]))
            if hidden:
                cell.setdefault("metadata", {})["jupyter"] = dict(hidden)
