/**
 * RFC 5424 syslog messages, parsed strictly.
 *
 * ```
 * <38>1 2026-01-01T09:00:00.123456+01:00 bastion sshd 4711 - [origin ip="192.0.2.1"] Accepted publickey for alice from 192.0.2.7 port 51234 ssh2
 * ```
 * `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`
 * (RFC 5424 §6), each header field NILVALUE (`-`) or printable US-ASCII (33–126) within its
 * length: HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32. PRI is 0–191 without leading zeros
 * (facility × 8 + severity); VERSION is `1`; TIMESTAMP is RFC 3339 with upper-case `T` and `Z`,
 * at most six fraction digits and no leap second (timestamp.ts). STRUCTURED-DATA is `-` or
 * SD-ELEMENTs `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`: names 1–32 printable ASCII except `=`,
 * SP, `]` and `"`; an SD-ID appears at most once; in a value, `\"`, `\\` and `\]` are escapes, a
 * backslash before any other character is itself (§6.3.3), and an unescaped `]` is refused (the
 * RFC says it MUST be escaped). Values are UTF-8. MSG is everything after the space: with a
 * UTF-8 BOM it is UTF-8 by the RFC; without one the RFC allows any octets, but Cairn keeps text
 * only, so it must be valid UTF-8 too (`bad-utf8`; rsyslog and journald write UTF-8).
 *
 * A message is at most {@link MAX_SYSLOG_MESSAGE} bytes by default (rsyslog's default
 * `maxMessageSize`; RFC 5425 asks receivers for at least 2,048). Errors are {@link IngestError}
 * (format `syslog`) at `byte N` of the message; they never quote the message.
 */
import { IngestError, atByte } from './errors.js';
import { parseRfc3339 } from './timestamp.js';

/** Largest message accepted by default, bytes. */
export const MAX_SYSLOG_MESSAGE = 8192;

/** One STRUCTURED-DATA element: its SD-ID and its parameters in order (names may repeat). */
export interface SdElement {
  readonly id: string;
  readonly params: readonly (readonly [name: string, value: string])[];
}

/** A parsed RFC 5424 message. Absent fields (NILVALUE) are undefined. */
export interface SyslogMessage {
  readonly facility: number;
  readonly severity: number;
  /** Microseconds since the epoch, and the offset written (minutes). */
  readonly timestamp?: { readonly micros: number; readonly ms: number; readonly offsetMinutes: number };
  readonly hostname?: string;
  readonly appName?: string;
  readonly procId?: string;
  readonly msgId?: string;
  readonly structuredData: readonly SdElement[];
  /** MSG as text (the BOM removed), or undefined when there is none. */
  readonly msg?: string;
  /** Whether MSG began with a UTF-8 BOM. */
  readonly bom: boolean;
  /** The whole message as text (header, structured data and MSG; valid UTF-8 by the rules above). */
  readonly text: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Cursor {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  fail(code: string, message: string, at = this.pos): never {
    throw new IngestError('syslog', code, atByte(at), message);
  }
  expect(byte: number, what: string): void {
    if (this.b[this.pos] !== byte) this.fail('bad-header', `expected ${what}`);
    this.pos++;
  }
  /** A header field: NILVALUE or 1..max printable US-ASCII, up to the next SP (not consumed). */
  field(name: string, max: number): string | undefined {
    const start = this.pos;
    while (this.pos < this.b.length && this.b[this.pos] !== 0x20) {
      const c = this.b[this.pos]!;
      if (c < 33 || c > 126) this.fail('bad-header', `${name}: not printable US-ASCII`);
      this.pos++;
    }
    const len = this.pos - start;
    if (len === 0) this.fail('bad-header', `${name}: empty (use - for none)`, start);
    if (len > max) this.fail('bad-header', `${name}: longer than ${max} characters`, start);
    const s = String.fromCharCode(...this.b.subarray(start, this.pos));
    return s === '-' ? undefined : s;
  }
}

/** Parses one RFC 5424 message (the bytes of one frame). Throws only {@link IngestError}. */
export function parseSyslog(bytes: Uint8Array, maxBytes: number = MAX_SYSLOG_MESSAGE): SyslogMessage {
  if (bytes.length > maxBytes) throw new IngestError('syslog', 'too-large', atByte(0), `message exceeds ${maxBytes} bytes`);
  const c: Cursor = new Cursor(bytes);
  c.expect(0x3c, '<PRI>');
  const priStart = c.pos;
  while (c.pos < bytes.length && c.pos - priStart <= 3 && bytes[c.pos]! >= 0x30 && bytes[c.pos]! <= 0x39) c.pos++;
  const pri = String.fromCharCode(...bytes.subarray(priStart, c.pos));
  if (!/^(0|[1-9][0-9]{0,2})$/.test(pri) || Number(pri) > 191) c.fail('bad-pri', 'PRI must be 0–191 without leading zeros', priStart);
  c.expect(0x3e, '> after PRI');
  if (bytes[c.pos] !== 0x31 || bytes[c.pos + 1] !== 0x20) c.fail('bad-version', 'VERSION must be 1 (RFC 5424)');
  c.pos += 2;
  const tsStart = c.pos;
  const ts = c.field('TIMESTAMP', 32);
  let timestamp: SyslogMessage['timestamp'];
  if (ts !== undefined) {
    const t = parseRfc3339(ts);
    if (t === null) c.fail('bad-timestamp', 'TIMESTAMP is not RFC 3339 as RFC 5424 §6.2.3 restricts it', tsStart);
    timestamp = { micros: t.micros, ms: t.ms, offsetMinutes: t.offsetMinutes };
  }
  c.expect(0x20, 'SP');
  const hostname = c.field('HOSTNAME', 255);
  c.expect(0x20, 'SP');
  const appName = c.field('APP-NAME', 48);
  c.expect(0x20, 'SP');
  const procId = c.field('PROCID', 128);
  c.expect(0x20, 'SP');
  const msgId = c.field('MSGID', 32);
  c.expect(0x20, 'SP');
  const structuredData = parseStructuredData(c);
  let msg: string | undefined;
  let bom = false;
  if (c.pos < bytes.length) {
    c.expect(0x20, 'SP before MSG');
    let start = c.pos;
    if (bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) {
      bom = true;
      start += 3;
    }
    msg = utf8(c, bytes.subarray(start), start);
  }
  const text = utf8(c, bytes, 0);
  return {
    facility: Number(pri) >> 3,
    severity: Number(pri) & 7,
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(hostname === undefined ? {} : { hostname }),
    ...(appName === undefined ? {} : { appName }),
    ...(procId === undefined ? {} : { procId }),
    ...(msgId === undefined ? {} : { msgId }),
    structuredData,
    ...(msg === undefined ? {} : { msg }),
    bom,
    text,
  };
}

function utf8(c: Cursor, b: Uint8Array, offset: number): string {
  try {
    return decoder.decode(b);
  } catch {
    // Find the first bad byte for the position: decode growing prefixes is costly; scan instead.
    return c.fail('bad-utf8', 'not valid UTF-8', offset + firstInvalidUtf8(b));
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const x = b[i]!;
    const n = x < 0x80 ? 1 : x >= 0xc2 && x < 0xe0 ? 2 : x >= 0xe0 && x < 0xf0 ? 3 : x >= 0xf0 && x < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    try {
      decoder.decode(b.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return b.length;
}

const SD_NAME_BAD = new Set([0x3d, 0x20, 0x5d, 0x22]);

function parseStructuredData(c: Cursor): SdElement[] {
  const b = c.b;
  if (b[c.pos] === 0x2d) {
    c.pos++;
    if (c.pos < b.length && b[c.pos] !== 0x20) c.fail('bad-sd', 'STRUCTURED-DATA: - must stand alone');
    return [];
  }
  if (b[c.pos] !== 0x5b) c.fail('bad-sd', 'STRUCTURED-DATA: expected - or [');
  const out: SdElement[] = [];
  const seen = new Set<string>();
  while (b[c.pos] === 0x5b) {
    const elemStart = c.pos;
    c.pos++;
    const id = sdName(c, 'SD-ID');
    if (seen.has(id)) c.fail('duplicate-sd-id', 'an SD-ID appears twice', elemStart);
    seen.add(id);
    const params: [string, string][] = [];
    while (b[c.pos] === 0x20) {
      c.pos++;
      const name = sdName(c, 'PARAM-NAME');
      c.expect(0x3d, '= after PARAM-NAME');
      c.expect(0x22, '" before PARAM-VALUE');
      params.push([name, sdValue(c)]);
    }
    c.expect(0x5d, '] closing SD-ELEMENT');
    out.push({ id, params });
  }
  return out;
}

function sdName(c: Cursor, what: string): string {
  const start = c.pos;
  while (c.pos < c.b.length) {
    const x = c.b[c.pos]!;
    if (SD_NAME_BAD.has(x)) break;
    if (x < 33 || x > 126) c.fail('bad-sd', `${what}: not printable US-ASCII`);
    c.pos++;
  }
  if (c.pos === start || c.pos - start > 32) c.fail('bad-sd', `${what}: 1–32 characters`, start);
  return String.fromCharCode(...c.b.subarray(start, c.pos));
}

function sdValue(c: Cursor): string {
  const parts: Uint8Array[] = [];
  let start = c.pos;
  for (;;) {
    if (c.pos >= c.b.length) c.fail('bad-sd', 'PARAM-VALUE: no closing "');
    const x = c.b[c.pos]!;
    if (x === 0x22) break;
    if (x === 0x5d) c.fail('bad-sd', 'PARAM-VALUE: ] must be escaped');
    if (x === 0x5c) {
      const n = c.b[c.pos + 1];
      if (n === 0x22 || n === 0x5c || n === 0x5d) {
        parts.push(c.b.subarray(start, c.pos));
        c.pos++;
        start = c.pos;
      }
      c.pos++;
      continue;
    }
    c.pos++;
  }
  parts.push(c.b.subarray(start, c.pos));
  c.pos++;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  return utf8(c, joined, start);
}
