/** `cairn log tokens add`: issues a bearer token for an event source. */
import { ApiError, createToken } from '@cairn/api';
import { CommandFailure, defineCommand } from '../command.js';
import { parseIntOption } from '../lib/options.js';

export const logTokensAdd = defineCommand({
  name: 'log tokens add',
  summary: 'Create a submission token for a source and print it once',
  details: `
The tokens file (created if absent, mode 0600) stores only a SHA-256 hash of each token, with
the source name and its quota. The token itself is printed once on standard output; give it to
the source, which sends it as "Authorization: Bearer <token>". A running log re-reads the file
when it changes (and on SIGHUP): the token works without a restart. Revoke it with
\`cairn log tokens revoke\`.`,
  options: {
    tokens: { type: 'string', required: true, value: 'FILE', description: 'tokens file (JSON)' },
    source: { type: 'string', required: true, value: 'NAME', description: 'source name (A–Z a–z 0–9 . _ -, up to 64)' },
    'entries-per-minute': { type: 'string', value: 'N', description: 'quota for this source (default 600000)' },
    replace: { type: 'boolean', description: 'revoke the source\'s existing token and issue a new one' },
  },
  async run({ values, io }) {
    const epm = values['entries-per-minute'];
    const quota = epm === undefined ? undefined : { entriesPerMinute: parseIntOption('--entries-per-minute', epm, 1, 1_000_000_000) };
    let token: string;
    try {
      token = await createToken(values.tokens!, values.source!, {
        ...(quota ? { quota } : {}), ...(values.replace ? { replace: true } : {}),
      });
    } catch (e) {
      if (e instanceof ApiError) throw new CommandFailure(e.message);
      throw e;
    }
    io.err(`token for source ${values.source} stored (hashed) in ${values.tokens}; it is shown only now:`);
    io.out(token);
    return 0;
  },
});
