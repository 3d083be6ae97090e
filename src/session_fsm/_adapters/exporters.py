"""Recording exporters: ship a finished recording to your own storage or observability backend.

An exporter is an async callable `(RecordingInfo) -> RecordingExportResult`, or an object with
`async export(info)`. They run when the primary closes, after the recording is finalised and
before the session's span ends, all at once, each in a task of its own under its own timeout: a
failing, hanging or cancelled exporter is recorded (span event and status) and never holds the
close beyond its timeout or loses another exporter's result.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import math
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
import attrs

from ..fsm.errors import InvalidInput


@attrs.frozen
class RecordingInfo:
    """What an exporter is told about a finished recording.

    Attributes:
        session: the session's name in its scope (`session-1`, `alice#1`...).
        session_id: the session's name and which of its recordings this is, joined by `#`
            (`session-1#1`). Quote it (`urllib.parse.quote(info.session_id, safe="")`) before
            putting it in a URL or an object key: a raw `#` starts a URL's fragment.
        room: the Room's name, if there is a Room.
        job_id: the job's id, if there is a job.
        path: the complete Ogg file.
        started_at: when the recording started (seconds since the epoch).
        ended_at: when it ended (seconds since the epoch).
        bytes: the file's size.
    """

    session: str
    session_id: str
    room: str | None
    job_id: str | None
    path: Path
    started_at: float
    ended_at: float
    bytes: int

    @property
    def duration(self) -> float:
        """How long the recording is, in seconds (never negative)."""
        return max(0.0, self.ended_at - self.started_at)


@attrs.frozen
class RecordingExportResult:
    """Where the recording went. `path` is put on the span only when an exporter sets it."""

    url: str | None = None
    id: str | None = None
    path: str | None = None


@runtime_checkable
class RecordingExporter(Protocol):
    """The exporter protocol: an object with `async def export(self, info)`. A plain async
    function taking a `RecordingInfo` works as well. Give one (or a list) to
    `SessionCoordinator.start(exporter=...)` on a primary that records; an optional `name`
    attribute names it in the outcomes."""

    async def export(self, info: RecordingInfo) -> RecordingExportResult:
        """Ship the finished recording `info.path` somewhere and say where it went.

        It runs after the primary's close, in a task of its own, bounded by the coordinator's
        `export_timeout` (past it, it is cancelled and recorded as failed). Whatever it raises
        is recorded (on the span and in `SessionCoordinator.exports`), never raised to the
        caller of `close`; so is a return value that is not a `RecordingExportResult` (None
        counts as an empty one).
        """
        ...


ExportFunction = Callable[[RecordingInfo], Awaitable[RecordingExportResult]]
ExporterLike = RecordingExporter | ExportFunction


@attrs.frozen
class ExportOutcome:
    """One exporter's result, or the error it hit."""

    exporter: str
    url: str | None = None
    id: str | None = None
    path: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The outcome as a plain dict (what the span and the scenario runner show)."""
        return attrs.asdict(self)


def exporter_name(exporter: object) -> str:
    name = getattr(exporter, "name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(exporter, "__qualname__", None) or type(exporter).__name__


def check_exporter(exporter: object) -> ExporterLike:
    """A programming error (not an exporter) is refused (`invalid_input`) when it is given."""
    if isinstance(exporter, RecordingExporter) and inspect.iscoroutinefunction(exporter.export):
        return exporter
    if callable(exporter) and inspect.iscoroutinefunction(exporter):
        return exporter
    raise InvalidInput(
        f"{exporter!r} is not a recording exporter: pass an async function taking a "
        "RecordingInfo, or an object with `async def export(self, info)`."
    )


def validate_result(value: object) -> RecordingExportResult:
    """Exporters are user code: anything but a well-typed result is an error on the span."""
    if value is None:
        return RecordingExportResult()
    if not isinstance(value, RecordingExportResult):
        raise TypeError(
            f"the exporter returned {type(value).__name__}, expected RecordingExportResult"
        )
    for field in ("url", "id", "path"):
        got = getattr(value, field)
        if got is not None and not isinstance(got, str):
            raise TypeError(f"RecordingExportResult.{field} must be str or None, got {got!r}")
    return value


#: How long a cut exporter is given to stop. A cancelled task stops at its next step; only an
#: exporter that swallows its cancellation takes longer, and it may not hold a close for long.
STOP_GRACE = 1.0


async def _call(exporter: ExporterLike, info: RecordingInfo) -> RecordingExportResult:
    call = exporter.export if isinstance(exporter, RecordingExporter) else exporter
    return validate_result(await call(info))


def _outcome(name: str, task: asyncio.Task[RecordingExportResult], why: str) -> ExportOutcome:
    """What one exporter's task came to; `why` says what cut it if it did not finish."""
    if not task.done():
        return ExportOutcome(name, error=why)
    if task.cancelled():  # it raised CancelledError, or cancelled its own task
        return ExportOutcome(name, error="CancelledError: the exporter was cancelled")
    exc = task.exception()
    if exc is not None:
        return ExportOutcome(name, error=f"{type(exc).__name__}: {exc}")
    result = task.result()
    return ExportOutcome(name, result.url, result.id, result.path)


async def run_exporters(
    exporters: tuple[ExporterLike, ...],
    info: RecordingInfo,
    timeout: float,
    into: list[ExportOutcome] | None = None,
) -> list[ExportOutcome]:
    """Run every exporter at once, each in a task of its own and bounded by `timeout`; results in
    the order given, also appended to `into`.

    Each exporter is isolated: whatever it does (raise, hang, raise `CancelledError`, cancel its
    own task) is its own entry with an error, and never touches the others' results. No exporter
    task outlives this call: past `timeout`, or when the caller is cancelled (the coordinator's
    watchdog, job shutdown), the unfinished ones are cancelled and awaited (one that swallows
    its cancellation, for `STOP_GRACE` at most); on a cancellation of the caller, the
    outcomes (finished ones kept, cut ones as errors) are in `into` before the cancellation is
    raised again."""
    names = [exporter_name(e) for e in exporters]
    tasks = [asyncio.ensure_future(_call(e, info)) for e in exporters]
    why = f"timed out after {timeout:g}s"
    cut: BaseException | None = None
    try:
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
    except asyncio.CancelledError as exc:
        cut, why = exc, "cut before it finished (the close was cut short)"
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    outcomes = [
        _outcome(name, task, why if task in pending else "")
        for name, task in zip(names, tasks, strict=True)
    ]
    if into is not None:
        into.extend(outcomes)
    if pending:  # cancelled above: a well-behaved exporter stops at its next step
        await asyncio.wait(pending, timeout=STOP_GRACE)
    if cut is not None:
        raise cut
    return outcomes


# --------------------------------------------------------------------------- built-in exporters


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class DirectoryExporter:
    """Copy the recording into `root` under its SHA-256 (`<digest>.ogg`), atomically: written to
    a temporary file in `root`, fsynced, then renamed, so a reader never sees half a file.

    Args:
        root: the directory (made if missing).

    Raises:
        SessionLifecycleError: `invalid_input` when `root` is not a non-empty path.
    """

    name = "directory"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        if not isinstance(root, str | os.PathLike) or not str(root) or "\0" in str(root):
            raise InvalidInput(f"DirectoryExporter: root must be a directory path, got {root!r}")
        self.root = Path(root)

    async def export(self, info: RecordingInfo) -> RecordingExportResult:
        """Copy the recording (in a worker thread); its `file://` URL, and its digest as id. A
        recording already there is not copied again. It has no timeout of its own: the
        coordinator's `export_timeout` bounds it; an OSError is the export's error."""
        return await asyncio.to_thread(self._copy, info.path)

    def _copy(self, source: Path) -> RecordingExportResult:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = _sha256(source)
        target = self.root / f"{digest}{source.suffix or '.ogg'}"
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".export-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                    for chunk in iter(lambda: src.read(1 << 16), b""):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            dir_fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return RecordingExportResult(url=target.resolve().as_uri(), id=digest)


UrlFactory = Callable[[RecordingInfo], "str | Awaitable[str]"]


def _number(name: str, value: object, *, zero_ok: bool) -> None:
    """Seconds for an exporter's setting: a finite int or float (not a bool, not NaN)."""
    if (
        type(value) is bool
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not zero_ok)
    ):
        least = "zero or more" if zero_ok else "more than zero"
        raise InvalidInput(
            f"HttpPutExporter: {name} must be a finite number of seconds, {least}; got {value!r}"
        )


class HttpPutExporter:
    """Stream the recording with an HTTP `PUT`, the shape of a presigned object-storage URL.

    Retries with exponential backoff on 5xx answers and connection errors; returns the URL
    without its query string and userinfo (`public_url`) and the server's `ETag` as id.
    `url_template` is formatted with the info's fields (`{session}`, `{session_id}`, `{job_id}`,
    `{room}`...), each text field percent-quoted as one path segment: a session id's `#` (or a
    room name's `/`) stays in the object's name instead of cutting the URL. For any other shape,
    pass a `url_factory`.

    Args:
        url_template: the URL, formatted with the info's fields.
        url_factory: instead of a template, a function (sync or async) from the
            `RecordingInfo` to the URL.
        attempts: how many PUTs in all, 1 or more.
        backoff: seconds before the second attempt, doubled after each; zero or more.
        request_timeout: seconds each PUT may take.
        headers: extra request headers, str to str.

    Raises:
        SessionLifecycleError: `invalid_input` when neither or both of `url_template` and
            `url_factory` are given, or any argument is not of the kind above.
    """

    name = "http_put"

    def __init__(
        self,
        url_template: str | None = None,
        *,
        url_factory: UrlFactory | None = None,
        attempts: int = 4,
        backoff: float = 0.1,
        request_timeout: float = 30.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        if (url_template is None) == (url_factory is None):
            raise InvalidInput("HttpPutExporter: give exactly one of url_template or url_factory")
        if url_template is not None and not isinstance(url_template, str):
            raise InvalidInput(f"HttpPutExporter: url_template must be a str, got {url_template!r}")
        if url_factory is not None and not callable(url_factory):
            raise InvalidInput(f"HttpPutExporter: url_factory must be callable: {url_factory!r}")
        if type(attempts) is not int or attempts < 1:
            raise InvalidInput(f"HttpPutExporter: attempts must be an int >= 1, got {attempts!r}")
        _number("backoff", backoff, zero_ok=True)
        _number("request_timeout", request_timeout, zero_ok=False)
        if headers is not None and (
            not isinstance(headers, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            raise InvalidInput(f"HttpPutExporter: headers must map str to str, got {headers!r}")
        self.url_template = url_template
        self.url_factory = url_factory
        self.attempts = attempts
        self.backoff = backoff
        self.request_timeout = request_timeout
        self.headers = {"Content-Type": "audio/ogg", **(headers or {})}

    async def _url(self, info: RecordingInfo) -> str:
        if self.url_template is not None:
            fields = {
                k: quote(v, safe="") if isinstance(v, str) else v
                for k, v in attrs.asdict(info).items()
            }
            return self.url_template.format(**fields)
        assert self.url_factory is not None
        url = self.url_factory(info)
        return await url if inspect.isawaitable(url) else url

    async def export(self, info: RecordingInfo) -> RecordingExportResult:
        """PUT the recording; its public URL (no userinfo, no query) and the ETag as id. Each
        attempt is bounded by `request_timeout`, and all of them by the coordinator's
        `export_timeout`. It raises RuntimeError once every attempt failed (a 5xx answer, a
        connection error or a timeout), and aiohttp's error for a 4xx answer: the export's
        error, recorded, not raised to the caller of `close`."""
        url = await self._url(info)
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        last: Exception | None = None
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for attempt in range(self.attempts):
                if attempt:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                try:
                    headers = {**self.headers, "Content-Length": str(info.bytes)}
                    with info.path.open("rb") as body:
                        async with http.put(url, data=body, headers=headers) as response:
                            if response.status >= 500:
                                last = RuntimeError(f"HTTP {response.status} from the server")
                                continue
                            response.raise_for_status()
                            etag = response.headers.get("ETag")
                            return RecordingExportResult(
                                url=public_url(url), id=etag.strip('"') if etag else None
                            )
                except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                    last = exc
        raise RuntimeError(f"PUT failed after {self.attempts} attempts: {last}")


def public_url(url: str) -> str:
    """The URL without userinfo and query: what may be shown or put on a span. A presigned URL's
    query is a credential, like a password in the userinfo."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
