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

test("step hands the waiter its granted plan apart from the releasing holder's effects", () => {
  const scope = new Scope();
  scope.handle({ name: "start", session: "a" });
  scope.handle({ name: "started", session: "a" });
  scope.handle({ name: "close", session: "a" });
  assert.deepEqual(scope.step({ name: "start", session: "b", role: "primary" }).effects, [
    { type: "WaitForClaim", session: "b" },
  ]);
  const outcome = scope.step({ name: "closed", session: "a" });
  assert.deepEqual(outcome.effects, []);
  assert.equal(outcome.waitOver, "b");
  assert.equal(outcome.grant[0]?.type, "ClaimPrimary");
  assert.ok(outcome.grant.every((e) => e.session === "b"));
});

test("running, at rest, the report's holder and a foreign designation come from the core", () => {
  const scope = new Scope();
  assert.ok(scope.atRest("a") && !scope.isRunning("a"));
  scope.handle({ name: "start", session: "a" });
  assert.ok(!scope.atRest("a") && !scope.isRunning("a"));
  scope.handle({ name: "started", session: "a" });
  assert.ok(scope.isRunning("a"));
  assert.equal(scope.reportHolder(), "a");
  scope.handle({ name: "close", session: "a" });
  assert.ok(!scope.isRunning("a") && scope.awaitsClosed("a"));
  scope.handle({ name: "closed", session: "a" });
  assert.ok(!scope.awaitsClosed("a"));
  assert.equal(scope.reportHolder(), "a");
  assert.equal(scope.seeDesignation("x", { running: true }), false);
  assert.ok(scope.foreign && scope.reportHolder() === null);
  assert.equal(scope.seeDesignation("x", { running: false }), true); // closed: clear it
  assert.ok(!scope.foreign && scope.ownership === "vacant");
  scope.forget("a");
  assert.equal(scope.reportHolder(), null);
});
