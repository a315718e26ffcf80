/**
 * The cleanup alarm PhoneGuard and ClientGuard share, so that storage holds only phones, ranges
 * and addresses seen recently. An object holding state keeps an alarm at most `everyMs` away; the
 * alarm prunes what has run out, re-arms while anything is left, and otherwise deletes the whole
 * object (`deleteAll`, which takes the alarm with it). The next write arms it again.
 */
export class CleanupAlarm {
  private armed = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly everyMs: number,
  ) {}

  /**
   * Called after a write. Not awaited on purpose: the RPC methods must stay free of awaits to stay
   * atomic (storage calls with no await between them commit together), and the alarm does not
   * need to be in place before the answer. `everyMs` is past the object's shortest window (the
   * alarm re-arms itself while state remains). A failure leaves the flag down, so the next write
   * tries again.
   */
  ensure(): void {
    if (this.armed) return;
    this.armed = true;
    this.storage
      .getAlarm()
      .then((at) => (at === null ? this.storage.setAlarm(Date.now() + this.everyMs) : undefined))
      .catch(() => {
        this.armed = false;
      });
  }

  /**
   * The body of the object's alarm(). `sweep` prunes every key synchronously (no await, so it
   * commits as one) and says whether anything is left: then the alarm comes back in `everyMs`,
   * else the object is deleted.
   */
  async run(sweep: (now: number) => boolean): Promise<void> {
    this.armed = false;
    const now = Date.now();
    if (sweep(now)) await this.storage.setAlarm(now + this.everyMs);
    else await this.storage.deleteAll();
  }
}
