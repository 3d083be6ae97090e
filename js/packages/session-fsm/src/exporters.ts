/**
 * Recording exporters: ship a finished recording to your own storage or observability backend.
 *
 * An exporter is an async function `(info) => result`, or an object with `export(info)` (and an
 * optional `name`). They run when the primary closes, after agents-js has finalised the recording
 * and the file is checked, all at once, each under its own timeout: a failing or hanging exporter
 * is recorded in its outcome and never holds the close beyond its timeout or loses another
 * exporter's result. The same contract as the Python package's exporters.
 */

/** What an exporter is told about a finished recording. */
export interface RecordingInfo {
  readonly session: string;
  /** The session's name and the count of its recordings (`name#n`). */
  readonly sessionId: string;
  readonly room: string | null;
  readonly jobId: string | null;
  readonly path: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly bytes: number;
}

/** Where the recording went. */
export interface RecordingExportResult {
  readonly url?: string;
  readonly id?: string;
  readonly path?: string;
}

export type ExportFunction = (info: RecordingInfo) => Promise<RecordingExportResult> | RecordingExportResult;
export type Exporter = ExportFunction | { readonly name?: string; export: ExportFunction };

/** One exporter's result, or the error it hit. */
export interface ExportOutcome {
  readonly exporter: string;
  readonly url: string | null;
  readonly id: string | null;
  readonly path: string | null;
  readonly error: string | null;
}

export function exporterName(exporter: Exporter): string {
  if (typeof exporter === "function") return exporter.name || "exporter";
  return exporter.name || exporter.constructor.name || "exporter";
}

export function isExporter(value: unknown): value is Exporter {
  return (
    typeof value === "function" ||
    (typeof value === "object" && value !== null && typeof (value as { export?: unknown }).export === "function")
  );
}

async function exportOne(exporter: Exporter, info: RecordingInfo, timeoutMs: number): Promise<ExportOutcome> {
  const name = exporterName(exporter);
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = Promise.resolve().then(() => (typeof exporter === "function" ? exporter(info) : exporter.export(info)));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    const result = await Promise.race([run, timeout]);
    return { exporter: name, url: result?.url ?? null, id: result?.id ?? null, path: result?.path ?? null, error: null };
  } catch (error) {
    return { exporter: name, url: null, id: null, path: null, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Run every exporter at once, each bounded by `timeoutMs`; outcomes in the order given. */
export function runExporters(exporters: readonly Exporter[], info: RecordingInfo, timeoutMs: number): Promise<ExportOutcome[]> {
  return Promise.all(exporters.map((exporter) => exportOne(exporter, info, timeoutMs)));
}
