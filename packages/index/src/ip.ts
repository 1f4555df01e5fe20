/**
 * One spelling per IP address, so that an index lookup and a query compare equal exactly when
 * the addresses are the same: `2001:DB8::7`, `2001:db8:0:0::7` and `2001:0db8::0007` are one
 * address. IPv4 stays dotted decimal without leading zeros (`192.0.2.7`); IPv6 becomes its eight
 * groups in full, lower-case (`2001:0db8:0000:0000:0000:0000:0000:0007`), an IPv4 tail folded
 * into the last two groups. Internal to the index (never shown); pure.
 */

const V4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])){3}$/;
const V6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** The one spelling of an IP address, or undefined when `s` is not one. Never throws. */
export function canonicalIp(s: string): string | undefined {
  if (s.length > 45) return undefined;
  if (V4.test(s)) return s;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = split(halves[0]!);
  const tail = halves.length === 2 ? split(halves[1]!) : [];
  const expand = (groups: string[], last: boolean): string[] | undefined => {
    const out: string[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (last && i === groups.length - 1 && g.includes('.')) {
        if (!V4.test(g)) return undefined;
        const b = g.split('.').map(Number);
        out.push(hex4((b[0]! << 8) | b[1]!), hex4((b[2]! << 8) | b[3]!));
      } else if (V6_GROUP.test(g)) out.push(g.toLowerCase().padStart(4, '0'));
      else return undefined;
    }
    return out;
  };
  const h = expand(head, halves.length === 1);
  const t = expand(tail, true);
  if (h === undefined || t === undefined) return undefined;
  if (halves.length === 1) return h.length === 8 ? h.join(':') : undefined;
  if (h.length + t.length > 7) return undefined;
  return [...h, ...Array<string>(8 - h.length - t.length).fill('0000'), ...t].join(':');
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
