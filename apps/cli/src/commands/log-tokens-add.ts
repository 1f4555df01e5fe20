/** `cairn log tokens add`: issues a bearer token for an event source. */
import { ApiError, createToken, TOKEN_ROLES, type TokenRole } from '@cairn/api';
import { CommandFailure, UsageError, defineCommand } from '../command.js';
import { parseIntOption } from '../lib/options.js';

export const logTokensAdd = defineCommand({
  name: 'log tokens add',
  summary: 'Create a token (writer, reader or admin) for a source and print it once',
  details: `
The tokens file (created if absent, mode 0600) stores only a SHA-256 hash of each token, with
the source name, its role and its quota. --role says what the token may do: writer (default)
submits entries and events as its source, within its quota (an event counts as one entry);
reader reads event bodies, event proofs and sources; admin reads like a reader and erases events
(its name is recorded in the erasure). A token used for anything else is refused with HTTP 403.
The source name "cairn" is reserved for the log's own records. The token itself is printed once on standard output; give it to
the source, which sends it as "Authorization: Bearer <token>". A running log re-reads the file
when it changes (and on SIGHUP): the token works without a restart. Revoke it with
\`cairn log tokens revoke\`.`,
  options: {
    tokens: { type: 'string', required: true, value: 'FILE', description: 'tokens file (JSON)' },
    source: { type: 'string', required: true, value: 'NAME', description: 'source name (A–Z a–z 0–9 . _ -, up to 64)' },
    role: { type: 'string', value: 'writer|reader|admin', description: 'what the token may do (default writer)' },
    'entries-per-minute': { type: 'string', value: 'N', description: 'quota for this source: entries and events per minute (default 600000)' },
    replace: { type: 'boolean', description: 'revoke the source\'s existing token and issue a new one' },
  },
  async run({ values, io }) {
    const epm = values['entries-per-minute'];
    const quota = epm === undefined ? undefined : { entriesPerMinute: parseIntOption('--entries-per-minute', epm, 1, 1_000_000_000) };
    const role = (values.role ?? 'writer') as TokenRole;
    if (!TOKEN_ROLES.includes(role)) throw new UsageError(`--role must be one of ${TOKEN_ROLES.join(', ')}; got "${values.role}"`);
    let token: string;
    try {
      token = await createToken(values.tokens!, values.source!, {
        role, ...(quota ? { quota } : {}), ...(values.replace ? { replace: true } : {}),
      });
    } catch (e) {
      if (e instanceof ApiError) throw new CommandFailure(e.message);
      throw e;
    }
    io.err(`${role} token for source ${values.source} stored (hashed) in ${values.tokens}; it is shown only now:`);
    io.out(token);
    return 0;
  },
});
