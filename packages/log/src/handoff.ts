/**
 * The sequencer → integrator hand-off: after each durable group commit the sequencer puts the
 * stored entries and the leaf hashes it computed into a {@link SequencedBuffer}; the integrator
 * takes them from there instead of reading the entries back from storage and hashing them again.
 * The node creates one buffer and passes it to both, so neither reaches into the other's module.
 */

/** Most entry bytes the sequencer → integrator handoff holds; beyond it the integrator reads storage. */
export const SEQUENCED_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Durable, not yet integrated entries with their leaf hashes, for indices [start, start + length),
 * contiguous. Appends that do not continue the run are dropped unless the buffer is empty (then
 * the run restarts there); the integrator reads anything missing from storage.
 */
export class SequencedBuffer {
  #start = 0n;
  #entries: Uint8Array[] = [];
  #hashes: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  readonly #maxBytes: number;

  constructor(maxBytes = SEQUENCED_BUFFER_MAX_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Index one past the last buffered entry. */
  get end(): bigint {
    return this.#start + BigInt(this.#entries.length - this.#head);
  }

  /** Bytes of entries held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds entries [from, from + entries.length) (durable) with their leaf hashes. */
  append(from: bigint, entries: readonly Uint8Array[], hashes: readonly Uint8Array[]): void {
    if (entries.length === 0) return;
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#hashes = [];
      this.#head = 0;
      this.#bytes = 0;
      this.#start = from;
    } else if (from !== this.end) {
      return;
    }
    let add = 0;
    for (const e of entries) add += e.length;
    if (this.#bytes + add > this.#maxBytes) {
      // Stop the run here: later appends do not continue it, so they are read from storage.
      return;
    }
    for (let i = 0; i < entries.length; i++) {
      this.#entries.push(entries[i] as Uint8Array);
      this.#hashes.push(hashes[i] as Uint8Array);
    }
    this.#bytes += add;
  }

  /**
   * Buffered entries and leaf hashes for [from, min(limit, end)), at most `maxBytes` of entries
   * (at least one); undefined when `from` is not buffered.
   */
  slice(from: bigint, limit: bigint, maxBytes: number): { entries: Uint8Array[]; hashes: Uint8Array[] } | undefined {
    if (from < this.#start || from >= this.end || limit <= from) return undefined;
    const a = this.#head + Number(from - this.#start);
    const endAt = this.#head + Number((limit < this.end ? limit : this.end) - this.#start);
    let b = a;
    let bytes = 0;
    while (b < endAt && (b === a || bytes + (this.#entries[b] as Uint8Array).length <= maxBytes)) {
      bytes += (this.#entries[b] as Uint8Array).length;
      b++;
    }
    return { entries: this.#entries.slice(a, b), hashes: this.#hashes.slice(a, b) };
  }

  /** Forgets entries below `index` (integrated). */
  dropBelow(index: bigint): void {
    while (this.#head < this.#entries.length && this.#start < index) {
      this.#bytes -= (this.#entries[this.#head] as Uint8Array).length;
      this.#head++;
      this.#start++;
    }
    if (this.#head > 65536 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#hashes = this.#hashes.slice(this.#head);
      this.#head = 0;
    }
  }
}
