/**
 * A small but honest tlog-witness for this package's tests (not exported): a real HTTP server
 * on 127.0.0.1 that answers `POST /add-checkpoint` as c2sp.org/tlog-witness (main, 2026-07)
 * prescribes for one log — 400 malformed, 404 unknown origin, 403 bad log signature, 409 with
 * `text/x.tlog.size` when `old` is not its size, 422 for a bad proof, 200 with one
 * cosignature/v1 line — keeping its state in memory. Fault modes let tests make it refuse
 * (422), hang, answer slowly, sign badly, or add a foreign line.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  cosignatureSigner,
  cosignatureVerifierKey,
  formatCosignatureLines,
  formatSignerKey,
  formatSizeBody,
  openCheckpoint,
  parseAddCheckpointRequest,
  parseVerifierKey,
  TLOG_SIZE_CONTENT_TYPE,
  utf8Encode,
  type KeyedSigner,
  type Verifier,
} from '@cairn/formats';
import { bytesEqual, EMPTY_ROOT, verifyConsistency } from '@cairn/merkle';

/** How the fake misbehaves. */
export type FakeWitnessMode = 'normal' | 'reject-422' | 'hang' | 'bad-signature' | 'foreign-line';

/** Options of {@link FakeWitness.start}. */
export interface FakeWitnessOptions {
  readonly name: string;
  /** The log's type-0x01 vkey; its name is the origin. */
  readonly logVkey: string;
  /** Seed byte of the witness key. */
  readonly seed: number;
  /** Delay before answering (ms). */
  readonly delayMs?: number;
}

/** The fake witness. */
export class FakeWitness {
  readonly name: string;
  /** Its cosignature/v1 vkey (type 0x04). */
  readonly vkey: string;
  mode: FakeWitnessMode = 'normal';
  delayMs: number;
  /** The latest cosigned (size, root); undefined = never cosigned (an empty data directory). */
  state: { size: bigint; root: Uint8Array } | undefined;
  /** Every answer given, in order: status code and the `old` size of the request. */
  readonly answers: { status: number; old?: bigint; size?: bigint }[] = [];
  /** Most requests in flight at once. */
  maxInFlight = 0;
  readonly #signer: KeyedSigner;
  readonly #foreign: KeyedSigner;
  readonly #log: Verifier;
  #server: Server | undefined;
  #port = 0;
  #inFlight = 0;
  readonly #hung = new Set<ServerResponse>();

  private constructor(o: FakeWitnessOptions) {
    this.name = o.name;
    const skey = formatSignerKey(o.name, new Uint8Array(32).fill(o.seed));
    this.vkey = cosignatureVerifierKey(skey);
    this.#signer = cosignatureSigner(skey, () => BigInt(Math.floor(Date.now() / 1000)));
    this.#foreign = cosignatureSigner(formatSignerKey('foreign.example', new Uint8Array(32).fill(o.seed ^ 0xff)), () => 1n);
    this.#log = parseVerifierKey(o.logVkey);
    this.delayMs = o.delayMs ?? 0;
  }

  static async start(o: FakeWitnessOptions): Promise<FakeWitness> {
    const w = new FakeWitness(o);
    await w.listen();
    return w;
  }

  /** The size it last cosigned (undefined: never). */
  get size(): bigint | undefined {
    return this.state?.size;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens (again, on the same port after {@link close}). */
  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops answering: closes the listener and every connection (the witness is "down"). */
  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s === undefined) return;
    for (const r of this.#hung) r.destroy();
    this.#hung.clear();
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.mode === 'hang') {
        this.#hung.add(res);
        return;
      }
      if (req.method !== 'POST' || req.url !== '/add-checkpoint') return this.#send(res, 404, 'not found');
      this.#answer(new Uint8Array(Buffer.concat(chunks)), res);
    } finally {
      this.#inFlight--;
    }
  }

  #send(res: ServerResponse, status: number, body: string, extra: { old?: bigint; size?: bigint; type?: string } = {}): void {
    this.answers.push({ status, ...(extra.old === undefined ? {} : { old: extra.old }), ...(extra.size === undefined ? {} : { size: extra.size }) });
    res.writeHead(status, { 'content-type': extra.type ?? 'text/plain; charset=utf-8' }).end(body);
  }

  #answer(body: Uint8Array, res: ServerResponse): void {
    let req;
    try {
      req = parseAddCheckpointRequest(body);
    } catch {
      return this.#send(res, 400, 'malformed request');
    }
    const old = req.oldSize;
    let opened;
    try {
      opened = openCheckpoint(req.checkpoint, [this.#log]);
    } catch {
      return this.#send(res, 403, 'no valid log signature', { old });
    }
    const cp = opened.checkpoint;
    if (cp.origin !== this.#log.name) return this.#send(res, 404, 'unknown log', { old });
    if (this.mode === 'reject-422') return this.#send(res, 422, 'consistency proof does not verify (fault mode)', { old, size: cp.size });
    if (old > cp.size) return this.#send(res, 400, 'old size > checkpoint size', { old });
    if (cp.size === 0n && !bytesEqual(cp.rootHash, EMPTY_ROOT)) return this.#send(res, 422, 'bad empty root', { old });
    const stored = this.state?.size ?? 0n;
    if (old !== stored) return this.#send(res, 409, formatSizeBody(stored), { old, size: cp.size, type: TLOG_SIZE_CONTENT_TYPE });
    if (old === 0n && req.proof.length > 0) return this.#send(res, 422, 'proof with old 0', { old });
    if (old > 0n) {
      const root = (this.state as { root: Uint8Array }).root;
      try {
        if (old === cp.size) {
          if (req.proof.length > 0 || !bytesEqual(root, cp.rootHash)) throw new Error('same size, different root');
        } else {
          verifyConsistency(old, cp.size, root, cp.rootHash, req.proof);
        }
      } catch {
        return this.#send(res, 422, 'consistency proof does not verify', { old, size: cp.size });
      }
    }
    this.state = { size: cp.size, root: cp.rootHash };
    const text = utf8Encode(opened.text);
    let payload = this.#signer.sign(text);
    if (this.mode === 'bad-signature') {
      payload = payload.slice();
      payload[payload.length - 1]! ^= 1;
    }
    const lines = [{ name: this.name, keyId: this.#signer.keyId, payload }];
    if (this.mode === 'foreign-line') lines.unshift({ name: this.#foreign.name, keyId: this.#foreign.keyId, payload: this.#foreign.sign(text) });
    this.#send(res, 200, formatCosignatureLines(lines), { old, size: cp.size });
  }
}
