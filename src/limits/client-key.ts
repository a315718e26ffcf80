import { hmac, toHex } from "../platform/crypto";

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

/** One layer of a client's limits: the key its ClientGuard is named by, and which caps apply. */
export interface ClientLayer {
  key: string;
  layer: "address" | "ipv6/56" | "ipv6/48";
}

/**
 * Every key a client address is counted under. An IPv4 address (or anything unparseable) has one;
 * an IPv6 address has three: its /64 (the per-address caps), its /56 and its /48 (caps of their
 * own), so rotating through the 65,536 /64s of one /48 allocation does not make fresh clients.
 */
export function clientLayers(address: string | undefined): ClientLayer[] {
  const key = clientKey(address);
  const layers: ClientLayer[] = [{ key, layer: "address" }];
  if (!key.startsWith("ip6:")) return layers;
  const groups = key.slice(4, -"::/64".length).split(":");
  const g3 = Number.parseInt(groups[3] ?? "0", 16);
  const hex = (n: number) => n.toString(16);
  layers.push({ key: `ip6:${groups.slice(0, 3).join(":")}:${hex(g3 & 0xff00)}::/56`, layer: "ipv6/56" });
  layers.push({ key: `ip6:${groups.slice(0, 3).join(":")}::/48`, layer: "ipv6/48" });
  return layers;
}

/**
 * How a limited client shows in the logs: the first 12 hex digits of an HMAC of its key under
 * AUTH_SECRET. Lines about one address or prefix can be grouped, but the tag cannot be reversed:
 * an unkeyed hash of an IPv4 address is undone by trying all 2^32 of them.
 */
export async function clientTag(secret: string, key: string): Promise<string> {
  return toHex(await hmac(secret, `client|${key}`)).slice(0, 12);
}
