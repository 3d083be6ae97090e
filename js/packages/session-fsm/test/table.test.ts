import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { EFFECT_TYPES, ERRORS, GUARDS, PLANS, REFUSALS, Scope, TABLE, missingNames } from "../src/core.ts";
import type { TableDocument } from "../src/core.ts";
import { python } from "./python.ts";

test("the package has a function for every guard, plan and refusal the table names", () => {
  assert.deepEqual(missingNames(), []);
});

test("a table naming a guard, plan or refusal the package lacks is caught", () => {
  const rows = TABLE.rows.map((r, i) =>
    i === 0 ? { ...r, guard: "no_such_guard", refuse: "no_such_refusal" } : i === 1 ? { ...r, plan: "no_such_plan" } : r,
  );
  const broken: TableDocument = { ...TABLE, rows };
  assert.deepEqual(missingNames(broken).sort(), ["guard no_such_guard", "plan no_such_plan", "refusal no_such_refusal"]);
  assert.throws(() => new Scope({ table: broken }), /which this package lacks/);
});

test("the package has no function the table does not name (no dead rules)", () => {
  assert.deepEqual(Object.keys(GUARDS).sort(), [...TABLE.guards].sort());
  assert.deepEqual(Object.keys(PLANS).sort(), [...TABLE.plans].sort());
  assert.deepEqual(Object.keys(REFUSALS).sort(), [...TABLE.refusals].sort());
});

test("every error code of the Python package has a class here, with the same code", () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), TABLE.errors.map((e) => e.code).sort());
  for (const { code } of TABLE.errors) assert.equal(ERRORS[code]?.code, code);
});

test("the effects are the Python core's", () => {
  assert.deepEqual([...EFFECT_TYPES].sort(), TABLE.effects.map((e) => e.name).sort());
});

test("the committed table.json is what the Python table exports", () => {
  const path = fileURLToPath(new URL("../table.json", import.meta.url));
  execFileSync(python(), ["-m", "session_fsm._cli", "export-table", path, "--check"], { stdio: "inherit" });
  assert.equal(JSON.parse(readFileSync(path, "utf8")).format, 1);
});
