import { sha256Hex } from "../platform/crypto";

/**
 * The key a client address is counted under: an IPv4 address as is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64, so counting single v6 addresses would let it rotate
 * through 2^64 of them). Anything unparseable is counted under one shared key, never skipped.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return "ip:unknown";
  const ip = address.trim();
  const v4 = ipv4(ip);
  if (v4) return `ip:${v4}`;
  // An IPv4-mapped IPv6 address (::ffff:1.2.3.4, 0:0:0:0:0:ffff:1.2.3.4) is that IPv4 client: counted by its /64 (::),
  // every such client would share one key and one limit.
  const mapped = /^[0:]*:ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) {
    const inner = ipv4(mapped[1]!);
    return inner ? `ip:${inner}` : "ip:unknown";
  }
  const groups = expandIpv6(ip);
  if (!groups) return "ip:unknown";
  return `ip6:${groups.slice(0, 4).join(":")}::/64`;
}

/** Dotted-quad IPv4 in canonical form (no leading zeros), or undefined (also for an octet over 255). */
function ipv4(ip: string): string | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return undefined;
  const octets = ip.split(".").map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.join(".");
}

function expandIpv6(ip: string): string[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(ip) || !ip.includes(":")) return undefined;
  const [head = "", tail, extra] = ip.split("::");
  if (extra !== undefined) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  // An embedded IPv4 tail (64:ff9b::1.2.3.4) only matters past the /64, so it counts as two groups.
  const fix = (groups: string[]) => groups.flatMap((g) => (g.includes(".") ? ["0", "0"] : [g]));
  const l = fix(left);
  const r = fix(right);
  const missing = 8 - l.length - r.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...l, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...r];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}

/**
 * How a limited client shows in the logs: the first 12 hex digits of the SHA-256 of its key. Lines
 * about one address or /64 can be grouped without the address itself being written down.
 */
export async function clientTag(address: string | undefined): Promise<string> {
  return (await sha256Hex(clientKey(address))).slice(0, 12);
}
