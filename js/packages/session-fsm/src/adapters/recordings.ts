/**
 * agents-js's recorder: a directory of its own for each recording primary.
 *
 * agents-js records every primary of a job to `<session directory>/audio.ogg`, read from the job
 * when the session starts, so a second primary overwrites the first. Before a recording primary
 * starts, the job's session directory (`JobContext._sessionDirectory`) is pointed at
 * `<job directory>/recordings/<n>-<session>/`; it is put back when the designation is released.
 * The core lets only one primary start at a time, so no other start reads the pointed directory.
 */
import { mkdirSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";

import type { JobContext, voice } from "@livekit/agents";

interface SessionDirectory {
  _sessionDirectory: string;
}

interface Recorded {
  _recorderIO?: { outputPath?: string } | undefined;
}

export class Recordings {
  readonly #job: SessionDirectory;
  readonly base: string;
  #count = 0;

  constructor(job: JobContext) {
    this.#job = job as unknown as SessionDirectory;
    this.base = this.#job._sessionDirectory;
  }

  /** Point the job's session directory at a fresh directory for `key`; the recording's path. */
  prepare(key: string): string {
    this.#count += 1;
    const safe = key.replace(/[^A-Za-z0-9._-]/g, "_");
    const directory = join(this.base, "recordings", `${String(this.#count).padStart(4, "0")}-${safe}`);
    mkdirSync(directory, { recursive: true });
    this.#job._sessionDirectory = directory;
    return join(directory, "audio.ogg");
  }

  restore(): void {
    this.#job._sessionDirectory = this.base;
  }

  /** The path the session's recorder writes to (undefined: it does not record). */
  static outputPath(session: voice.AgentSession): string | undefined {
    return (session as unknown as Recorded)._recorderIO?.outputPath;
  }

  /** Whether `path` is a finished Ogg file. */
  static isOgg(path: string): boolean {
    try {
      const fd = openSync(path, "r");
      try {
        const magic = Buffer.alloc(4);
        return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString("latin1") === "OggS";
      } finally {
        closeSync(fd);
      }
    } catch {
      return false;
    }
  }
}
