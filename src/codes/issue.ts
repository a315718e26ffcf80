import type { Config } from "../platform/config";
import { hmac, randomDigits, timingSafeEqual, toBase64Url, fromBase64Url } from "../platform/crypto";
import type { Bindings } from "../http/app-env";
import { ApiError } from "../http/errors/api-error";
import type { Logger } from "../platform/log";
import { clientKey, clientTag } from "../limits/client-key";
import type { CheckResult, ReserveResult } from "../limits/phone-guard";
import { maskPhone, numberRange, parsePhone, type Phone } from "../phone/phone";
import { deliver, resolveSenders } from "../sms/registry";
import type { Purpose } from "./purpose";
import { newTokenId, signVerificationToken } from "./verification-token";

/** What the code functions need from a request: bindings, settings, a logger and the caller's address. */
export interface RequestScope {
  env: Bindings;
  config: Config;
  log: Logger;
  clientIp: string | undefined;
  /** Runs work after the answer is sent (waitUntil): cleanup nobody waits for. */
  defer: (work: Promise<unknown>) => void;
}

/** What KV holds for a (purpose, phone): the current code's id and keyed hash, never the code. */
interface StoredCode {
  id: string;
  mac: string;
}

const codeKey = (purpose: Purpose, phone: string) => `code:${purpose}:${phone}`;

/** A KV value this Worker wrote; anything else (a hand edit, an old format) counts as no code. */
function readStoredCode(raw: string | null): StoredCode | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<StoredCode> | null;
    return typeof value?.id === "string" && typeof value.mac === "string" ? { id: value.id, mac: value.mac } : undefined;
  } catch {
    return undefined;
  }
}

/** The HMAC binds the code to its phone, purpose and issue, so a leaked KV value is useless elsewhere. */
async function codeMac(secret: string, codeId: string, phone: string, purpose: Purpose, code: string): Promise<ArrayBuffer> {
  return hmac(secret, `code|${codeId}|${phone}|${purpose}|${code}`);
}

export function phoneGuard(env: Bindings, phone: Phone) {
  return env.PHONE_GUARD.get(env.PHONE_GUARD.idFromName(numberRange(phone)));
}

export function clientGuard(scope: RequestScope) {
  const key = clientKey(scope.clientIp);
  return scope.env.CLIENT_GUARD.get(scope.env.CLIENT_GUARD.idFromName(key));
}

const testNumbers = new WeakMap<Config, Map<string, { code: string; expiresAt: number }>>();

/** TEST_PHONE_NUMBERS by E.164; entries whose numbers do not parse are dropped (and named in the log once). */
function testNumberTable(config: Config, log: Logger): Map<string, { code: string; expiresAt: number }> {
  let table = testNumbers.get(config);
  if (!table) {
    table = new Map();
    for (const entry of config.TEST_PHONE_NUMBERS) {
      try {
        // The entry is valid through the whole day of `expires` (UTC).
        table.set(parsePhone(entry.phone).e164, { code: entry.code, expiresAt: Date.parse(`${entry.expires}T00:00:00Z`) + 86_400_000 });
      } catch {
        log.event("config.test_number_ignored", { reason: "not a valid mobile number" });
      }
    }
    testNumbers.set(config, table);
  }
  return table;
}

/** The fixed code of an unexpired test number, or undefined for a real number. */
export function testNumberCode(scope: RequestScope, phone: Phone): string | undefined {
  const entry = testNumberTable(scope.config, scope.log).get(phone.e164);
  if (!entry || entry.expiresAt <= Date.now()) return undefined;
  return entry.code;
}

function limitError(result: Extract<ReserveResult, { ok: false }>): ApiError {
  return new ApiError("too_many_requests", { retryAfter: result.retryAfterMs / 1000 });
}

/** The answer to a client address over its limit, logged as ip.limited (with a tag, never the address). */
export async function clientLimited(scope: RequestScope, kind: "send" | "verify" | "password", phone: Phone, retryAfterMs: number): Promise<ApiError> {
  scope.log.event("ip.limited", { kind, client: await clientTag(scope.clientIp), phone: maskPhone(phone) });
  return new ApiError("too_many_requests", { retryAfter: retryAfterMs / 1000 });
}

export interface IssueOptions {
  /**
   * false for a reset to a number with no account: every limit applies and the answer is the
   * same, but no SMS is sent (no enumeration, no cost) and a decoy code is stored in its place.
   */
  deliver: boolean;
}

/**
 * Issues a code: limits first (phone cooldown / daily cap / lock / range block, client address,
 * daily budget, all asked at once), then the SMS, and only once the SMS is accepted the code's
 * hash goes to KV. Any failure after the limits were taken gives them back, so a code that no SMS
 * carried is never valid and a failed send costs the user no cooldown.
 *
 * A reset (purpose reset_password) answers as soon as the limits are taken and sends in the
 * background (waitUntil): its answer, and its timing, must be the same whether or not the number
 * has an account, so neither the provider's latency nor its errors may show in it.
 */
export async function issueCode(scope: RequestScope, phone: Phone, purpose: Purpose, options: IssueOptions): Promise<{ expiresIn: number; resendIn: number }> {
  const { env, config, log } = scope;
  const fixedCode = testNumberCode(scope, phone);
  const paid = options.deliver && fixedCode === undefined;
  // Resolved before any limit is taken, so a misconfigured provider costs users nothing; also for
  // a reset to an unknown number, which must answer 503 exactly like a known one would.
  const senders = fixedCode === undefined ? resolveSenders(env, config.SMS_PROVIDER, log) : [];

  const guard = phoneGuard(env, phone);
  const budget = env.SMS_BUDGET.get(env.SMS_BUDGET.idFromName("global"));
  // Three independent objects, asked in parallel: one round trip of latency. Refusals are rare
  // and pay for the compensating calls below. allSettled, not all: if one call throws (an
  // overloaded object), what the others took is still given back before the error propagates.
  const [reservedCall, clientCall, spentCall] = await Promise.allSettled([
    guard.reserve(phone.e164, purpose, { countForRange: paid, decoy: !options.deliver }),
    clientGuard(scope).hit("send", config.IP_SENDS_PER_HOUR),
    paid ? budget.spend(config.DAILY_SMS_BUDGET) : fixedCode === undefined ? budget.check(config.DAILY_SMS_BUDGET) : undefined,
  ]);
  const reserved = reservedCall.status === "fulfilled" ? reservedCall.value : undefined;
  const spent = spentCall.status === "fulfilled" ? spentCall.value : undefined;

  // Gives back whatever was taken: the cooldown and count, the range's send (and a range block
  // that send tripped), the budget's SMS.
  const giveBack = async () => {
    await Promise.all([
      reserved?.ok ? guard.cancelSend(phone.e164, reserved.codeId, { countedForRange: paid }) : undefined,
      spent?.ok && paid ? budget.refund(config.DAILY_SMS_BUDGET) : undefined,
    ]);
  };

  if (reservedCall.status === "rejected" || clientCall.status === "rejected" || spentCall.status === "rejected") {
    await giveBack().catch(() => {});
    throw [reservedCall, clientCall, spentCall].flatMap((call) => (call.status === "rejected" ? [call.reason] : []))[0];
  }
  const client = clientCall.value;
  const reservation = reservedCall.value;
  // A day that starts spent (e.g. the budget was lowered) alerts at its first refusal.
  if (spent && !spent.ok && spent.alertNow) log.event("budget.exhausted", { budget: config.DAILY_SMS_BUDGET });

  if (!client.ok) {
    await giveBack();
    throw await clientLimited(scope, "send", phone, client.retryAfterMs);
  }
  if (!reservation.ok) {
    if (reservation.reason === "range_blocked") log.event("prefix.refused", { range: numberRange(phone) });
    await giveBack();
    throw limitError(reservation);
  }
  if (spent && !spent.ok) {
    await giveBack();
    throw new ApiError("sms_budget_exhausted", { retryAfter: spent.retryAfterMs / 1000 });
  }

  const code = fixedCode ?? randomDigits(config.CODE_LENGTH);
  const sendAndStore = async () => {
    try {
      if (paid) await deliver(senders, { to: phone, purpose, code, expiresInSeconds: config.CODE_TTL_SECONDS }, config.SMS_TIMEOUT_MS, log);
      else if (fixedCode !== undefined) log.event("code.sent", { provider: "test_number", phone: maskPhone(phone), purpose });
      const stored: StoredCode = { id: reservation.codeId, mac: toBase64Url(await codeMac(config.AUTH_SECRET, reservation.codeId, phone.e164, purpose, code)) };
      // The KV entry expires with the code (KV's minimum expirationTtl is 60 s; the config
      // refuses a shorter CODE_TTL_SECONDS). The Durable Object keeps the authoritative expiry.
      await env.CODES.put(codeKey(purpose, phone.e164), JSON.stringify(stored), { expirationTtl: config.CODE_TTL_SECONDS });
    } catch (error) {
      await giveBack();
      throw error;
    }
    // Logged once the send stands: a send given back also gave back its block and its alert.
    // The range alone, not the masked phone too: the range holds exactly the digits the mask hides.
    if (reservation.rangeBlockedNow) log.event("prefix.blocked", { range: numberRange(phone) });
    if (spent?.alertNow) log.event("budget.exhausted", { budget: config.DAILY_SMS_BUDGET });
  };

  if (purpose === "reset_password") scope.defer(sendAndStore());
  else await sendAndStore();
  return { expiresIn: config.CODE_TTL_SECONDS, resendIn: config.RESEND_INTERVAL_SECONDS };
}

/**
 * Checks a code: KV gives the current code's id and hash; the comparison runs here in constant
 * time; the Durable Object then decides in one call whether the guess is allowed and the code
 * unused, counts it and spends it. A guess when KV has no code answers code_expired and counts
 * nothing. Resolves when the code was right and is now spent; throws the API error otherwise.
 */
async function spend(scope: RequestScope, phone: Phone, purpose: Purpose, code: string, token?: { jti: string; expiresAt: number }): Promise<SpentCode> {
  const { env, config } = scope;
  const stored = readStoredCode(await env.CODES.get(codeKey(purpose, phone.e164)));
  if (!stored) {
    // Nothing to guess at, so nothing counts against the phone; the address is still counted,
    // or probing numbers for live codes would be free.
    const client = await clientGuard(scope).hit("verify", config.IP_VERIFICATIONS_PER_HOUR);
    if (!client.ok) throw await clientLimited(scope, "verify", phone, client.retryAfterMs);
    throw new ApiError("code_expired");
  }

  const expected = fromBase64Url(stored.mac);
  const actual = await codeMac(config.AUTH_SECRET, stored.id, phone.e164, purpose, code);
  const matches = expected !== undefined && timingSafeEqual(actual, expected);

  const guard = phoneGuard(env, phone);
  const [checked, client] = await Promise.all([
    guard.checkCode(phone.e164, purpose, stored.id, matches, token),
    clientGuard(scope).hit("verify", config.IP_VERIFICATIONS_PER_HOUR),
  ]);

  // The client limit is asked in parallel to keep verification at one round trip. A wrong guess
  // made over it still counts against the phone (the safe side); a right one is given back, so
  // the user's code is not lost to a limit that was not theirs.
  if (!client.ok) {
    if (checked.ok) await guard.reopenCode(phone.e164, purpose, stored.id, token?.jti);
    throw await clientLimited(scope, "verify", phone, client.retryAfterMs);
  }
  if (!checked.ok) throw checkError(scope, phone, purpose, checked);
  // The KV entry is left to expire with the code: the Durable Object already refuses a spent
  // code, a delete would be one more KV write per sign-in, and giveBack needs the entry.
  return { giveBack: () => guard.reopenCode(phone.e164, purpose, stored.id, token?.jti) };
}

function checkError(scope: RequestScope, phone: Phone, purpose: Purpose, checked: Exclude<CheckResult, { ok: true }>): ApiError {
  switch (checked.reason) {
    case "expired":
      return new ApiError("code_expired");
    case "invalid":
      if (checked.lockedNow) scope.log.event("phone.locked", { phone: maskPhone(phone), purpose });
      return new ApiError("invalid_code", { attemptsLeft: checked.attemptsLeft });
    case "too_many_attempts":
    case "locked":
      return new ApiError("too_many_attempts", { retryAfter: checked.retryAfterMs / 1000 });
  }
}

/** A spent code, and the way to make it usable again if the work it was spent on fails. */
export interface SpentCode {
  /** For failures that are not the user's (D1 unavailable): the user can submit the same code again. */
  giveBack(): Promise<void>;
}

/** Spends a code in the request that uses it (SMS login, a reset or phone change with a code). */
export async function verifyCode(scope: RequestScope, phone: Phone, purpose: Purpose, code: string): Promise<SpentCode> {
  return spend(scope, phone, purpose, code);
}

/**
 * Spends a code for a verificationToken that stands for it in a later request (POST
 * /v1/codes/verify): the token's id is registered for single use in the same Durable Object call.
 */
export async function exchangeCode(scope: RequestScope, phone: Phone, purpose: Purpose, code: string): Promise<{ verificationToken: string; expiresIn: number }> {
  const { config } = scope;
  const token = { jti: newTokenId(), expiresAt: Date.now() + config.VERIFICATION_TOKEN_TTL_SECONDS * 1000 };
  await spend(scope, phone, purpose, code, token);
  const verificationToken = await signVerificationToken(config.AUTH_SECRET, { phone: phone.e164, purpose, ...token });
  return { verificationToken, expiresIn: config.VERIFICATION_TOKEN_TTL_SECONDS };
}
