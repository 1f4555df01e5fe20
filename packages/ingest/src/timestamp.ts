/**
 * RFC 3339 timestamps as Kubernetes (metav1.MicroTime) and syslog (RFC 5424 §6.2.3) write them,
 * parsed strictly into microseconds since the Unix epoch.
 *
 * ```
 * 2026-01-01T09:00:00.123456Z          Kubernetes: always six fraction digits, UTC
 * 2026-01-01T10:00:00.003+01:00        RFC 5424: 0–6 fraction digits, Z or ±hh:mm
 * ```
 * Upper-case `T` and `Z` only (RFC 5424 requires them), every field range-checked (month,
 * day of that month and year, 00–23 hours, 00–59 minutes and seconds: RFC 5424 forbids leap
 * seconds, offsets up to ±23:59), years 0001–9999. Returns null when the text is not one.
 */

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?(Z|([+-])([0-9]{2}):([0-9]{2}))$/;

/** A parsed timestamp. */
export interface Timestamp {
  /** Microseconds since the Unix epoch. */
  readonly micros: number;
  /** Milliseconds since the Unix epoch (floor of micros / 1000): OCSF `time`. */
  readonly ms: number;
  /** Offset from UTC in minutes, as written (0 for `Z`). */
  readonly offsetMinutes: number;
  /** Fraction digits written. */
  readonly fractionDigits: number;
}

const daysIn = (y: number, m: number): number => [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

/** Parses an RFC 3339 timestamp with at most six fraction digits; null if it is not one. */
export function parseRfc3339(s: string): Timestamp | null {
  const m = RFC3339.exec(s);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const frac = m[7] ?? '';
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const micros = (d.getTime() - offsetMinutes * 60_000) * 1000 + Number(frac.padEnd(6, '0'));
  return { micros, ms: Math.floor(micros / 1000), offsetMinutes, fractionDigits: frac.length };
}
