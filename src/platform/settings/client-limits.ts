import { int } from "./parse";

/**
 * Client-address limits in layers (src/limits/client-limits.ts). An IPv4 address and an IPv6 /64
 * keep IP_SENDS_PER_HOUR and IP_VERIFICATIONS_PER_HOUR (config.ts); an IPv6 /56 and /48 have caps
 * of their own, because one /48 allocation holds 65,536 /64s and each would otherwise be a fresh
 * client. Defaults: a /56 (a household or small office) 5× a /64, a /48 (a site) 20×.
 */
export const clientLimitSettings = {
  IPV6_56_SENDS_PER_HOUR: int(50, 1, 1_000_000),
  IPV6_48_SENDS_PER_HOUR: int(200, 1, 1_000_000),
  IPV6_56_VERIFICATIONS_PER_HOUR: int(150, 1, 1_000_000),
  IPV6_48_VERIFICATIONS_PER_HOUR: int(600, 1, 1_000_000),
};
