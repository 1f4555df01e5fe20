/**
 * A keyed async mutex: `run(key, fn)` runs `fn` after every earlier `run` with the same key has
 * settled; different keys run concurrently. Used per origin so that the check of the old size
 * and the compare-and-swap of one log never interleave with another request for that log (the
 * storage CAS is the second line of defence).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` exclusively for `key`; resolves or rejects with its result. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** How many keys have a holder or waiters (for tests). */
  get size(): number {
    return this.#tails.size;
  }
}
