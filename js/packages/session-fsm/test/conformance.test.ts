/**
 * Conformance across runtimes: the Python explorer's paths (every path for 2 sessions, seeded
 * random walks for 3), written as traces by the Python package at test time and replayed here
 * through the TypeScript core. At every step the states, the ownership, the effects and the error
 * codes and messages must be identical; a disagreement prints the shortest trace.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { Scope, SessionLifecycleError, type Event } from "../src/core.ts";
import { python } from "./python.ts";

interface Step {
  event: Event;
  effects?: unknown[];
  error?: { code: string; message: string };
  after: unknown;
}
interface Trace {
  sessions: string[];
  record_default: boolean;
  steps: Step[];
}

const dir = mkdtempSync(join(tmpdir(), "session-fsm-traces-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The first step where the TypeScript core disagrees, or null. */
function replay(trace: Trace): { at: number; why: string } | null {
  const scope = new Scope({ recordDefault: trace.record_default });
  for (const key of trace.sessions) scope.add(key);
  for (const [at, step] of trace.steps.entries()) {
    let got: { effects?: unknown[]; error?: { code: string; message: string } };
    try {
      got = { effects: scope.handle(step.event) };
    } catch (error) {
      if (!(error instanceof SessionLifecycleError)) return { at, why: `crashed: ${String(error)}` };
      got = { error: { code: error.code, message: error.message } };
    }
    try {
      if (step.error !== undefined) {
        assert.ok(got.error, "Python refused, TypeScript accepted");
        assert.equal(got.error.code, step.error.code, "error code");
        assert.equal(got.error.message, step.error.message, "error message");
      } else {
        assert.ok(got.effects, `Python accepted, TypeScript refused: ${JSON.stringify(got.error)}`);
        assert.deepStrictEqual(got.effects, step.effects, "effects");
      }
      assert.deepStrictEqual(JSON.parse(JSON.stringify(scope)), step.after, "state after");
    } catch (error) {
      return { at, why: error instanceof Error ? error.message : String(error) };
    }
  }
  return null;
}

const counts = JSON.parse(
  execFileSync(python(), ["-m", "session_fsm.testing._traces", dir], { encoding: "utf8" }),
) as Record<string, { paths: number; steps: number }>;

for (const file of readdirSync(dir).sort()) {
  test(`conformance: ${file}`, () => {
    const traces = JSON.parse(readFileSync(join(dir, file), "utf8")) as Trace[];
    let shortest: { trace: Trace; at: number; why: string } | null = null;
    let failing = 0;
    let steps = 0;
    for (const trace of traces) {
      steps += trace.steps.length;
      const bad = replay(trace);
      if (bad === null) continue;
      failing += 1;
      if (shortest === null || bad.at < shortest.at) shortest = { trace, ...bad };
    }
    const name = file.replace(/\.json$/, "");
    assert.equal(traces.length, counts[name]?.paths);
    console.log(`${name}: ${traces.length} paths, ${steps} steps compared, ${failing} disagreements`);
    if (shortest !== null) {
      const lines = shortest.trace.steps
        .slice(0, shortest.at + 1)
        .map((s, i) => `  ${String(i + 1).padStart(3)}. ${JSON.stringify(s.event)}`);
      assert.fail(
        `${failing} of ${traces.length} paths disagree; the shortest, at step ${shortest.at + 1}: ${shortest.why}\n` +
          `record_default=${String(shortest.trace.record_default)}\n${lines.join("\n")}\n` +
          `Python expected: ${JSON.stringify(shortest.trace.steps[shortest.at])}`,
      );
    }
  });
}
