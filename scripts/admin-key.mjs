/**
 * `npm run admin-key:new`: prints a new admin key and its SHA-256. The key goes to the operator
 * (a password manager); only the hash goes into the deployment, as ADMIN_API_KEYS (docs/admin.md).
 * Plain JavaScript on node:crypto: it runs on the operator's machine, not in the Worker.
 */
import { createHash, randomBytes } from "node:crypto";

const key = `eak_${randomBytes(32).toString("base64url")}`;
const hash = createHash("sha256").update(key).digest("hex");
console.log(`admin key (give it to the operator, store it nowhere else): ${key}`);
console.log(`its SHA-256 (add to ADMIN_API_KEYS, comma-separated):     ${hash}`);
console.log("");
console.log("npx wrangler secret put ADMIN_API_KEYS --env production   # paste the hash list");
