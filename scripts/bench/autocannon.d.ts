// autocannon 9 ships no types (and there is no @types/autocannon at this version): the part of
// its API the benchmark uses, as in its README ("Customizing sent requests", events, results).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  /** Per-request state: autocannon clones it afresh before each request of a connection. */
  export type Context = Record<string, unknown>;

  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  export interface Request extends RequestParams {
    /** Returns the request to send (it may change any field), built afresh for every request. */
    setupRequest?: (req: RequestParams, context: Context) => RequestParams;
    onResponse?: (status: number, body: string, context: Context, headers: Record<string, string>) => void;
  }

  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Seconds before a request counts as timed out (a `reqError`). */
    timeout?: number;
    requests?: Request[];
  }

  export interface Histogram {
    mean: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface Result {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    latency: Histogram;
    requests: Histogram;
  }

  /** The connection a response came on. */
  export interface Client {
    requestIterator: { context: Context };
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {
    on(event: "start", listener: () => void): this;
    on(event: "response", listener: (client: Client, status: number, bytes: number, responseMs: number) => void): this;
    on(event: "reqError", listener: (error: Error) => void): this;
  }

  export default function autocannon(options: Options): Instance;
}
