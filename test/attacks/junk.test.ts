/**
 * Property-based: generated junk thrown at every endpoint (wrong types, huge and unicode strings,
 * missing and extra fields, non-objects, broken JSON, wrong content types, junk credentials)
 * always gets a 4xx in the error envelope, never a 5xx, and changes nothing: no SMS, no KV key,
 * no D1 row or column, no Durable Object state for the caller's address or the phone named.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { PURPOSES } from "../../src/codes/purpose";
import { ERROR_CATALOG } from "../../src/http/errors/catalog";
import { clientGuardOf, phoneGuardOf, storedKeys } from "../support/attacks";
import { call, captureSms, type ErrorBody, signIn, uniquePhone } from "../support/helpers";

const sms = captureSms();

const NUM_RUNS = 50;
const IP = "198.51.100.77";
const PHONE = uniquePhone();
const PASSWORD = "Correct-Horse-42";
let token = "";

beforeAll(async () => {
  token = (await signIn(sms)).token;
});

// ---- junk values ------------------------------------------------------------------------

const TRICKY = [
  "",
  " ",
  "\u0000",
  "\u200b",
  "\u202e8000831008631+",
  "１３８００１３８０００", // fullwidth digits
  "١٣٨٠٠١٣٨٠٠٠", // Arabic-Indic digits
  "+86 138 0013 8000\u0000",
  "😀".repeat(40),
  "汉".repeat(300),
  "null",
  "undefined",
  "__proto__",
  "constructor",
  "{}",
  "'; DROP TABLE users; --",
  "<script>alert(1)</script>",
  "%00",
  "../../etc/passwd",
];

const unicodeString = (max = 64) => fc.oneof(fc.string({ unit: "grapheme", maxLength: max }), fc.constantFrom(...TRICKY));
const longString = (min: number, max: number) =>
  fc.tuple(fc.constantFrom("x", "9", "汉", "😀", "\u0000"), fc.integer({ min, max })).map(([ch, n]) => ch.repeat(n));
const json = fc.jsonValue({ maxDepth: 2 });
const wrongType = (allowNull = false) => json.filter((v) => typeof v !== "string" && (allowNull || v !== null) && v !== undefined);

/** What parsePhone cannot read: after its own clean-up, not 4–20 digits. */
const notPhoneLike = (s: string) => !/^\+?\d{4,20}$/.test(s.replace(/[\s\-.()]/g, ""));

const junkFor: Record<string, fc.Arbitrary<unknown>> = {
  phone: fc.oneof(wrongType(true), unicodeString().filter(notPhoneLike), longString(33, 600)),
  purpose: fc.oneof(
    wrongType(true),
    unicodeString().filter((s) => !(PURPOSES as readonly string[]).includes(s)),
    fc.constantFrom("LOGIN", "login ", "Login"),
  ),
  code: fc.oneof(
    wrongType(true),
    unicodeString().filter((s) => !/^\d{4,8}$/.test(s)),
    fc.constantFrom("123", "123456789", "12345a", "１２３４５６", " 123456"),
  ),
  captchaToken: fc.oneof(wrongType(true), fc.constant(""), longString(4097, 6000)),
  verificationToken: fc.oneof(
    wrongType(true),
    fc.constant(""),
    longString(1025, 3000),
    unicodeString(200),
    fc.constantFrom("v1..", "v1.a.b", "v1.e30.AAAA", "v2.x.y"),
  ),
  password: fc.oneof(wrongType(true), fc.constant(""), longString(257, 2000)),
  newPassword: fc.oneof(wrongType(true), fc.constant(""), longString(257, 2000)),
  passwordConfirm: fc.oneof(wrongType(true), fc.constant(""), longString(257, 2000)),
  nickname: fc.oneof(
    wrongType(true),
    fc.constantFrom("", "   ", "\t\n", "a\u0000b", "a\u2028b", "\u007f"),
    longString(257, 1000),
    fc.string({ minLength: 33, maxLength: 80 }).map((s) => `x${s.replace(/\s/g, "y")}`.padEnd(33, "z")),
  ),
  avatarUrl: fc.oneof(
    wrongType(false),
    unicodeString().filter((s) => !s.startsWith("https://")),
    fc.constantFrom("http://example.com/a.png", "javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://x/y", `https://example.com/${"a".repeat(600)}`),
  ),
};

// ---- endpoints ----------------------------------------------------------------------------

interface Endpoint {
  name: string;
  method: "GET" | "POST" | "PATCH";
  path: string;
  /** A body of the right shape; every mutation below makes it invalid. */
  base?: () => Record<string, unknown>;
  /** Fields whose removal alone makes the body invalid. */
  required?: string[];
  /** Every field name the endpoint knows (in any of its alternative shapes). */
  known?: string[];
  /** Whether junk may be sent along with a live session (only where the body is checked first). */
  withSession?: boolean;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: "POST /v1/codes",
    method: "POST",
    path: "/v1/codes",
    base: () => ({ phone: PHONE, purpose: "login", captchaToken: "t" }),
    required: ["phone", "purpose"],
  },
  {
    name: "POST /v1/codes/verify",
    method: "POST",
    path: "/v1/codes/verify",
    base: () => ({ phone: PHONE, purpose: "login", code: "123456" }),
    required: ["phone", "purpose", "code"],
  },
  { name: "POST /v1/auth/sms-login", method: "POST", path: "/v1/auth/sms-login", base: () => ({ phone: PHONE, code: "123456" }), required: ["phone", "code"] },
  {
    name: "POST /v1/auth/password-login",
    method: "POST",
    path: "/v1/auth/password-login",
    base: () => ({ phone: PHONE, password: PASSWORD }),
    required: ["phone", "password"],
  },
  {
    name: "POST /v1/register/password",
    method: "POST",
    path: "/v1/register/password",
    base: () => ({ verificationToken: "v1.x.y", password: PASSWORD, passwordConfirm: PASSWORD }),
    required: ["verificationToken", "password", "passwordConfirm"],
  },
  {
    name: "POST /v1/register/profile",
    method: "POST",
    path: "/v1/register/profile",
    base: () => ({ verificationToken: "v1.x.y", nickname: "小明" }),
    required: ["verificationToken", "nickname"],
  },
  {
    name: "POST /v1/password/reset (code)",
    method: "POST",
    path: "/v1/password/reset",
    base: () => ({ phone: PHONE, code: "123456", newPassword: PASSWORD }),
    required: ["phone", "code", "newPassword"],
    known: ["phone", "code", "newPassword", "verificationToken"],
  },
  {
    name: "POST /v1/password/reset (token)",
    method: "POST",
    path: "/v1/password/reset",
    base: () => ({ verificationToken: "v1.x.y", newPassword: PASSWORD }),
    required: ["verificationToken", "newPassword"],
    known: ["phone", "code", "newPassword", "verificationToken"],
  },
  {
    name: "PATCH /v1/me",
    method: "PATCH",
    path: "/v1/me",
    base: () => ({ nickname: "小明", avatarUrl: "https://example.com/a.png" }),
    required: [],
    withSession: true,
  },
  {
    name: "POST /v1/me/phone (code)",
    method: "POST",
    path: "/v1/me/phone",
    base: () => ({ phone: PHONE, code: "123456" }),
    required: ["phone", "code"],
    known: ["phone", "code", "verificationToken"],
    withSession: true,
  },
  {
    name: "POST /v1/me/phone (token)",
    method: "POST",
    path: "/v1/me/phone",
    base: () => ({ verificationToken: "v1.x.y" }),
    required: ["verificationToken"],
    known: ["phone", "code", "verificationToken"],
    withSession: true,
  },
];

interface Attempt {
  body?: string;
  headers: Record<string, string>;
  session: boolean;
  label: string;
}

const CONTENT_TYPE = { "Content-Type": "application/json" };

function bodyJunk(endpoint: Endpoint): fc.Arbitrary<Attempt> {
  const base = endpoint.base!;
  const fields = Object.keys(base());
  const known = new Set(endpoint.known ?? fields);
  const attempt = (body: unknown, label: string, headers: Record<string, string> = CONTENT_TYPE): Attempt => ({
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers,
    session: false,
    label,
  });

  const replaceField = fc.constantFrom(...fields).chain((field) => junkFor[field]!.map((value) => attempt({ ...base(), [field]: value }, `${field} = junk`)));
  const dropField = endpoint.required!.length
    ? fc.constantFrom(...endpoint.required!).map((field) => {
        const body = base();
        delete body[field];
        return attempt(body, `without ${field}`);
      })
    : fc.constant(attempt({}, "empty object"));
  const extraField = fc
    .tuple(
      fc.oneof(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
        fc.constantFrom("__proto__", "constructor", "prototype", "toString", "admin", "userId"),
      ),
      json,
    )
    .filter(([key]) => !known.has(key))
    // Written by hand so that "__proto__" becomes a real key of the JSON text.
    .map(([key, value]) => attempt(`${JSON.stringify(base()).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"}}`, `extra ${key}`));
  const notAnObject = fc
    .oneof(fc.array(json, { maxLength: 3 }), fc.string(), fc.double(), fc.boolean(), fc.constant(null))
    .map((v) => attempt(JSON.stringify(v), "not an object"));
  const text = JSON.stringify(base());
  const brokenJson = fc.oneof(
    fc.integer({ min: 0, max: text.length - 1 }).map((n) => attempt(text.slice(0, n), "truncated JSON")),
    unicodeString(200)
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      })
      .map((s) => attempt(s, "not JSON")),
    fc.constantFrom(`${text}x`, text.replaceAll('"', "'"), `${text}${text}`, `{${text}`, "\uFEFF{", '{"phone":"1\\u00"}').map((s) => attempt(s, "broken JSON")),
  );
  const wrongContentType = fc
    .constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "json", "text/json")
    .map((type) => attempt(base(), `Content-Type ${type}`, { "Content-Type": type }));
  const huge = fc
    .tuple(fc.constantFrom(...fields), longString(17 * 1024, 24 * 1024))
    .map(([field, value]) => attempt({ ...base(), [field]: value }, `huge ${field}`));
  const noBody = fc.constant<Attempt>({ body: undefined, headers: {}, session: false, label: "no body" });

  return fc
    .tuple(fc.oneof(replaceField, replaceField, dropField, extraField, notAnObject, brokenJson, wrongContentType, huge, noBody), fc.boolean())
    .map(([a, session]) => ({ ...a, session: Boolean(endpoint.withSession) && session }));
}

/** Authorization headers no session can match. */
const junkAuthorization = fc.oneof(
  fc.constant(undefined),
  fc
    .string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), minLength: 43, maxLength: 43 })
    .map((t) => `Bearer ${t}`),
  fc.string({ unit: "grapheme-ascii", maxLength: 80 }).map((t) => `Bearer ${t}`),
  fc.string({ unit: "grapheme-ascii", maxLength: 80 }),
  fc.constantFrom("Bearer", "Bearer ", "bearer abc", "Basic dXNlcjpwYXNz", `Bearer ${"A".repeat(44)}`, `Bearer  ${"A".repeat(43)}`),
);

// ---- state ----------------------------------------------------------------------------------

async function snapshot() {
  const kv = await env.CODES.list();
  const db = await env.DB.prepare(
    `SELECT
       (SELECT group_concat(id || '|' || coalesce(nickname, '') || '|' || coalesce(avatar_url, '') || '|' || coalesce(password_hash, '') || '|' || updated_at, ';') FROM users) AS users,
       (SELECT group_concat(provider || identifier || user_id, ';') FROM identities) AS identities,
       (SELECT group_concat(id || refresh_hash || expires_at || last_seen_at || authenticated_at, ';') FROM sessions) AS sessions`,
  ).first();
  const messages = sms.events().filter((e) => e.event === "sms.console" || e.event === "code.sent").length;
  return { kv: kv.keys.map((k) => k.name).sort(), db, messages };
}

async function expectRejected(response: Response, label: string) {
  expect(response.status, label).toBeGreaterThanOrEqual(400);
  expect(response.status, label).toBeLessThan(500);
  expect(response.headers.get("Content-Type") ?? "", label).toContain("application/json");
  const body = (await response.json()) as ErrorBody;
  expect(typeof body.error?.code, label).toBe("string");
  expect(Object.keys(ERROR_CATALOG), label).toContain(body.error.code);
  expect(ERROR_CATALOG[body.error.code as keyof typeof ERROR_CATALOG].status, label).toBe(response.status);
  expect(typeof body.error.message, label).toBe("string");
  expect(body.error.message.length, label).toBeGreaterThan(0);
}

async function expectNothingKept() {
  expect(await storedKeys(clientGuardOf(IP))).toEqual([]);
  expect(await storedKeys(phoneGuardOf(PHONE))).toEqual([]);
}

// ---- properties -----------------------------------------------------------------------------

describe("junk bodies", () => {
  it.each(ENDPOINTS)("$name: always a 4xx envelope, never a state change", async (endpoint) => {
    await fc.assert(
      fc.asyncProperty(bodyJunk(endpoint), fc.constantFrom(undefined, "en", "zh-CN;q=0.1, en;q=0.9", "xx, *;q=abc"), async (attempt, language) => {
        const before = await snapshot();
        const headers: Record<string, string> = { ...attempt.headers };
        if (language) headers["Accept-Language"] = language;
        const response = await call(endpoint.method, endpoint.path, attempt.body, { ip: IP, headers, token: attempt.session ? token : undefined });
        await expectRejected(response, `${endpoint.name}: ${attempt.label}: ${attempt.body?.slice(0, 200)}`);
        expect(await snapshot()).toEqual(before);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectNothingKept();
  });
});

describe("junk credentials", () => {
  const SESSION_ENDPOINTS = [
    { name: "GET /v1/me", method: "GET", path: "/v1/me" },
    { name: "POST /v1/auth/logout", method: "POST", path: "/v1/auth/logout" },
    { name: "PATCH /v1/me (valid body)", method: "PATCH", path: "/v1/me", body: JSON.stringify({ nickname: "新名字" }) },
    { name: "POST /v1/me/phone (valid body)", method: "POST", path: "/v1/me/phone", body: JSON.stringify({ phone: PHONE, code: "123456" }) },
  ];

  it.each(SESSION_ENDPOINTS)("$name: 401 unauthorized for any Authorization header but a live session's", async (endpoint) => {
    await fc.assert(
      fc.asyncProperty(
        junkAuthorization,
        fc.option(
          fc.oneof(
            json.map((v) => JSON.stringify(v)),
            unicodeString(100),
          ),
          { nil: undefined },
        ),
        async (authorization, junkBody) => {
          const before = await snapshot();
          const headers: Record<string, string> = { ...CONTENT_TYPE };
          if (authorization !== undefined) headers.Authorization = authorization;
          const body = "body" in endpoint ? endpoint.body : endpoint.method === "GET" ? undefined : junkBody;
          const response = await call(endpoint.method, endpoint.path, body, { ip: IP, headers });
          expect(response.status, String(authorization)).toBe(401);
          await expectRejected(response, String(authorization));
          expect(await snapshot()).toEqual(before);
        },
      ),
      { numRuns: NUM_RUNS },
    );
    await expectNothingKept();
  });
});

describe("junk routes and methods", () => {
  it("answer 404 or 405 in the envelope, never 5xx", async () => {
    const paths = fc.oneof(
      fc.constantFrom("/v1/codes", "/v1/codes/verify", "/v1/me", "/v1/auth/logout", "/v1/register/password"),
      fc.webPath().map((p) => `/v1${p}`),
      fc.string({ unit: fc.constantFrom(..."abc/%.-_~!$&'()*+,;=:@汉"), maxLength: 40 }).map((p) => `/${encodeURI(p)}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "POST", "OPTIONS"), paths, async (method, path) => {
        const before = await snapshot();
        const response = await call(method, path, method === "GET" ? undefined : "{}", { ip: IP });
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
        if (response.status >= 400) await expectRejected(response, `${method} ${path}`);
        expect(await snapshot()).toEqual(before);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
