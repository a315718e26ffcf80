/**
 * Building blocks for the providers' settings schemas. A provider's settings are parsed apart from
 * the main config so that a broken provider only makes sending answer 503 sms_not_configured.
 * Every message here names what is wrong and never echoes a value: these strings reach the logs
 * and /healthz, and some of the settings are secrets.
 */
import * as z from "zod/mini";
import { PURPOSES, type Purpose } from "../codes/purpose";
import { addIssue, preprocess } from "../platform/settings/parse";
import "../platform/zod-messages";
import { NOTICES, type Notice } from "./types";

/** wrangler hands `[vars]` over as strings, or as numbers when written unquoted in TOML. */
function asText(value: unknown): unknown {
  if (typeof value === "number") return String(value);
  // Secrets pasted into `wrangler secret put` easily keep a trailing newline; it is never meant.
  if (typeof value === "string") return value.trim();
  return value;
}

/** A string schema whose type error says "missing" when absent and `must be <what>` otherwise. */
export const str = (what = "a string") => z.string({ error: (iss) => (iss.input === undefined ? "missing" : `must be ${what}`) });

/** A required, non-empty setting. */
export const requiredText = () => preprocess(asText, str().check(z.minLength(1, "missing")));

/** An optional setting with a default; an empty value counts as unset. */
export const textWithDefault = (fallback: string) =>
  preprocess((v) => {
    const text = asText(v);
    return text === undefined || text === "" ? fallback : text;
  }, str());

/**
 * An http(s) URL setting, returned without its trailing slash so paths can be appended.
 * `originOnly` refuses a path: Aliyun signs the request path, so a prefix would break signing.
 */
export const urlSetting = (fallback: string, originOnly: boolean) =>
  z.pipe(
    textWithDefault(fallback),
    z.pipe(
      z.string(),
      z.transform((text: string, payload) => {
        let url: URL;
        try {
          url = new URL(text);
        } catch {
          addIssue(payload, "must be an absolute http(s) URL");
          return z.NEVER;
        }
        if (url.protocol !== "https:" && url.protocol !== "http:") {
          addIssue(payload, "must be an http(s) URL");
          return z.NEVER;
        }
        if (url.search || url.hash || url.username || url.password) {
          addIssue(payload, "must not carry a query, fragment or credentials");
          return z.NEVER;
        }
        if (originOnly && url.pathname !== "/") {
          addIssue(payload, "must be an origin such as https://host[:port], without a path");
          return z.NEVER;
        }
        return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
      }),
    ),
  );

/** A provider's templates: one per purpose, and one per notice it sends. */
export type TemplateMap<T = string> = Record<Purpose, T> & Partial<Record<Notice, T>>;

/** The notices a template map names. */
export const noticesOf = (templates: TemplateMap): ReadonlySet<Notice> => new Set(NOTICES.filter((n) => templates[n] !== undefined));

/** Purposes that every template map must name; the others fall back (see templateMap). */
const REQUIRED_PURPOSES = ["login", "register", "reset_password", "change_phone"] as const;

/**
 * A JSON object mapping purposes to provider template ids, e.g.
 * {"login":"SMS_1","register":"SMS_2","reset_password":"SMS_3","change_phone":"SMS_4"}.
 * The first four are required, so a forgotten template shows at startup (healthz, 503) instead of
 * as a provider refusal on the first reset-password text; purposes may share one template.
 * `reauthenticate` is optional and falls back to the `login` template (both say "your code is
 * …"), so adding the purpose did not break existing settings.
 */
export const templateMap = <T extends z.ZodMiniType<string, unknown>>(template: T) => {
  const described = `a JSON object with keys ${REQUIRED_PURPOSES.join(", ")}`;
  return preprocess(
    (v) => {
      if (typeof v !== "string") return v === undefined ? v : "not a JSON object";
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return "not a JSON object";
      }
    },
    z.pipe(
      z.strictObject(
        {
          login: template,
          register: template,
          reset_password: template,
          change_phone: template,
          reauthenticate: z.optional(template),
          // Notices (types.ts NOTICES): optional; a provider without the template sends none.
          phone_changed: z.optional(template),
        },
        { error: (iss) => (iss.input === undefined ? `missing (${described})` : `must be ${described}`) },
      ),
      z.transform((map): TemplateMap<z.output<T>> => {
        // The generic shape is beyond zod's inference here; the keys are the ones declared above.
        const m = map as Record<(typeof REQUIRED_PURPOSES)[number], z.output<T>> & Partial<Record<"reauthenticate" | Notice, z.output<T>>>;
        return { ...m, reauthenticate: m.reauthenticate ?? m.login };
      }),
    ),
  );
};

/** Flattens zod issues to "SETTING[.key]: what is wrong" (names and reasons only, no values). */
export function settingProblems(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    // Unknown keys inside a template map are reported on the map itself; name them (keys are
    // purposes, not secrets) so the fix is obvious.
    if (issue.code === "unrecognized_keys") return `${path}: unknown purpose ${issue.keys.join(", ")} (expected ${PURPOSES.join(", ")})`;
    return `${path || "?"}: ${issue.message}`;
  });
}

/**
 * In production (ENVIRONMENT unset or "production", as in config.ts) a provider endpoint must be
 * https: the request carries a signature over the code, and a plain-http hop would show the code
 * to anyone on the path. http stays allowed elsewhere, for local fakes.
 */
export function httpsProblems(env: Record<string, unknown>, setting: string, url: string): string[] {
  const environment = env.ENVIRONMENT;
  const production = environment === undefined || environment === "" || environment === "production";
  return production && !url.startsWith("https:") ? [`${setting}: must be an https URL in production`] : [];
}
