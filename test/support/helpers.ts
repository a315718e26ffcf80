import { env, exports } from "cloudflare:workers";
import { beforeEach, vi } from "vitest";
import { waitForBackground } from "./time";

/**
 * Each call hands out a number in a range of its own (within a test file: 9,000 calls before a
 * range comes back), so range-wide fraud statistics never mix tests. The random start keeps files
 * apart too, should their storage ever be shared.
 */
const PHONE_BASE = Math.floor(Math.random() * 9000);
let phoneCounter = 0;
export function uniquePhone(): string {
  phoneCounter += 1;
  const range = String(1000 + ((PHONE_BASE + phoneCounter) % 9000)).padStart(4, "0");
  const line = String(Math.floor(Math.random() * 10000)).padStart(4, "0");
  return `+86139${range}${line}`;
}

let ipCounter = 0;
/** A fresh client address per call unless a test pins one, so per-address limits stay out of the way. */
export function uniqueIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export interface CallOptions {
  headers?: Record<string, string>;
  token?: string;
  ip?: string;
  env?: Record<string, unknown>;
}

/** Calls the Worker through fetch, exactly as a client would. */
export async function call(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "CF-Connecting-IP": options.ip ?? uniqueIp(), ...options.headers };
  if (body !== undefined && typeof body !== "string") headers["Content-Type"] = "application/json";
  if (body !== undefined && typeof body === "string" && !headers["Content-Type"]) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const request = new Request(`http://localhost${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  if (options.env) {
    const { app } = await import("../../src/app");
    return app.fetch(request, { ...env, ...options.env }, { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext);
  }
  return exports.default.fetch(request);
}

export const post = (path: string, body?: unknown, options?: CallOptions) => call("POST", path, body, options);
export const get = (path: string, options?: CallOptions) => call("GET", path, undefined, options);

export interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[]; retryAfter?: number; attemptsLeft?: number };
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/**
 * Reads what the console SMS provider printed: the same JSON line a developer greps from the
 * dev log. Installed per test file with `const sms = captureSms()` at the top level.
 */
export function captureSms() {
  const lines: string[] = [];
  const original = console.log.bind(console);
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    const line = args.map(String).join(" ");
    lines.push(line);
    if (process.env.SHOW_LOGS) original(...args);
  });
  const events = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    lines,
    events,
    /** The code most recently sent to `phone` (E.164) for `purpose`. */
    lastCode(phone: string, purpose = "login"): string {
      const message = events()
        .filter((e) => e.event === "sms.console" && e.to === phone && e.purpose === purpose)
        .at(-1);
      if (!message) throw new Error(`no SMS was sent to ${phone} for ${purpose}`);
      return String(message.code);
    },
    sentCount(phone: string): number {
      return events().filter((e) => e.event === "sms.console" && e.to === phone).length;
    },
  };
}

/** Asks for a code and returns it as the console provider printed it. */
export async function requestCode(sms: ReturnType<typeof captureSms>, phone: string, purpose = "login", options?: CallOptions): Promise<string> {
  const response = await post("/v1/codes", { phone, purpose }, options);
  if (response.status !== 202) throw new Error(`sending a code failed: ${response.status} ${await response.text()}`);
  const code = sms.lastCode(phone, purpose);
  // A reset code is sent and stored after the answer (waitUntil), as a real client would see it
  // arrive a moment later: wait until it is stored.
  await waitForBackground(async () => (await env.CODES.get(`code:${purpose}:${phone}`)) !== null);
  return code;
}

/** What every sign-in answers (src/http/session-answer.ts). */
export interface SignedInBody {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  user: { id: string; phone: string; hasPassword: boolean };
  isNewUser?: boolean;
}

/** A signed-in user: SMS login from scratch. `token` is the access token. */
export async function signIn(sms: ReturnType<typeof captureSms>, phone = uniquePhone()) {
  const code = await requestCode(sms, phone);
  const response = await post("/v1/auth/sms-login", { phone, code });
  if (response.status !== 200) throw new Error(`sms-login failed: ${response.status} ${await response.text()}`);
  const body = await json<SignedInBody>(response);
  return { phone, token: body.accessToken, refreshToken: body.refreshToken, user: body.user };
}

/** A wrong code for `code`: same length, never equal. */
export function wrongCode(code: string): string {
  return code
    .split("")
    .map((d) => String((Number(d) + 1) % 10))
    .join("");
}

/** `text` with its first character changed: a forged signature that never equals the real one. */
export function tamper(text: string): string {
  return (text[0] === "A" ? "B" : "A") + text.slice(1);
}

/**
 * A log line without the random identifiers it carries by design (request ids and other UUIDs, the
 * 12-hex client tags): a check that no line contains a 6-digit code must not fail because such an
 * id happens to contain those digits.
 */
export function withoutRandomIds(line: string): string {
  return line.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>").replace(/"client":"[0-9a-f]{12}"/g, '"client":"<tag>"');
}

/**
 * Collects what the Worker prints, test by test: spies on the console methods before each test
 * (the file's afterEach restores them with vi.restoreAllMocks and checks the lines). `events(name)`
 * are the JSON lines with that event name.
 */
export function captureConsole(methods: readonly ("log" | "error" | "warn" | "info" | "debug")[] = ["log", "error"]) {
  let lines: string[] = [];
  beforeEach(() => {
    lines = [];
    for (const method of methods) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
  });
  const events = (name?: string) =>
    lines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        return name === undefined || parsed.event === name ? [parsed] : [];
      } catch {
        return [];
      }
    });
  return { lines: () => lines, events };
}
