/** `cairn log tokens revoke`: removes the token of an event source. */
import { ApiError, revokeToken } from '@cairn/api';
import { CommandFailure, defineCommand } from '../command.js';

export const logTokensRevoke = defineCommand({
  name: 'log tokens revoke',
  summary: 'Revoke the submission token of a source',
  details: `
Removes the source's hashed token from the tokens file (rewritten atomically, mode 0600). A
running log re-reads the file when it changes (and on SIGHUP): the revoked token is refused
(401) from its next request on, without a restart. Issue a new token for the same source with
\`cairn log tokens add\`.`,
  options: {
    tokens: { type: 'string', required: true, value: 'FILE', description: 'tokens file (JSON)' },
    source: { type: 'string', required: true, value: 'NAME', description: 'the source whose token is revoked' },
  },
  async run({ values, io }) {
    try {
      await revokeToken(values.tokens!, values.source!);
    } catch (e) {
      if (e instanceof ApiError) throw new CommandFailure(e.message);
      throw e;
    }
    io.err(`token of source ${values.source} revoked in ${values.tokens}; a running log refuses it once it has re-read the file`);
    return 0;
  },
});
