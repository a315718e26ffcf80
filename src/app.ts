import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { AppEnv } from "./http/app-env";
import { ApiError } from "./http/errors/api-error";
import { handleError } from "./http/errors/on-error";
import { ConfigError, getConfig } from "./platform/config";
import { createLogger } from "./platform/log";
import { adminAuditRoutes } from "./routes/admin-audit";
import { adminConsoleRoutes } from "./routes/admin-console";
import { adminLimitRoutes } from "./routes/admin-limits";
import { adminUserRoutes } from "./routes/admin-users";
import { authRoutes } from "./routes/auth";
import { codeRoutes } from "./routes/codes";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { identityRoutes } from "./routes/identities";
import { meRoutes } from "./routes/me";
import { oneTapRoutes } from "./routes/one-tap";
import { passwordRoutes } from "./routes/password";
import { registerRoutes } from "./routes/register";
import { sessionRoutes } from "./routes/sessions";
import { wechatRoutes } from "./routes/wechat";
import { wellKnownRoutes } from "./routes/well-known";

const MAX_BODY_BYTES = 16 * 1024;

const v1 = new Hono<AppEnv>()
  .route("/", codeRoutes)
  .route("/", authRoutes)
  .route("/", registerRoutes)
  .route("/", passwordRoutes)
  .route("/", meRoutes)
  .route("/", sessionRoutes)
  .route("/", adminUserRoutes)
  .route("/", adminLimitRoutes)
  .route("/", adminAuditRoutes)
  .route("/", wechatRoutes)
  .route("/", oneTapRoutes)
  .route("/", identityRoutes);

export const app = new Hono<AppEnv>()
  .use(async (c, next) => {
    // Made here, never taken from the client: it correlates our own log lines, so a client must
    // not be able to choose it (or reuse another request's).
    const id = crypto.randomUUID();
    c.set("requestId", id);
    c.set("log", createLogger(id));
    c.header("X-Request-Id", id);
    // Resolved once the answer is built, errors included: work deferred to it (the audit trail's
    // group commit, src/audit/trail-writer.ts) starts after the answer, never before it.
    let resolve = () => {};
    c.set("answered", new Promise<void>((r) => (resolve = r)));
    try {
      await next();
    } finally {
      resolve();
    }
  })
  .use(async (c, next) => {
    try {
      c.set("config", getConfig(c.env));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      c.get("log").event("config.invalid", { problems: error.message, fix: error.fix });
      const names = error.problems.map((p) => p.setting).join(", ");
      throw new ApiError("internal_error", { detail: { "zh-CN": `配置项有误 ${names}。${error.fix}`, en: `misconfigured setting ${names}. ${error.fix}` } });
    }
    await next();
  })
  .use(async (c, next) => {
    const origins = c.get("config").CORS_ORIGINS;
    // No CORS_ORIGINS: no Access-Control headers at all, so browsers keep other origins out.
    if (origins.length === 0) return next();
    return cors({
      origin: origins,
      allowHeaders: ["Content-Type", "Authorization", "Accept-Language"],
      exposeHeaders: ["Retry-After", "X-Request-Id"],
      maxAge: 600,
    })(c, next);
  })
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("payload_too_large");
      },
    }),
  )
  .route("/", healthRoutes)
  .route("/", wellKnownRoutes)
  .route("/", docsRoutes)
  .route("/v1", v1)
  .route("/", adminConsoleRoutes)
  .notFound(() => {
    throw new ApiError("not_found");
  })
  .onError(handleError);

/** The type `hc<AppType>()` builds a typed client from (docs/client.md): each route's answers, its errors included. */
export type AppType = typeof app;
