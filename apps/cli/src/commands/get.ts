/** `cairn get`: fetches one entry by index. */
import { writeFile } from 'node:fs/promises';
import { createLogClient } from '@cairn/client';
import { leafHash } from '@cairn/merkle';
import { defineCommand } from '../command.js';
import { caOption, parseIndexOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';
import { remote } from '../lib/trpc-errors.js';

export const get = defineCommand({
  name: 'get',
  summary: 'Fetch one entry by index (raw bytes to standard output, or --out FILE, or --json)',
  details: `
Writes the entry's bytes exactly. --json prints {"index","leafHash","data"} with base64 data
instead. The entry is not verified here: use \`cairn prove\` and \`cairn verify\` for that.`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL' },
    index: { type: 'string', required: true, value: 'I', description: 'entry index (0-based)' },
    out: { type: 'string', value: 'FILE', description: 'write the entry to FILE instead of standard output' },
    json: { type: 'boolean', description: 'print JSON with base64 data and the leaf hash' },
    ...caOption,
  },
  async run({ values, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const index = parseIndexOption('--index', values.index!);
    const client = createLogClient(url);
    const res = await remote('get', url, () => client.log.entry.query({ index: index.toString() }));
    const data = new Uint8Array(Buffer.from(res.data, 'base64'));
    if (values.json) {
      io.out(JSON.stringify({ index: res.index, leafHash: Buffer.from(leafHash(data)).toString('base64'), data: res.data }));
    } else if (values.out !== undefined) {
      await writeFile(values.out, data);
      io.err(`wrote entry ${res.index} (${data.length} bytes) to ${values.out}`);
    } else {
      await new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
    }
    return 0;
  },
});
