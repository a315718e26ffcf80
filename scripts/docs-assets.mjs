/**
 * Copies Scalar's standalone browser bundle (the API reference page's only script) from
 * node_modules into the Worker's static assets, ./public/docs/assets/, where GET /docs loads it
 * (src/routes/docs.ts), and renders the page itself there (reference.html) with
 * @scalar/hono-api-reference: built here, not in the Worker, so the Worker's bundle carries none
 * of Scalar's page renderer (1.8 KB gzip, docs/benchmark.md); GET /docs hands the file over.
 * wrangler's own `[build]` step runs it (wrangler.toml), so a plain `npx wrangler dev` or `npx
 * wrangler deploy` works on a fresh clone; `npm test` runs it first too, since the test runner
 * reads wrangler.toml without building and wrangler refuses a config whose assets directory is
 * missing.
 *
 * Generated, not committed: the bundle is 4.3 MB (1.3 MB gzip) and its version is pinned by
 * @scalar/api-reference in package.json; ./public/docs/assets/ is git-ignored.
 *
 * Plain JavaScript, not TypeScript: wrangler's build step runs it with whatever `node` is on the
 * PATH, which may be a Node 20 that cannot strip types.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const DOCS_SCRIPT_SOURCE = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
/** Must match DOCS_SCRIPT_PATH in src/routes/docs.ts: the script's URL path, and its file under the assets directory ./public. */
const DOCS_SCRIPT_PATH = "/docs/assets/scalar-api-reference.js";
export const DOCS_SCRIPT_TARGET = join(root, "public", DOCS_SCRIPT_PATH);

/** Must match REFERENCE_PAGE_PATH in src/routes/docs.ts. */
export const REFERENCE_PAGE_TARGET = join(root, "public/docs/assets/reference.html");

/** The reference page's settings (docs/api.md): the document and the script from this Worker, nothing from other hosts. */
const REFERENCE_CONFIG = {
  url: "/openapi.json",
  cdn: DOCS_SCRIPT_PATH,
  pageTitle: "edge-phone-auth API",
  // Nothing from other hosts: no web fonts, no telemetry, no AI agent or MCP panels.
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: "never",
  defaultOpenAllTags: true,
};

/** Renders the reference page with Scalar's own Hono integration, as the Worker used to at runtime. */
export async function writeReferencePage() {
  const [{ Hono }, { Scalar }] = await Promise.all([import("hono"), import("@scalar/hono-api-reference")]);
  const response = await new Hono().get("/", Scalar(REFERENCE_CONFIG)).request("/");
  if (!response.ok) throw new Error(`rendering the reference page answered ${response.status}`);
  const html = await response.text();
  mkdirSync(dirname(REFERENCE_PAGE_TARGET), { recursive: true });
  if (!existsSync(REFERENCE_PAGE_TARGET) || readFileSync(REFERENCE_PAGE_TARGET, "utf8") !== html) writeFileSync(REFERENCE_PAGE_TARGET, html);
  return REFERENCE_PAGE_TARGET;
}

/** Copies the bundle unless the copy is already the same size and newer. Returns the target path. */
export function copyDocsAssets() {
  if (!existsSync(DOCS_SCRIPT_SOURCE)) {
    throw new Error(`${DOCS_SCRIPT_SOURCE} is missing: run \`npm install\` (it comes with the devDependency @scalar/api-reference)`);
  }
  const source = statSync(DOCS_SCRIPT_SOURCE);
  if (existsSync(DOCS_SCRIPT_TARGET)) {
    const target = statSync(DOCS_SCRIPT_TARGET);
    if (target.size === source.size && target.mtimeMs >= source.mtimeMs) return DOCS_SCRIPT_TARGET;
  }
  mkdirSync(dirname(DOCS_SCRIPT_TARGET), { recursive: true });
  copyFileSync(DOCS_SCRIPT_SOURCE, DOCS_SCRIPT_TARGET);
  return DOCS_SCRIPT_TARGET;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = copyDocsAssets();
  await writeReferencePage();
  const { version } = JSON.parse(readFileSync(join(root, "node_modules/@scalar/api-reference/package.json"), "utf8"));
  console.log(`docs assets: @scalar/api-reference ${version} → ${target.slice(root.length + 1)}`);
}
