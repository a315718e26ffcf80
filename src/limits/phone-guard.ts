import { DurableObject } from "cloudflare:workers";
import type { Purpose } from "../codes/purpose";
import { type Config, getConfig } from "../platform/config";
import { CleanupAlarm } from "./cleanup-alarm";
import type { CheckResult } from "./code-checks";
import * as checks from "./code-checks";
import type { Decision } from "./decision";
import type { PhoneView, RangeView } from "./inspect";
import * as inspection from "./inspect";
import { type LoginResult, recordLogin } from "./password-lockout";
import type { ReserveResult } from "./phone-sends";
import * as sends from "./phone-sends";
import { isPhoneEmpty, type PhoneState, phoneAt } from "./phone-state";
import type { RangeState } from "./range";
import * as ranges from "./range";
import type { TokenResult } from "./verification-tokens";
import * as tokens from "./verification-tokens";

export type { CheckResult } from "./code-checks";
export type { LoginResult } from "./password-lockout";
export type { Refusal, ReserveResult } from "./phone-sends";
export type { CodeState } from "./phone-state";
export type { TokenResult } from "./verification-tokens";

/**
 * Every decision about one number range that must be exact: resend cooldowns, daily caps, guess
 * counts, single use of codes and verification tokens, password-login failures, locks, and the
 * range's fraud statistics. The decisions themselves are pure functions of (state, settings, now)
 * in phone-sends.ts, code-checks.ts, verification-tokens.ts, password-lockout.ts and range.ts;
 * this class only loads, decides and saves.
 *
 * Why a Durable Object: KV is eventually consistent across locations (up to ~60 s) and takes one
 * write per second per key, so a counter or a "used once" flag in KV can be raced. One object is
 * single-threaded, and storage calls with no `await` between them commit atomically, so each RPC
 * method below reads, decides and writes with no await at all: it cannot interleave with another.
 *
 * Why one object per number range (+86 138 0013, src/phone/phone.ts) and not one per phone: the
 * range's fraud statistics and each phone's counters are then answered in the same call, and on
 * the local runtime a Durable Object call (above all to a fresh object) is the costliest step of a
 * request. A phone's state is still held in exactly one place (key `phone:<E.164>`); one object
 * serves ~1,000 requests a second, far above what 10,000 numbers ask of it.
 *
 * Settings: this object reads its own, from its env (getConfig, parsed once per isolate), because
 * it needs about fifteen of them and its callers (src/codes, src/auth) pass only what the request
 * is about; passing them in every RPC would widen every signature for no gain. It hands them on to
 * the pure decisions, each of which declares the part of Config it uses.
 *
 * SQLite-backed (`new_sqlite_classes`), using its synchronous key-value API.
 */

const HOUR = 3600_000;
const RANGE_KEY = "range";
const phoneKey = (phone: string) => `phone:${phone}`;

export class PhoneGuard extends DurableObject<Record<string, unknown>> {
  // An hour is past the shortest window; the alarm re-arms itself while state remains.
  private readonly cleanup = new CleanupAlarm(this.ctx.storage, HOUR);

  private get settings(): Config {
    return getConfig(this.env);
  }

  private loadPhone(phone: string): PhoneState | undefined {
    return this.ctx.storage.kv.get<PhoneState>(phoneKey(phone));
  }

  private savePhone(phone: string, state: PhoneState): void {
    if (isPhoneEmpty(state)) this.ctx.storage.kv.delete(phoneKey(phone));
    else this.ctx.storage.kv.put(phoneKey(phone), state);
    this.cleanup.ensure();
  }

  /** Saves the phone's new state, if the decision made one, and hands back its answer. */
  private apply<R>(phone: string, decision: Decision<R, PhoneState>): R {
    if (decision.state) this.savePhone(phone, decision.state);
    return decision.result;
  }

  private loadRange(): RangeState | undefined {
    return this.ctx.storage.kv.get<RangeState>(RANGE_KEY);
  }

  /** Writes the range's new state, if the decision made one, or deletes it when empty. */
  private saveRange(state: RangeState | undefined): void {
    if (!state) return;
    if (ranges.isRangeEmpty(state)) this.ctx.storage.kv.delete(RANGE_KEY);
    else this.ctx.storage.kv.put(RANGE_KEY, state);
  }

  /**
   * Checks every send limit and, if all pass, records the send and makes the new code the phone's
   * current code for `purpose` (replacing the old one). The caller then sends the SMS and calls
   * `cancelSend` if that fails, so a failed send neither starts the cooldown nor counts.
   *
   * A send that counts for the range is judged by the range's fraud rule in the same call, on the
   * range state already loaded (the send that tips the ratio counts too). The block remembers that
   * send, so cancelSend can lift a block whose triggering send never went out.
   */
  reserve(phone: string, purpose: Purpose, options: { countForRange: boolean; decoy?: boolean }): ReserveResult & { rangeBlockedNow?: boolean } {
    const now = Date.now();
    const cfg = this.settings;
    const range = ranges.rangeAt(this.loadRange(), cfg, now);
    const request = { purpose, codeId: crypto.randomUUID(), countForRange: options.countForRange, decoy: options.decoy, rangeBlockedUntil: range.blockedUntil };
    const reserved = this.apply(phone, sends.reserve(this.loadPhone(phone), cfg, now, request));
    if (!reserved.ok || !options.countForRange) return reserved;

    const judged = ranges.countSend(range, cfg, now, reserved.codeId);
    this.saveRange(judged.state);
    return { ...reserved, rangeBlockedNow: judged.result.blockedNow };
  }

  /**
   * Undoes a reservation whose SMS was not delivered: no code is left, the cooldown and count are
   * restored. `keepCooldown` (a provider throttled the number) keeps the send's cooldown and count.
   */
  cancelSend(phone: string, codeId: string, options: { countedForRange: boolean; keepCooldown?: boolean }): void {
    const now = Date.now();
    const cfg = this.settings;
    const pending = this.apply(phone, sends.cancel(this.loadPhone(phone), cfg, now, codeId, options.keepCooldown));
    if (pending && options.countedForRange) {
      this.saveRange(ranges.uncountSend(this.loadRange(), cfg, now, { sendId: codeId, sentAt: pending.sentAt }).state);
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
    const cfg = this.settings;
    const checked = checks.check(this.loadPhone(phone), cfg, now, { purpose, codeId, matches, issueToken });
    const result = this.apply(phone, checked);
    if (checked.countSuccess) this.saveRange(ranges.countSuccess(this.loadRange(), cfg, now).state);
    return result;
  }

  /**
   * Undoes a successful checkCode whose request was refused anyway (its client address was over
   * its limit, asked in parallel, or the work the code was spent on failed): the code is usable
   * again, the token it issued is void, and its range success is taken back from the minute it
   * was counted in.
   */
  reopenCode(phone: string, purpose: Purpose, codeId: string, jti?: string): void {
    const now = Date.now();
    const cfg = this.settings;
    const { takeBackSuccessAt } = this.apply(phone, checks.reopen(this.loadPhone(phone), cfg, now, { purpose, codeId, jti }));
    if (takeBackSuccessAt !== undefined) this.saveRange(ranges.uncountSuccess(this.loadRange(), cfg, now, takeBackSuccessAt).state);
  }

  /** Spends a verification token (reset, change of phone). */
  consumeToken(phone: string, jti: string, purpose: Purpose): TokenResult {
    return this.apply(phone, tokens.consume(this.loadPhone(phone), this.settings, Date.now(), { jti, purpose }));
  }

  /** Whether a token is still live (registered, unspent, unexpired); changes nothing. */
  tokenLive(phone: string, jti: string, purpose: Purpose): boolean {
    return tokens.isLive(this.loadPhone(phone), this.settings, Date.now(), { jti, purpose });
  }

  /** Step 3: keeps the password hash beside the token, until the token expires. Repeatable. */
  stagePassword(phone: string, jti: string, passwordHash: string): TokenResult {
    return this.apply(phone, tokens.stagePassword(this.loadPhone(phone), this.settings, Date.now(), { jti, passwordHash }));
  }

  /** Step 4: spends the token and hands over the staged hash; without step 3 the token stays usable. */
  takeRegistration(phone: string, jti: string): TokenResult {
    return this.apply(phone, tokens.takeRegistration(this.loadPhone(phone), this.settings, Date.now(), jti));
  }

  /** Puts a spent token back when the work it was spent on failed for a reason that is not the user's. */
  restoreToken(phone: string, jti: string, purpose: Purpose, expiresAt: number, passwordHash?: string): void {
    this.apply(phone, tokens.restore(this.loadPhone(phone), this.settings, Date.now(), { jti, purpose, expiresAt, passwordHash }));
  }

  /**
   * Records one password login's outcome, or refuses it while the phone is locked out. Called
   * after the hash was checked, so that a locked phone learns nothing about the password.
   */
  passwordLogin(phone: string, success: boolean): LoginResult {
    return this.apply(phone, recordLogin(this.loadPhone(phone), this.settings, Date.now(), success));
  }

  /** An operator's view of one phone's limits and its range's (GET /v1/admin/phones/{phone}). */
  inspect(phone: string): PhoneView {
    return inspection.phoneView(this.loadPhone(phone), this.loadRange(), this.settings, Date.now());
  }

  /** An operator's unlock (inspect.ts says what it clears); answers the view after it. */
  unlock(phone: string): PhoneView {
    const now = Date.now();
    const cfg = this.settings;
    this.apply(phone, inspection.unlock(this.loadPhone(phone), cfg, now));
    return inspection.phoneView(this.loadPhone(phone), this.loadRange(), cfg, now);
  }

  /** The range's own state: its window's counts and its block. */
  inspectRange(): RangeView {
    return inspection.rangeView(this.loadRange(), this.settings, Date.now());
  }

  /** An operator's lift of the range's block (and of its window's counts). */
  liftRangeBlock(): { lifted: boolean } {
    const decided = inspection.liftBlock(this.loadRange(), this.settings, Date.now());
    this.saveRange(decided.state);
    return decided.result;
  }

  /** Drops every phone's expired state and the range's old buckets, then sleeps until next needed. */
  override async alarm(): Promise<void> {
    await this.cleanup.run((now) => {
      const cfg = this.settings;
      let anything = false;
      // Listed up front: a put of a changed value during kv.list() iteration makes the cursor visit
      // that key again (harmless here only because pruning is idempotent).
      for (const [key, value] of [...this.ctx.storage.kv.list<PhoneState>({ prefix: "phone:" })]) {
        const state = phoneAt(value, cfg, now);
        if (isPhoneEmpty(state)) this.ctx.storage.kv.delete(key);
        else {
          this.ctx.storage.kv.put(key, state);
          anything = true;
        }
      }
      const range = ranges.rangeAt(this.loadRange(), cfg, now);
      this.saveRange(range);
      return anything || !ranges.isRangeEmpty(range);
    });
  }
}
