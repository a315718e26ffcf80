import { DurableObject } from "cloudflare:workers";
import type { Purpose } from "../codes/purpose";
import { type Config, getConfig } from "../platform/config";
import { add, type Buckets, prune, total } from "./window";

/**
 * Every decision about one number range that must be exact: resend cooldowns, daily caps, guess
 * counts, single use of codes and verification tokens, password-login failures, locks, and the
 * range's fraud statistics.
 *
 * Why a Durable Object: KV is eventually consistent across locations (up to ~60 s) and takes one
 * write per second per key, so a counter or a "used once" flag in KV can be raced. One object is
 * single-threaded, and storage calls with no `await` between them commit atomically, so each RPC
 * method below reads, decides and writes with no await at all: it cannot interleave with another.
 *
 * Why one object per number range (+86 138 0013, src/phone.ts) and not one per phone: the range's
 * fraud statistics and each phone's counters are then answered in the same call, and on the local
 * runtime a Durable Object call (above all to a fresh object) is the costliest step of a request.
 * A phone's state is still held in exactly one place (key `phone:<E.164>`); one object serves
 * ~1,000 requests a second, far above what 10,000 numbers ask of it.
 *
 * SQLite-backed (`new_sqlite_classes`), using its synchronous key-value API.
 */

export interface CodeState {
  id: string;
  expiresAt: number;
  attempts: number;
  status: "active" | "used" | "burned";
  /** Whether its verification counts as a success for the range (false for test numbers and unknown resets). */
  countsForRange?: boolean;
  /**
   * A reset code for a number with no account: stored like a real one so that guessing at it
   * answers exactly like guessing at a real one, but no SMS carried it, so it never verifies.
   */
  decoy?: boolean;
}

interface TokenState {
  purpose: Purpose;
  expiresAt: number;
  /** Step 3 of the password registration: the PBKDF2 string, never the password. */
  passwordHash?: string;
}

interface PendingSend {
  purpose: Purpose;
  sentAt: number;
  previousCode?: CodeState;
  previousLastSendAt?: number;
}

interface PhoneState {
  codes: Partial<Record<Purpose, CodeState>>;
  /** Times of sends that count toward the rolling 24-hour cap. */
  sends: number[];
  lastSendAt?: number;
  pending: Record<string, PendingSend>;
  /** Wrong codes over the guess window, whatever code they were aimed at (survives resends). */
  guessFailures: number[];
  lockedUntil?: number;
  tokens: Record<string, TokenState>;
  loginFailures: number[];
}

interface RangeState {
  sends: Buckets;
  successes: Buckets;
  blockedUntil?: number;
  /** The send that tripped the block: if that send is given back (refused, not delivered), so is the block. */
  blockedBy?: string;
}

export interface Refusal {
  ok: false;
  reason: "cooldown" | "daily_cap" | "locked" | "range_blocked";
  retryAfterMs: number;
}

export type ReserveResult = { ok: true; codeId: string } | Refusal;

export type CheckResult =
  | { ok: true }
  | { ok: false; reason: "expired" }
  | { ok: false; reason: "invalid"; attemptsLeft: number; lockedNow: boolean }
  | { ok: false; reason: "too_many_attempts" | "locked"; retryAfterMs: number };

export type TokenResult = { ok: true; passwordHash?: string } | { ok: false; reason: "invalid" | "password_required" };

/** `lockedNow`: this failure was the one that locked the phone (logged once, as password.locked). */
export type LoginResult = { ok: true; lockedNow: boolean } | { ok: false; reason: "locked"; retryAfterMs: number };

const DAY = 24 * 3600_000;
const PENDING_TTL = 5 * 60_000;
const RANGE_KEY = "range";
const phoneKey = (phone: string) => `phone:${phone}`;

function emptyPhone(): PhoneState {
  return { codes: {}, sends: [], pending: {}, guessFailures: [], tokens: {}, loginFailures: [] };
}

export class PhoneGuard extends DurableObject<Record<string, unknown>> {
  private alarmSet = false;

  private get config(): Config {
    return getConfig(this.env);
  }

  private loadPhone(phone: string, now: number): PhoneState {
    const state = this.ctx.storage.kv.get<PhoneState>(phoneKey(phone)) ?? emptyPhone();
    return this.prunePhone(state, now);
  }

  private prunePhone(state: PhoneState, now: number): PhoneState {
    const cfg = this.config;
    state.sends = state.sends.filter((t) => t > now - DAY);
    state.guessFailures = state.guessFailures.filter((t) => t > now - cfg.PHONE_GUESS_WINDOW_SECONDS * 1000);
    state.loginFailures = state.loginFailures.filter((t) => t > now - cfg.LOGIN_FAILURE_WINDOW_SECONDS * 1000);
    if (state.lockedUntil !== undefined && state.lockedUntil <= now) delete state.lockedUntil;
    if (state.lastSendAt !== undefined && state.lastSendAt <= now - cfg.RESEND_INTERVAL_SECONDS * 1000 && state.sends.length === 0) {
      delete state.lastSendAt;
    }
    for (const [purpose, code] of Object.entries(state.codes)) {
      // A burned code is kept until a resend is possible: it is what answers "too many attempts".
      if (code.expiresAt <= now && (code.status !== "burned" || this.nextSendAt(state, now) <= now)) delete state.codes[purpose as Purpose];
    }
    for (const [jti, token] of Object.entries(state.tokens)) if (token.expiresAt <= now) delete state.tokens[jti];
    for (const [id, pending] of Object.entries(state.pending)) if (pending.sentAt <= now - PENDING_TTL) delete state.pending[id];
    return state;
  }

  private isEmpty(state: PhoneState): boolean {
    return (
      state.sends.length === 0 &&
      state.guessFailures.length === 0 &&
      state.loginFailures.length === 0 &&
      state.lockedUntil === undefined &&
      state.lastSendAt === undefined &&
      Object.keys(state.codes).length === 0 &&
      Object.keys(state.tokens).length === 0 &&
      Object.keys(state.pending).length === 0
    );
  }

  private savePhone(phone: string, state: PhoneState): void {
    if (this.isEmpty(state)) this.ctx.storage.kv.delete(phoneKey(phone));
    else this.ctx.storage.kv.put(phoneKey(phone), state);
    this.ensureAlarm();
  }

  private loadRange(now: number): RangeState {
    const windowMs = this.config.PREFIX_WINDOW_SECONDS * 1000;
    const state = this.ctx.storage.kv.get<RangeState>(RANGE_KEY) ?? { sends: {}, successes: {} };
    state.sends = prune(state.sends, now, windowMs);
    state.successes = prune(state.successes, now, windowMs);
    if (state.blockedUntil !== undefined && state.blockedUntil <= now) {
      delete state.blockedUntil;
      delete state.blockedBy;
    }
    return state;
  }

  private saveRange(state: RangeState): void {
    if (total(state.sends) === 0 && total(state.successes) === 0 && state.blockedUntil === undefined) {
      this.ctx.storage.kv.delete(RANGE_KEY);
    } else {
      this.ctx.storage.kv.put(RANGE_KEY, state);
    }
  }

  /** When this phone may be sent a new code: cooldown, the rolling daily cap and a lock. */
  private nextSendAt(state: PhoneState, now: number): number {
    const cfg = this.config;
    let at = now;
    if (state.lastSendAt !== undefined) at = Math.max(at, state.lastSendAt + cfg.RESEND_INTERVAL_SECONDS * 1000);
    if (state.sends.length >= cfg.DAILY_SENDS_PER_PHONE) {
      const sorted = [...state.sends].sort((a, b) => a - b);
      at = Math.max(at, sorted[state.sends.length - cfg.DAILY_SENDS_PER_PHONE]! + DAY);
    }
    if (state.lockedUntil !== undefined) at = Math.max(at, state.lockedUntil);
    return at;
  }

  /**
   * Checks every send limit and, if all pass, records the send and makes the new code the phone's
   * current code for `purpose` (replacing the old one). The caller then sends the SMS and calls
   * `cancelSend` if that fails, so a failed send neither starts the cooldown nor counts.
   *
   * A send that counts for the range is judged by the range's fraud rule in the same call (the
   * send that tips the ratio counts too). The block remembers that send, so cancelSend can lift a
   * block whose triggering send never went out: refused requests cannot block a range for free.
   */
  reserve(phone: string, purpose: Purpose, options: { countForRange: boolean; decoy?: boolean }): ReserveResult & { rangeBlockedNow?: boolean } {
    const now = Date.now();
    const cfg = this.config;
    const state = this.loadPhone(phone, now);
    const range = this.loadRange(now);

    if (state.lockedUntil !== undefined) return { ok: false, reason: "locked", retryAfterMs: state.lockedUntil - now };
    if (range.blockedUntil !== undefined) return { ok: false, reason: "range_blocked", retryAfterMs: range.blockedUntil - now };
    if (state.lastSendAt !== undefined && now < state.lastSendAt + cfg.RESEND_INTERVAL_SECONDS * 1000) {
      return { ok: false, reason: "cooldown", retryAfterMs: state.lastSendAt + cfg.RESEND_INTERVAL_SECONDS * 1000 - now };
    }
    if (state.sends.length >= cfg.DAILY_SENDS_PER_PHONE) {
      return { ok: false, reason: "daily_cap", retryAfterMs: this.nextSendAt(state, now) - now };
    }

    const codeId = crypto.randomUUID();
    state.pending[codeId] = { purpose, sentAt: now, previousCode: state.codes[purpose], previousLastSendAt: state.lastSendAt };
    state.codes[purpose] = {
      id: codeId,
      expiresAt: now + cfg.CODE_TTL_SECONDS * 1000,
      attempts: 0,
      status: "active",
      countsForRange: options.countForRange,
      ...(options.decoy ? { decoy: true } : {}),
    };
    state.sends.push(now);
    state.lastSendAt = now;
    this.savePhone(phone, state);
    if (!options.countForRange) return { ok: true, codeId };

    add(range.sends, now);
    const sends = total(range.sends);
    const rangeBlockedNow = sends >= cfg.PREFIX_MIN_SENDS && total(range.successes) * 100 < sends * cfg.PREFIX_MIN_SUCCESS_PERCENT;
    if (rangeBlockedNow) {
      range.blockedUntil = now + cfg.PREFIX_BLOCK_SECONDS * 1000;
      range.blockedBy = codeId;
    }
    this.saveRange(range);
    return { ok: true, codeId, rangeBlockedNow };
  }

  /**
   * Undoes a reservation whose SMS was not delivered: no code is left, the cooldown and count are
   * restored. `keepCooldown` (a provider throttled the number) keeps the send's cooldown and count.
   */
  cancelSend(phone: string, codeId: string, options: { countedForRange: boolean; keepCooldown?: boolean }): void {
    const now = Date.now();
    const state = this.loadPhone(phone, now);
    const pending = state.pending[codeId];
    if (!pending) return;
    delete state.pending[codeId];
    if (state.codes[pending.purpose]?.id === codeId) {
      if (pending.previousCode) state.codes[pending.purpose] = pending.previousCode;
      else delete state.codes[pending.purpose];
    }
    const index = options.keepCooldown ? -1 : state.sends.lastIndexOf(pending.sentAt);
    if (index >= 0) state.sends.splice(index, 1);
    if (state.lastSendAt === pending.sentAt && !options.keepCooldown) {
      if (pending.previousLastSendAt === undefined) delete state.lastSendAt;
      else state.lastSendAt = pending.previousLastSendAt;
    }
    this.savePhone(phone, state);
    if (options.countedForRange) {
      const range = this.loadRange(now);
      add(range.sends, pending.sentAt, -1);
      if (range.blockedBy === codeId) {
        delete range.blockedUntil;
        delete range.blockedBy;
      }
      this.saveRange(range);
    }
  }

  /**
   * One guess at the current code. The Worker compared the code with the hash from KV (in
   * constant time) and passes only the outcome; this decides, atomically, whether the guess is
   * allowed and the code still unused. On success the code is spent and, if asked, a
   * verification token id is registered for single use.
   */
  checkCode(phone: string, purpose: Purpose, codeId: string, matches: boolean, issueToken?: { jti: string; expiresAt: number }): CheckResult {
    const now = Date.now();
    const cfg = this.config;
    const state = this.loadPhone(phone, now);

    if (state.lockedUntil !== undefined) return { ok: false, reason: "locked", retryAfterMs: state.lockedUntil - now };
    const code = state.codes[purpose];
    if (code?.status === "burned" && code.id === codeId) {
      return { ok: false, reason: "too_many_attempts", retryAfterMs: this.nextSendAt(state, now) - now };
    }
    if (!code || code.id !== codeId || code.status !== "active" || code.expiresAt <= now) return { ok: false, reason: "expired" };

    if (matches && !code.decoy) {
      code.status = "used";
      if (issueToken) state.tokens[issueToken.jti] = { purpose, expiresAt: issueToken.expiresAt };
      this.savePhone(phone, state);
      if (code.countsForRange) {
        const range = this.loadRange(now);
        add(range.successes, now);
        this.saveRange(range);
      }
      return { ok: true };
    }

    code.attempts += 1;
    if (code.attempts >= cfg.MAX_VERIFY_ATTEMPTS) code.status = "burned";
    state.guessFailures.push(now);
    let lockedNow = false;
    if (state.guessFailures.length >= cfg.PHONE_MAX_FAILED_GUESSES) {
      state.lockedUntil = now + cfg.PHONE_LOCK_SECONDS * 1000;
      lockedNow = true;
    }
    this.savePhone(phone, state);
    return { ok: false, reason: "invalid", attemptsLeft: lockedNow ? 0 : cfg.MAX_VERIFY_ATTEMPTS - code.attempts, lockedNow };
  }

  /**
   * Undoes a successful checkCode whose request was refused anyway (its client address was over
   * its limit, asked in parallel): the code is usable again and the token it issued is void.
   */
  reopenCode(phone: string, purpose: Purpose, codeId: string, jti?: string): void {
    const now = Date.now();
    const state = this.loadPhone(phone, now);
    const code = state.codes[purpose];
    if (code?.id === codeId && code.status === "used") {
      code.status = "active";
      // Its success is taken back too, or one owned number could prop up its range's ratio.
      if (code.countsForRange) {
        const range = this.loadRange(now);
        add(range.successes, now, -1);
        this.saveRange(range);
      }
    }
    if (jti) delete state.tokens[jti];
    this.savePhone(phone, state);
  }

  /** Spends a verification token (reset, change of phone). */
  consumeToken(phone: string, jti: string, purpose: Purpose): TokenResult {
    const now = Date.now();
    const state = this.loadPhone(phone, now);
    const token = state.tokens[jti];
    if (!token || token.purpose !== purpose) return { ok: false, reason: "invalid" };
    delete state.tokens[jti];
    this.savePhone(phone, state);
    return { ok: true };
  }

  /** Step 3: keeps the password hash beside the token, until the token expires. Repeatable. */
  stagePassword(phone: string, jti: string, passwordHash: string): TokenResult {
    const now = Date.now();
    const state = this.loadPhone(phone, now);
    const token = state.tokens[jti];
    if (!token || token.purpose !== "register") return { ok: false, reason: "invalid" };
    token.passwordHash = passwordHash;
    this.savePhone(phone, state);
    return { ok: true };
  }

  /** Step 4: spends the token and hands over the staged hash; without step 3 the token stays usable. */
  takeRegistration(phone: string, jti: string): TokenResult {
    const now = Date.now();
    const state = this.loadPhone(phone, now);
    const token = state.tokens[jti];
    if (!token || token.purpose !== "register") return { ok: false, reason: "invalid" };
    if (!token.passwordHash) return { ok: false, reason: "password_required" };
    delete state.tokens[jti];
    this.savePhone(phone, state);
    return { ok: true, passwordHash: token.passwordHash };
  }

  /** Puts a spent token back when the work it was spent on failed for a reason that is not the user's. */
  restoreToken(phone: string, jti: string, purpose: Purpose, expiresAt: number, passwordHash?: string): void {
    const now = Date.now();
    if (expiresAt <= now) return;
    const state = this.loadPhone(phone, now);
    state.tokens[jti] = passwordHash ? { purpose, expiresAt, passwordHash } : { purpose, expiresAt };
    this.savePhone(phone, state);
  }

  /**
   * Records one password login's outcome, or refuses it while the phone is locked out. Called
   * after the hash was checked, so that a locked phone learns nothing about the password.
   */
  passwordLogin(phone: string, success: boolean): LoginResult {
    const now = Date.now();
    const cfg = this.config;
    const state = this.loadPhone(phone, now);
    const windowMs = cfg.LOGIN_FAILURE_WINDOW_SECONDS * 1000;
    if (state.loginFailures.length >= cfg.LOGIN_MAX_FAILURES) {
      const sorted = [...state.loginFailures].sort((a, b) => a - b);
      const freeAt = sorted[state.loginFailures.length - cfg.LOGIN_MAX_FAILURES]! + windowMs;
      return { ok: false, reason: "locked", retryAfterMs: freeAt - now };
    }
    if (success) state.loginFailures = [];
    else state.loginFailures.push(now);
    this.savePhone(phone, state);
    return { ok: true, lockedNow: !success && state.loginFailures.length === cfg.LOGIN_MAX_FAILURES };
  }

  /** Drops every phone's expired state and the range's old buckets, then sleeps until next needed. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    const now = Date.now();
    let anything = false;
    // Listed up front: a put of a changed value during kv.list() iteration makes the cursor visit
    // that key again (harmless here only because pruning is idempotent).
    for (const [key, value] of [...this.ctx.storage.kv.list<PhoneState>({ prefix: "phone:" })]) {
      const state = this.prunePhone(value, now);
      if (this.isEmpty(state)) this.ctx.storage.kv.delete(key);
      else {
        this.ctx.storage.kv.put(key, state);
        anything = true;
      }
    }
    const range = this.loadRange(now);
    this.saveRange(range);
    if (this.ctx.storage.kv.get(RANGE_KEY) !== undefined) anything = true;
    if (anything) await this.ctx.storage.setAlarm(now + 3600_000);
    else await this.ctx.storage.deleteAll();
  }

  private ensureAlarm(): void {
    if (this.alarmSet) return;
    this.alarmSet = true;
    // Not awaited on purpose: the RPC methods must stay free of awaits to stay atomic, and the
    // alarm does not need to be in place before the answer. An hour is past the shortest window
    // (the alarm re-arms itself while state remains). A failure leaves the flag down to retry.
    this.ctx.storage
      .getAlarm()
      .then((at) => (at === null ? this.ctx.storage.setAlarm(Date.now() + 3600_000) : undefined))
      .catch(() => {
        this.alarmSet = false;
      });
  }
}
