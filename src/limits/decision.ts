/**
 * What every pure decision in src/limits returns: the answer for the caller, and the state to
 * store. `state` is undefined when the call changes nothing worth writing (a refusal, an unknown
 * id); the Durable Object then writes nothing, exactly as it did before the decisions were pure.
 *
 * The decisions take (stored state, settings, now, the request) and never read a clock, storage
 * or `this`, and never change the state they were given; the Durable Objects load, decide and
 * save with no await in between, which is what keeps them exact under concurrency.
 */
export interface Decision<R, S> {
  result: R;
  state: S | undefined;
}
