import * as z from "zod/mini";
import { adminSettingIssues, adminSettings } from "./settings/admin";
import { clientLimitSettings } from "./settings/client-limits";
import { oneTapSettings } from "./settings/one-tap";
import { addIssue, bool, int, list, preprocess } from "./settings/parse";
import { signingKeys, tokenSettings } from "./settings/tokens";
import { turnstileProblems, turnstileSettings } from "./settings/turnstile";
import { checkWebhookSettings, webhookSettings } from "./settings/webhooks";
import { wechatSettings } from "./settings/wechat";
import "./zod-messages";

/**
 * Every setting the Worker reads, parsed once per isolate into a typed object.
 * Plain settings live in wrangler.toml `[vars]`; secrets in `.dev.vars` / `wrangler secret put`.
 * SMS provider credentials are parsed separately (src/sms/settings.ts) so that a provider with a
 * missing setting degrades to 503 sms_not_configured instead of taking the whole API down.
 *
 * A feature with settings of its own keeps them in src/platform/settings/<feature>.ts (a zod shape
 * built with the parsers of settings/parse.ts) and spreads that shape into the object below.
 */

const DEV_SECRET_PREFIX = "dev-only-";
const DEV_SECRET = `${DEV_SECRET_PREFIX}secret-never-use-in-production-0123456789`;

export const SMS_PROVIDER_NAMES = ["console", "aliyun", "ronglian", "tencent"] as const;
export type SmsProviderName = (typeof SMS_PROVIDER_NAMES)[number];

const testPhoneSchema = z.array(
  z.object({
    phone: z.string().check(z.minLength(1)),
    code: z.string().check(z.regex(/^\d{4,8}$/, "code must be 4–8 digits")),
    expires: z.iso.date(),
  }),
);

const configSchema = z.pipe(
  z.object({
    // Production unless told otherwise: a plain `wrangler deploy` of the development config then
    // refuses the console provider and the built-in secret instead of running with them.
    // `npm run dev` passes ENVIRONMENT=development, the tests ENVIRONMENT=test.
    ENVIRONMENT: z._default(z.enum(["development", "test", "production"]), "production"),
    /** HMAC key for stored code hashes and verification tokens. */
    AUTH_SECRET: z.optional(z.string().check(z.minLength(32, "must be at least 32 characters"))),
    SMS_PROVIDER: z.pipe(list("console"), z.array(z.enum(SMS_PROVIDER_NAMES)).check(z.minLength(1))),
    SMS_TIMEOUT_MS: int(5000, 100, 30000),

    CODE_LENGTH: int(6, 4, 8),
    // KV refuses an expirationTtl under 60 s, so a shorter code life cannot be stored.
    CODE_TTL_SECONDS: int(300, 60, 3600),
    MAX_VERIFY_ATTEMPTS: int(5, 1, 20),
    RESEND_INTERVAL_SECONDS: int(60, 1, 3600),
    DAILY_SENDS_PER_PHONE: int(10, 1, 1000),
    VERIFICATION_TOKEN_TTL_SECONDS: int(600, 60, 3600),
    SESSION_TTL_SECONDS: int(30 * 24 * 3600, 300, 365 * 24 * 3600),

    LOGIN_MAX_FAILURES: int(10, 1, 1000),
    LOGIN_FAILURE_WINDOW_SECONDS: int(900, 60, 86400),

    PHONE_MAX_FAILED_GUESSES: int(10, 1, 1000),
    PHONE_GUESS_WINDOW_SECONDS: int(3600, 60, 86400),
    PHONE_LOCK_SECONDS: int(3600, 60, 7 * 86400),
    IP_SENDS_PER_HOUR: int(10, 1, 100000),
    IP_VERIFICATIONS_PER_HOUR: int(30, 1, 100000),
    ALLOWED_COUNTRIES: z.pipe(list("CN"), z.array(z.string().check(z.regex(/^[A-Z]{2}$/, "ISO 3166 alpha-2 codes, e.g. CN,HK"))).check(z.minLength(1))),
    ...clientLimitSettings,
    ...turnstileSettings,
    DAILY_SMS_BUDGET: int(10000, 0, 100_000_000),
    PREFIX_MIN_SENDS: int(20, 1, 100000),
    PREFIX_MIN_SUCCESS_PERCENT: int(10, 0, 100),
    PREFIX_WINDOW_SECONDS: int(3600, 60, 86400),
    PREFIX_BLOCK_SECONDS: int(12 * 3600, 60, 7 * 86400),
    TEST_PHONE_NUMBERS: preprocess((v) => {
      if (v === undefined || v === "") return [];
      if (typeof v !== "string") return v;
      try {
        return JSON.parse(v);
      } catch {
        return "not JSON";
      }
    }, testPhoneSchema),

    CORS_ORIGINS: list(""),
    // Unset: on outside production, off in production (decided here, not only in wrangler.toml).
    DOCS_ENABLED: z.optional(bool(false)),
    ...tokenSettings,
    ...adminSettings,
    ...wechatSettings,
    ...oneTapSettings,
    ...webhookSettings,
  }),
  // zod/mini hands a transform the parse payload (no classic ctx.addIssue): addIssue pushes to it.
  z.transform((cfg, payload) => {
    checkWebhookSettings(cfg, payload);
    for (const issue of adminSettingIssues(cfg)) addIssue(payload, issue.message, [issue.setting]);
    const JWT_PRIVATE_KEYS = signingKeys(cfg, payload);
    const DOCS_ENABLED = cfg.DOCS_ENABLED ?? cfg.ENVIRONMENT !== "production";
    if (cfg.ENVIRONMENT !== "production") {
      // `npm install && npm run dev` must work with no .dev.vars, so development and tests get a
      // fixed secret; the prefix makes production refuse it if it is ever copied there.
      return { ...cfg, DOCS_ENABLED, AUTH_SECRET: cfg.AUTH_SECRET ?? DEV_SECRET, JWT_PRIVATE_KEYS };
    }
    if (!cfg.AUTH_SECRET) {
      addIssue(payload, "missing; run `wrangler secret put AUTH_SECRET --env production`", ["AUTH_SECRET"]);
      return z.NEVER;
    }
    if (cfg.SMS_PROVIDER.includes("console")) {
      addIssue(payload, "the console provider prints codes and is refused in production", ["SMS_PROVIDER"]);
    }
    if (cfg.AUTH_SECRET.startsWith(DEV_SECRET_PREFIX)) {
      addIssue(payload, "the development secret is refused in production; run `wrangler secret put AUTH_SECRET --env production`", ["AUTH_SECRET"]);
    }
    for (const problem of turnstileProblems(cfg)) addIssue(payload, problem.message, [problem.setting]);
    return { ...cfg, DOCS_ENABLED, AUTH_SECRET: cfg.AUTH_SECRET, JWT_PRIVATE_KEYS };
  }),
);

export type Config = z.output<typeof configSchema>;

/**
 * What to do about a refused configuration. A plain `wrangler dev` (or `wrangler deploy` of the
 * top-level config) leaves ENVIRONMENT unset, which means production: it then refuses the console
 * provider and the missing secret, and the first answer and the log say which command to run.
 */
const FIX_UNSET =
  "ENVIRONMENT is not set, so the production rules apply. To run locally use `npm run dev` (or `npx wrangler dev --var ENVIRONMENT:development`); " +
  "to deploy use `npm run deploy` (wrangler deploy --env production) after `wrangler secret put AUTH_SECRET --env production` " +
  "and `wrangler secret put JWT_PRIVATE_KEYS --env production` (`npm run keys:new` makes the value).";
const FIX_SET = "Fix the named settings in wrangler.toml [vars] or with `wrangler secret put NAME` (docs/operations.md lists them).";

export class ConfigError extends Error {
  /** One sentence naming the command or place that fixes it; never a value. */
  readonly fix: string;

  constructor(
    readonly problems: { setting: string; message: string }[],
    environmentUnset = false,
  ) {
    super(`Invalid configuration: ${problems.map((p) => `${p.setting}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.fix = environmentUnset ? FIX_UNSET : FIX_SET;
  }
}

/** Parses one environment. Throws ConfigError naming every bad setting (names only, never values). */
export function parseConfig(bindings: object): Config {
  // Settings are read by name from the bindings object (vars and secrets are plain strings there).
  const env = bindings as Record<string, unknown>;
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      setting: String(issue.path[0] ?? "?"),
      message: issue.message,
    })),
    env.ENVIRONMENT === undefined || env.ENVIRONMENT === "",
  );
}

// The env object is stable for an isolate's life, so parse it once per object.
const cache = new WeakMap<object, Config>();

export function getConfig(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
  }
  return config;
}
