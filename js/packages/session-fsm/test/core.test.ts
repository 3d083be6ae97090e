/** The TypeScript core's own contract, beside the conformance replay. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { Scope, SessionLifecycleError, type Event } from "../src/core.ts";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SessionLifecycleError);
    return error.code;
  }
  assert.fail("expected an error");
}

test("a primary start claims, lands, and its close releases after the span ends", () => {
  const scope = new Scope({ recordDefault: true });
  const start = scope.handle({ name: "start", session: "a" }).map((e) => e.type);
  assert.deepEqual(start, ["ClaimPrimary", "AttachContext", "StartSession", "OpenSpan", "StartRecording", "RegisterHost"]);
  assert.equal(scope.ownership, "claimed");
  scope.handle({ name: "started", session: "a" });
  assert.equal(scope.state("a"), "primary");
  const close = scope.handle({ name: "close", session: "a" }).map((e) => e.type);
  assert.deepEqual(close.slice(-3), ["EndSpan", "DetachContext", "ReleasePrimary"]);
  assert.equal(scope.ownership, "releasing");
  scope.handle({ name: "closed", session: "a" });
  assert.equal(scope.ownership, "vacant");
});

test("bad input is refused with invalid_input and changes nothing", () => {
  const scope = new Scope();
  const before = JSON.stringify(scope);
  for (const event of [
    { name: "start", session: "a", role: "boss" },
    { name: "start", session: "a", record: "yes" },
    { name: "start", session: "a", exporter: 1 },
    { name: "nonsense", session: "a" },
  ]) {
    assert.equal(code(() => scope.handle(event as unknown as Event)), "invalid_input");
  }
  assert.equal(JSON.stringify(scope), before);
  assert.equal(code(() => scope.handle({ name: "close", session: "ghost" })), "invalid_transition");
});
