/** The Python project's interpreter, which generates the conformance traces. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function python(): string {
  const fromEnv = process.env["SESSION_FSM_PYTHON"];
  if (fromEnv) return fromEnv;
  const venv = fileURLToPath(new URL("../../../../.venv/bin/python", import.meta.url));
  if (existsSync(venv)) return venv;
  throw new Error(
    "the conformance traces come from the Python package: run `make install` at the repository root, " +
      "or set SESSION_FSM_PYTHON to an interpreter that has session_fsm installed",
  );
}
