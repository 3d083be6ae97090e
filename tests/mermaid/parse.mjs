// Parse each Mermaid file named on the command line with Mermaid's own parser; print one line
// per file and exit 1 if any fails. Mermaid sanitises labels with DOMPurify, which needs a DOM:
// jsdom gives it one.
import fs from "node:fs";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("");
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import("mermaid");

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(fs.readFileSync(file, "utf8"));
    console.log(`${file}: ok ${result.diagramType}`);
  } catch (error) {
    failed += 1;
    console.log(`${file}: ${String(error.message || error)}`);
  }
}
process.exit(failed ? 1 : 0);
