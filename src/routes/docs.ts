import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors/api-error";
import { openApiDocument } from "../http/openapi/generator";

/**
 * Where the Worker's static assets (wrangler.toml [assets], directory ./public) serve Scalar's
 * standalone browser bundle; scripts/docs-assets.ts copies it there from node_modules. Served
 * by the Worker itself, so the page works offline and loads nothing from a CDN.
 */
export const DOCS_SCRIPT_PATH = "/docs/assets/scalar-api-reference.js";

/** DOCS_ENABLED=false (e.g. in production) turns /docs and /openapi.json into 404 not_found. */
const docsEnabled = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get("config").DOCS_ENABLED) throw new ApiError("not_found");
  await next();
});

export const docsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", docsEnabled, (c) => c.json(openApiDocument()))
  .get(
    "/docs",
    docsEnabled,
    Scalar({
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
    }),
  );
