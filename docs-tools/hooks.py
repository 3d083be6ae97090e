"""MkDocs hooks for the docs site (`mkdocs.yml` names this file).

- Mermaid is served by the site itself, from `docs-tools/node_modules` (`npm ci` there, which
  `make docs` runs): the theme fetches it from the network only when no `mermaid` is loaded.
- The error-code page's table is generated from `session_fsm.fsm.errors` at build time: each
  class's docstring is the meaning, its `remedy` the remedy, so neither is written twice.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

HERE = Path(__file__).parent
MERMAID = HERE / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_URI = "assets/javascripts/mermaid.min.js"
ERROR_CODES_MARKER = "<!-- generated:error-codes (docs-tools/hooks.py) -->"


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    if not MERMAID.exists():
        raise PluginError(f"{MERMAID} is missing: run `npm ci --prefix docs-tools` (make site)")
    files.append(File.generated(config, MERMAID_URI, abs_src_path=str(MERMAID)))
    return files


def error_codes_table() -> str:
    """Every error code, in `ERROR_CODES` order: class, meaning (docstring) and remedy."""
    from session_fsm.fsm import errors

    classes = {
        cls.code: cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.SessionLifecycleError)
    }
    sections = []
    for code in errors.ERROR_CODES:
        cls = classes[code]
        meaning = " ".join((inspect.getdoc(cls) or "").split())
        if not meaning or cls.remedy == errors.SessionLifecycleError.remedy:
            raise PluginError(f"error class {cls.__name__} needs a docstring and a remedy")
        sections += [
            f"### `{code}`",
            "",
            f"`session_fsm.errors.{cls.__name__}`",
            "",
            f"**Meaning.** {meaning}",
            "",
            f"**Remedy.** {cls.remedy}",
            "",
        ]
    return "\n".join(sections)


def on_page_markdown(markdown: str, page: Page, **_: Any) -> str:
    if ERROR_CODES_MARKER in markdown:
        markdown = markdown.replace(ERROR_CODES_MARKER, error_codes_table())
    return markdown
