import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { adminEnabled } from "../http/admin-auth";
import type { AppEnv } from "../http/app-env";
import { route } from "../http/contract";
import { ApiError } from "../http/errors/api-error";

/**
 * The admin console (docs/admin.md): three static files in public/admin/, served from the Worker's
 * asset store but only through the Worker (wrangler.toml `run_worker_first` for /admin*), so that
 * with no admin credential configured /admin answers 404 like any unknown path. The page itself
 * needs no credential (a browser navigation carries no Authorization header); every figure on it
 * comes from /v1/admin, which does.
 */

const FILES = { "": "/admin/", "console.js": "/admin/console.js", "console.css": "/admin/console.css" } as const;

// Only this origin's script and style, no inline code, no frames: a page that can end sessions
// and ban users must not run anything it did not ship.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const consoleEnabled = createMiddleware<AppEnv>(async (c, next) => {
  if (!adminEnabled(c.get("config"))) throw new ApiError("not_found");
  await next();
});

const page = route({
  operationId: "adminConsole",
  tag: "Admin",
  summary: "The admin console page",
  description: "404 not_found unless an admin credential (ADMIN_API_KEYS or Cloudflare Access) is configured.",
  answers: [{ status: 200, description: "An HTML page.", mediaType: "text/html", schema: z.string() }],
  errors: ["not_found"],
});

const file = route({
  operationId: "adminConsoleFile",
  tag: "Admin",
  summary: "The admin console's script and style",
  description: "`console.js` or `console.css`; 404 not_found as for the page.",
  answers: [{ status: 200, description: "The file.", mediaType: "text/plain", schema: z.string() }],
  errors: ["not_found"],
});

async function serve(c: Context<AppEnv>, name: keyof typeof FILES): Promise<Response> {
  const asset = await c.env.ASSETS.fetch(new Request(new URL(FILES[name], c.req.url)));
  if (!asset.ok) throw new ApiError("not_found");
  const headers = new Headers(asset.headers);
  headers.set("Content-Security-Policy", CSP);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("Cache-Control", "no-store");
  return new Response(asset.body, { status: 200, headers });
}

export const adminConsoleRoutes = new Hono<AppEnv>()
  .get("/admin", page, consoleEnabled, (c) => serve(c, ""))
  .get("/admin/:file", file, consoleEnabled, (c) => {
    const name = c.req.param("file");
    if (name !== "console.js" && name !== "console.css") throw new ApiError("not_found");
    return serve(c, name);
  });
