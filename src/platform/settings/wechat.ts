import * as z from "zod/mini";
import { int, preprocess } from "./parse";

/**
 * WeChat Mini Program sign-in (docs/wechat-and-one-tap.md). The app id and secret are optional
 * here: without them the WeChat routes answer 503 wechat_not_configured and everything else runs,
 * as a missing SMS provider only stops sending. The secret is never echoed: a bad value is named.
 */
const optionalText = preprocess((v) => (typeof v === "string" ? v.trim() || undefined : v), z.optional(z.string()));

/**
 * An http(s) URL without a trailing slash, so paths can be appended. `originOnly` refuses a path
 * (Aliyun signs the request path "/", so a prefix would break signing).
 */
export const baseUrl = (fallback: string, originOnly = false) =>
  preprocess(
    (v) => (v === undefined || v === "" ? fallback : typeof v === "string" ? v.trim() : v),
    z.pipe(
      z.string().check(
        z.refine(
          (text) => {
            try {
              const url = new URL(text);
              const plain = !url.search && !url.hash && !url.username && !url.password && (!originOnly || url.pathname === "/");
              return (url.protocol === "https:" || url.protocol === "http:") && plain;
            } catch {
              return false;
            }
          },
          originOnly ? "must be an http(s) origin such as https://host[:port]" : "must be an absolute http(s) URL without query, fragment or credentials",
        ),
      ),
      z.transform((text: string) => text.replace(/\/+$/, "")),
    ),
  );

export const wechatSettings = {
  WECHAT_APP_ID: optionalText,
  /** Secret: `wrangler secret put WECHAT_APP_SECRET`. */
  WECHAT_APP_SECRET: optionalText,
  WECHAT_API_BASE: baseUrl("https://api.weixin.qq.com"),
  /** How long one WeChat call may take before it counts as unavailable (502). */
  WECHAT_TIMEOUT_MS: int(5000, 100, 30000),
  /** How long a phone_required ticket stays usable. */
  WECHAT_TICKET_TTL_SECONDS: int(300, 60, 1800),
};
