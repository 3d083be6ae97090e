"""Every code example in README.md and docs/ runs, and produces what the page says it does.

The pages follow four conventions:

- A page's ```python blocks run in order, in one namespace, on one event loop: top-level `await`
  works, as in `python -m asyncio`, so a later block uses what an earlier one made.
- A ```text block right after a ```python block is what that block prints, compared exactly.
- A block whose fence carries `title="tests/..."` is a test file for the reader to copy: it is
  written into a fresh project and run there by pytest (our plugin comes from its entry point).
- A ```python block inside an HTML comment is not shown on the site but runs like the others
  (the README runs its entrypoint offline that way).

A page runs in a fresh directory (its current directory), so what an example writes stays there.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
import subprocess
import sys
import types
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
TITLE = re.compile(r'title="([^"]+)"')


@attrs.frozen
class Example:
    line: int
    code: str
    prints: str | None
    test_file: str | None


def examples(page: Path) -> list[Example]:
    text = page.read_text()
    blocks = list(FENCE.finditer(text))
    found = []
    for i, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        prints = None
        if i + 1 < len(blocks):
            after = blocks[i + 1]
            if after.group(1) == "text" and not text[block.end() : after.start()].strip():
                prints = after.group(3)
        title = TITLE.search(block.group(2))
        line = text.count("\n", 0, block.start()) + 1
        found.append(Example(line, block.group(3), prints, title.group(1) if title else None))
    return found


def run_test_file(example: Example, project: Path) -> None:
    assert example.test_file is not None
    path = project / example.test_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example.code)
    # the loop scope pytest-asyncio asks a project to choose, or it warns at every run
    (project / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b[1-9]\d* passed", done.stdout) and "warning" not in done.stdout, (
        done.stdout
    )


def run_page(page: Path, project: Path) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with contextlib.chdir(project), asyncio.Runner() as runner:
        for example in examples(page):
            where = f"{page.name}:{example.line}"
            if example.test_file is not None:
                run_test_file(example, project)
                continue
            code = compile(example.code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            out = io.StringIO()

            async def run(code: types.CodeType = code) -> None:
                result = eval(code, namespace)  # the page's own example, nothing else
                if inspect.iscoroutine(result):
                    await result

            with contextlib.redirect_stdout(out):
                runner.run(run())
            if example.prints is not None:
                assert out.getvalue() == example.prints, f"{where} printed:\n{out.getvalue()}"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_examples_run(page: Path, tmp_path: Path) -> None:
    run_page(page, tmp_path)


def test_the_harness_reads_outputs_and_test_files(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint('a')\n```\n\n```text\nb\n```\n"
        '<!--\n```python title="tests/test_x.py"\ndef test_x(): pass\n```\n-->\n'
    )
    shown, hidden = examples(page)
    assert (shown.prints, shown.test_file) == ("b\n", None)
    assert hidden.test_file == "tests/test_x.py"
    with pytest.raises(AssertionError, match="printed"):
        run_page(page, tmp_path)
