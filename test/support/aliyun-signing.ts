/**
 * Aliyun's published signing algorithms rebuilt for the tests, independent of src/: the encoding,
 * the canonical request and the HMACs come from Aliyun's documentation and use crypto.subtle
 * directly. The SMS and the one-tap (Dypnsapi) tests check what the Worker sent against these.
 */
import { hex } from "./intercept";

const enc = new TextEncoder();

/** RFC 3986 percent-encoding as Aliyun applies it (`!'()*` encoded too). */
export const aliyunEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export async function hmacBytes(key: string, data: string, hash: "SHA-256" | "SHA-1"): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

/** ACS3-HMAC-SHA256 (signature V3) over POST / with the query as sent and an empty body. */
export async function expectedAcs3Signature(request: Request, secret: string): Promise<string> {
  const url = new URL(request.url);
  const h = (name: string) => request.headers.get(name) ?? "";
  const canonical = [
    "POST",
    "/",
    url.search.slice(1),
    `host:${url.host}`,
    `x-acs-action:${h("x-acs-action")}`,
    `x-acs-content-sha256:${h("x-acs-content-sha256")}`,
    `x-acs-date:${h("x-acs-date")}`,
    `x-acs-signature-nonce:${h("x-acs-signature-nonce")}`,
    `x-acs-version:${h("x-acs-version")}`,
    "",
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  ].join("\n");
  const hashed = hex(await crypto.subtle.digest("SHA-256", enc.encode(canonical)));
  return hex(await hmacBytes(secret, `ACS3-HMAC-SHA256\n${hashed}`, "SHA-256"));
}
