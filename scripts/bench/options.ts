/** Command-line options and their environment variables (`npm run bench -- --help`). */
import { parseArgs } from "node:util";

export const HELP = `Usage: npm run bench [-- options]

Options (environment variable in brackets):
  --duration <s>        measured load time in seconds            [BENCH_DURATION]        default 20
  --connections <n>     concurrent HTTP connections (clients)    [BENCH_CONNECTIONS]     default 16
  --warmup <n>          sign-ins done one by one before measuring [BENCH_WARMUP]         default 5
  --ranges <n>          number ranges (+86 1xx xxxx) the phones are spread over
                        (one PhoneGuard Durable Object each)     [BENCH_RANGES]          default 1000
  --client-ips <n>      distinct CF-Connecting-IP values (198.18.0.0/15, a header only:
                        all traffic still goes to 127.0.0.1); 1 = the machine's own
                        address, as a real single client         [BENCH_CLIENT_IPS]      default 1
  --baseline <s>        first load GET /healthz (no storage) this long, as a floor
                        for comparison; 0 = skip                 [BENCH_BASELINE]        default 5
  --start-timeout <s>   give up if the server is not up by then  [BENCH_START_TIMEOUT]   default 90
  --request-timeout <s> per-request timeout                       [BENCH_REQUEST_TIMEOUT] default 10
  --port <n>            server port (0 = a free one)             [BENCH_PORT]            default 0
  --json <file>         also write the results as JSON
  --keep                keep the temp directory (build, D1/DO state, full server log)
  --profile <file>      also take a CPU profile of the Worker's isolate over the load
                        (through wrangler dev's inspector) and print where its time went
  --help
`;

/** A wrong option value: main prints it with HELP and exits 2. */
export class UsageError extends Error {}

export interface Options {
  duration: number;
  connections: number;
  warmup: number;
  ranges: number;
  clientIps: number;
  baseline: number;
  startTimeout: number;
  requestTimeout: number;
  port: number;
  json: string | undefined;
  keep: boolean;
  profile: string | undefined;
}

type NumberFlag = "duration" | "connections" | "warmup" | "ranges" | "client-ips" | "baseline" | "start-timeout" | "request-timeout" | "port";

/** Parses process.argv; `--help` prints HELP and exits 0. */
export function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      warmup: { type: "string" },
      ranges: { type: "string" },
      "client-ips": { type: "string" },
      baseline: { type: "string" },
      "start-timeout": { type: "string" },
      "request-timeout": { type: "string" },
      port: { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      profile: { type: "string" },
      help: { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (flag: NumberFlag, env: string, fallback: number, min: number, max: number): number => {
    const raw = values[flag] ?? process.env[env];
    const n = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} (${env}) must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  return {
    duration: num("duration", "BENCH_DURATION", 20, 1, 3600),
    connections: num("connections", "BENCH_CONNECTIONS", 16, 1, 1000),
    warmup: num("warmup", "BENCH_WARMUP", 5, 0, 1000),
    ranges: num("ranges", "BENCH_RANGES", 1000, 1, 100000),
    clientIps: num("client-ips", "BENCH_CLIENT_IPS", 1, 1, 65536),
    baseline: num("baseline", "BENCH_BASELINE", 5, 0, 600),
    startTimeout: num("start-timeout", "BENCH_START_TIMEOUT", 90, 1, 3600),
    requestTimeout: num("request-timeout", "BENCH_REQUEST_TIMEOUT", 10, 1, 600),
    port: num("port", "BENCH_PORT", 0, 0, 65535),
    json: values.json,
    keep: values.keep,
    profile: values.profile,
  };
}
