import type { Config } from "./config";
import type { Logger } from "./log";

/**
 * What a domain call needs from the request that made it: the bindings, the parsed settings, a
 * logger carrying the request id, the caller's address and a way to finish work after the answer.
 * Built once per request by src/http/context.ts; declared here so that the domain (auth/, codes/)
 * depends on this plain shape and not on Hono.
 */
export interface RequestScope {
  env: Env;
  config: Config;
  log: Logger;
  clientIp: string | undefined;
  /** The client's User-Agent and Cloudflare's country code for it, kept on the sessions it starts. */
  userAgent?: string | undefined;
  country?: string | undefined;
  /** Runs work after the answer is sent (waitUntil): cleanup nobody waits for. */
  defer: (work: Promise<unknown>) => void;
  /**
   * Resolves once the request's answer is built: work that must not delay the answer waits for it
   * (the audit trail's group commit). Absent outside a request (Cron).
   */
  answered?: Promise<void>;
}
