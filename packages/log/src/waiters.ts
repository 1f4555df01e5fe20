/**
 * Callers waiting for a checkpoint that covers a tree size (`submit` with wait 'checkpoint' or
 * 'cosigned'): each waits for the first published value whose size reaches its own, or an abort,
 * or a rejection of everyone (integration halted, the node stopping).
 */
import { LogError } from './errors.js';

interface Waiter<T> {
  readonly size: bigint;
  readonly resolve: (v: T) => void;
  readonly reject: (e: unknown) => void;
}

export class SizeWaiters<T extends { readonly size: bigint }> {
  #list: Waiter<T>[] = [];

  /** Resolves with the first released value of at least `size`; an abort rejects with 'aborted'. */
  wait(size: bigint, signal: AbortSignal | undefined, what: string): Promise<T> {
    if (signal?.aborted) return Promise.reject(aborted(what, signal));
    return new Promise((resolve, reject) => {
      const w: Waiter<T> = { size, resolve, reject };
      this.#list.push(w);
      signal?.addEventListener('abort', () => {
        const at = this.#list.indexOf(w);
        if (at >= 0) this.#list.splice(at, 1);
        reject(aborted(what, signal));
      }, { once: true });
    });
  }

  /** Resolves every waiter that `value` covers. */
  release(value: T): void {
    const ready = this.#list.filter((w) => w.size <= value.size);
    if (ready.length === 0) return;
    this.#list = this.#list.filter((w) => w.size > value.size);
    for (const w of ready) w.resolve(value);
  }

  /** Rejects every waiter. */
  rejectAll(err: unknown): void {
    const ws = this.#list;
    this.#list = [];
    for (const w of ws) w.reject(err);
  }
}

function aborted(what: string, signal: AbortSignal): LogError {
  return new LogError('aborted', `stopped waiting for ${what} (the entries are sequenced)`, { cause: signal.reason });
}
