// Open every page of the built site in Debian's Chromium (headless) and check that each Mermaid
// diagram rendered to an SVG without a Mermaid error, and that no page asked for anything beyond
// the local server (the site must not need a CDN).
//
//   node docs-tools/check-diagrams.mjs SITE_DIR [--screenshot PATH]
//
// The theme draws each diagram into a closed shadow root; an init script opens them so the
// check can read what was drawn.
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, relative, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const root = resolve(args[0] ?? "site");
const shotAt = args.indexOf("--screenshot");
const screenshot = shotAt >= 0 ? resolve(args[shotAt + 1]) : null;
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml",
  ".woff2": "font/woff2", ".ico": "image/x-icon",
};

function pages(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return pages(path);
    return name === "index.html" ? [relative(root, path).split(sep).join("/")] : [];
  });
}

const server = createServer((req, res) => {
  let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path.endsWith("/")) path += "index.html";
  const file = resolve(root, "." + path);
  try {
    if (!file.startsWith(root)) throw new Error("outside the site");
    const body = readFileSync(file);
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const origin = `http://127.0.0.1:${server.address().port}`;

const profile = mkdtempSync(join(tmpdir(), "docs-chromium-"));
// a fresh profile (--user-data-dir) each run, passed the way playwright takes it
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 1800 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const failures = [];
let diagrams = 0;
try {
  await context.addInitScript(() => {
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      return attach.call(this, { ...init, mode: "open" });
    };
  });
  for (const path of pages(root)) {
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
    });
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin)) return route.continue();
      problems.push(`request outside the site: ${url}`);
      return route.abort();
    });
    await page.goto(`${origin}/${path}`, { waitUntil: "load" });
    const expected = await page.locator("pre.mermaid, div.mermaid").count();
    if (expected > 0) {
      // rendered diagrams replace their <pre class="mermaid"> with a <div class="mermaid">
      await page
        .waitForFunction(
          (n) => document.querySelectorAll("div.mermaid").length === n &&
            [...document.querySelectorAll("div.mermaid")].every((d) => d.shadowRoot?.querySelector("svg")),
          expected,
          { timeout: 20000 },
        )
        .catch(() => problems.push(`not every diagram rendered within 20 s`));
      const report = await page.evaluate(() => ({
        unrendered: document.querySelectorAll("pre.mermaid").length,
        svgs: [...document.querySelectorAll("div.mermaid")].map((d) => {
          const svg = d.shadowRoot?.querySelector("svg");
          if (!svg) return { ok: false, why: "no svg" };
          const box = svg.getBoundingClientRect();
          const error = svg.getAttribute("aria-roledescription") === "error" ||
            /Syntax error|Parse error/i.test(svg.textContent);
          const states = svg.querySelectorAll("g.node, g.stateGroup").length;
          return { ok: !error && box.width > 50 && box.height > 50 && states > 0,
                   why: error ? "mermaid error" : `${box.width}x${box.height}, ${states} states` };
        }),
      }));
      if (report.unrendered) problems.push(`${report.unrendered} diagram(s) left unrendered`);
      report.svgs.forEach((s, i) => { if (!s.ok) problems.push(`diagram ${i + 1}: ${s.why}`); });
      diagrams += report.svgs.filter((s) => s.ok).length;
      console.log(`${path}: ${report.svgs.filter((s) => s.ok).length}/${expected} diagrams rendered`);
      if (screenshot && path === "state-machine/index.html") {
        await page.screenshot({ path: screenshot });
        console.log(`screenshot: ${screenshot}`);
      }
    }
    for (const p of problems) failures.push(`${path}: ${p}`);
    await page.close();
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log(`${diagrams} diagrams rendered, no Mermaid error, nothing fetched from outside the site`);
