import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import type { AppEnv } from "../http/app-env";
import { route } from "../http/contract";
import { ApiError } from "../http/errors/api-error";

/**
 * Where the Worker's static assets (wrangler.toml [assets], directory ./public) serve Scalar's
 * standalone browser bundle; scripts/docs-assets.mjs copies it there from node_modules. Served
 * by the Worker itself, so the page works offline and loads nothing from a CDN.
 */
export const DOCS_SCRIPT_PATH = "/docs/assets/scalar-api-reference.js";

/**
 * The reference page itself, rendered at build time by the same script (reference.html; asked for
 * without its extension, which is how Workers static assets serve an HTML file).
 */
const REFERENCE_PAGE_PATH = "/docs/assets/reference";

/** DOCS_ENABLED=false (e.g. in production) turns /docs and /openapi.json into 404 not_found. */
const docsEnabled = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get("config").DOCS_ENABLED) throw new ApiError("not_found");
  await next();
});

/** Any JSON body: the shape of this document itself. */
const openApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
  .register(z.globalRegistry, { description: "This OpenAPI 3.1 document" });

const openapi = route({
  operationId: "openapi",
  tag: "Meta",
  summary: "This OpenAPI document",
  description: "404 not_found when the deployment sets DOCS_ENABLED=false.",
  answers: [{ status: 200, description: "The OpenAPI 3.1 document.", schema: openApiDocumentSchema }],
  errors: ["not_found"],
});

const reference = route({
  operationId: "docs",
  tag: "Meta",
  summary: "API reference page",
  description: "This document rendered as a web page. 404 not_found when the deployment sets DOCS_ENABLED=false.",
  answers: [{ status: 200, description: "An HTML page.", mediaType: "text/html", schema: z.string() }],
  errors: ["not_found"],
});

const script = route({
  operationId: "docsScript",
  tag: "Meta",
  summary: "The API reference page's script",
  description:
    "Served from the static assets through the Worker (wrangler.toml run_worker_first), so it is hidden with the docs: 404 not_found when the deployment sets DOCS_ENABLED=false.",
  answers: [{ status: 200, description: "JavaScript.", mediaType: "text/javascript", schema: z.string() }],
  errors: ["not_found"],
});

/**
 * All three are files of the Worker's static assets, behind DOCS_ENABLED. The OpenAPI document is
 * generated from the routes' contracts by a test (test/http/openapi.test.ts, `npm run openapi`
 * rewrites it) and committed as public/openapi.json, which CI checks against the routes: the
 * Worker itself then carries no JSON Schema generator (7 KB gzip, docs/benchmark.md).
 */
export const docsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", openapi, docsEnabled, (c) => fromAssets(c, "/openapi.json"))
  .get(DOCS_SCRIPT_PATH, script, docsEnabled, (c) => fromAssets(c, DOCS_SCRIPT_PATH))
  .get("/docs", reference, docsEnabled, (c) => fromAssets(c, REFERENCE_PAGE_PATH));

/** A file of the Worker's static assets, handed over as it is (its content type included). */
async function fromAssets(c: Context<AppEnv>, path: string): Promise<Response> {
  const asset = await c.env.ASSETS.fetch(new Request(new URL(path, c.req.url)));
  if (!asset.ok) throw new ApiError("not_found");
  return new Response(asset.body, asset);
}
