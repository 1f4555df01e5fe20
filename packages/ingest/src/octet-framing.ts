/**
 * RFC 6587 §3.4.1 octet counting, the framing of syslog over TCP and over TLS (RFC 5425 §4.3):
 *
 * ```
 * SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG       MSG-LEN = NONZERO-DIGIT *DIGIT (octets of SYSLOG-MSG)
 * 97 <38>1 2026-01-01T09:00:00Z bastion sshd 4711 - - Accepted publickey for alice from …
 * ```
 *
 * An incremental decoder: the listener pushes whatever chunks the socket delivers and gets the
 * complete frames back, however the stream was cut. Bounded: a frame longer than `maxFrame`
 * bytes is refused as soon as its length is read, before any of it is buffered, and a length
 * field may not have more digits than `maxFrame` has. Strict: no leading zero, no empty length,
 * exactly one SP. Non-transparent framing (messages ended by LF, the other RFC 6587 method) is
 * refused with `not-octet-counted`: it cannot carry a message with a newline, and guessing
 * between the two per frame is how receivers get desynchronised.
 *
 * After an error the stream cannot be resynchronised (the next length is not known), so the
 * decoder stays failed and the listener closes the connection. `end()` says whether the stream
 * stopped in the middle of a frame. Positions are byte offsets from the start of the stream.
 */
import { IngestError, atByte } from './errors.js';
import { MAX_SYSLOG_MESSAGE } from './syslog.js';

/** Incremental RFC 6587 octet-counting decoder. */
export class OctetCountingDecoder {
  private readonly maxDigits: number;
  /** Offset in the stream of the next byte pushed. */
  private offset = 0;
  /** Digits of the length being read (state `len`). */
  private digits = '';
  private lenStart = 0;
  /** The frame being filled (state `body`). */
  private frame: Uint8Array | undefined;
  private filled = 0;
  private failed: IngestError | undefined;

  constructor(readonly maxFrame: number = MAX_SYSLOG_MESSAGE) {
    if (!Number.isSafeInteger(maxFrame) || maxFrame < 1) throw new RangeError('maxFrame must be a positive integer');
    this.maxDigits = String(maxFrame).length;
  }

  /**
   * Consumes a chunk; returns the frames it completed (each a copy). Throws only
   * {@link IngestError}, and then the frames the chunk completed before the error are lost: a
   * receiver should use {@link decode}.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const r = this.decode(chunk);
    if (r.error !== undefined) throw r.error;
    return r.frames;
  }

  /**
   * Consumes a chunk; returns the frames it completed, and the framing error that stopped it if
   * one did (the frames before the error are still returned). Never throws for bad input.
   */
  decode(chunk: Uint8Array): { frames: Uint8Array[]; error?: IngestError } {
    if (this.failed !== undefined) return { frames: [], error: this.failed };
    const out: Uint8Array[] = [];
    try {
      this.run(chunk, out);
    } catch (e) {
      if (e instanceof IngestError) return { frames: out, error: e };
      throw e;
    }
    return { frames: out };
  }

  private run(chunk: Uint8Array, out: Uint8Array[]): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.frame !== undefined) {
        const n = Math.min(chunk.length - i, this.frame.length - this.filled);
        this.frame.set(chunk.subarray(i, i + n), this.filled);
        this.filled += n;
        i += n;
        if (this.filled === this.frame.length) {
          out.push(this.frame);
          this.frame = undefined;
        }
        continue;
      }
      const x = chunk[i]!;
      const at = this.offset + i;
      if (x >= 0x30 && x <= 0x39) {
        if (this.digits === '') this.lenStart = at;
        if (this.digits === '' && x === 0x30) this.fail('bad-frame-length', 'MSG-LEN may not start with 0', at);
        this.digits += String.fromCharCode(x);
        if (this.digits.length > this.maxDigits) this.fail('frame-too-long', `frame longer than ${this.maxFrame} bytes`, this.lenStart);
        i++;
        continue;
      }
      if (x === 0x20 && this.digits !== '') {
        const len = Number(this.digits);
        if (len > this.maxFrame) this.fail('frame-too-long', `frame longer than ${this.maxFrame} bytes`, this.lenStart);
        this.digits = '';
        this.frame = new Uint8Array(len);
        this.filled = 0;
        i++;
        continue;
      }
      if (this.digits === '' && x === 0x3c) this.fail('not-octet-counted', 'a frame starts with < : non-transparent framing is not accepted, configure octet counting', at);
      this.fail('bad-frame-length', 'expected MSG-LEN digits and one SP', at);
    }
    this.offset += chunk.length;
  }

  /** The stream ended: throws `truncated` if it ended inside a frame or its length. */
  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.frame !== undefined || this.digits !== '') this.fail('truncated', 'the stream ended inside a frame', this.offset);
  }

  private fail(code: string, message: string, at: number): never {
    this.failed = new IngestError('syslog', code, atByte(at), message);
    throw this.failed;
  }
}
