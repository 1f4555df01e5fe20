/** `cairn evidence list`: prints a witness's split-view evidence records, newest first. */
import { MAX_EVIDENCE_PAGE } from '@cairn/api';
import { createWitnessClient } from '@cairn/client';
import { defineCommand } from '../command.js';
import { remote } from '../lib/trpc-errors.js';
import { caOption, parseIntOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';

export const evidenceList = defineCommand({
  name: 'evidence list',
  summary: "List a witness's split-view evidence records (one JSON record per line, newest first)",
  details: `
Asks the witness at --url (its tRPC API, \`witness serve --listen\`) for the evidence records it
holds: its own findings and those gossiped to it. Each line is one canonical record, as
\`cairn evidence verify\` reads it:
  pnpm cairn evidence list --url http://127.0.0.1:7380 | head -n 1 > e.json
  pnpm cairn evidence verify e.json --vkey LOG_VKEY`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the witness, e.g. http://127.0.0.1:7380' },
    origin: { type: 'string', value: 'ORIGIN', description: 'only records about this log origin' },
    limit: { type: 'string', value: 'N', description: `at most N records (default 100, at most ${MAX_EVIDENCE_PAGE})` },
    json: { type: 'boolean', description: 'print one JSON object per line with the witness\'s metadata: {"id","origin","kind","proven","recordedAt","record"}' },
    ...caOption,
  },
  async run({ values, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const limit = values.limit === undefined ? undefined : parseIntOption('--limit', values.limit, 1, MAX_EVIDENCE_PAGE);
    const records = await remote('cannot list evidence', url, () => createWitnessClient(url).evidence.query({
      ...(limit === undefined ? {} : { limit }),
      ...(values.origin === undefined ? {} : { origin: values.origin }),
    }), 'witness');
    for (const r of records) io.out(values.json ? JSON.stringify(r) : r.record.replace(/\n$/, ''));
    return 0;
  },
});
