/** `cairn keygen`: creates an Ed25519 signer key file and prints its verifier key(s). */
import {
  ALG_ED25519, cosignatureVerifierKey, generateSignerKey, isValidKeyName, verifierKeyFromSigner,
} from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { UsageError, defineCommand } from '../command.js';
import { writeSecretFileExclusive } from '../lib/files.js';

export const keygen = defineCommand({
  name: 'keygen',
  summary: 'Create an Ed25519 signer key (file mode 0600) and print its verifier key',
  details: `
The signer key is written in the Go note format (PRIVATE+KEY+<name>+<id>+<base64>) to --out,
which must not exist yet. The verifier key (<name>+<id>+<base64>, type 0x01, for checkpoint
signatures) is printed on standard output. With --witness the cosignature/v1 verifier key of
the same key (type 0x04, what logs and clients configure for a witness) is printed too.
For a log, use the log's origin as the name (for example log.example.org/audit).`,
  options: {
    name: { type: 'string', required: true, value: 'NAME', description: 'key name (no spaces or "+"; a log uses its origin)' },
    out: { type: 'string', required: true, value: 'FILE', description: 'where to write the signer key (refuses to overwrite)' },
    witness: { type: 'boolean', description: 'also print the cosignature/v1 verifier key (for a witness)' },
    json: { type: 'boolean', description: 'print {"name","signerKeyFile","vkey"} (and "cosignatureVkey" with --witness) as JSON' },
  },
  async run({ values, io }) {
    const name = values.name!;
    if (!isValidKeyName(name)) {
      throw new UsageError(`--name: "${name}" is not a valid key name (it must be non-empty, without white space or "+")`);
    }
    const opts = { ed25519: nodeEd25519 };
    const skey = generateSignerKey(name, undefined, opts);
    await writeSecretFileExclusive(values.out!, skey + '\n');
    const vkey = verifierKeyFromSigner(skey, ALG_ED25519, opts);
    if (values.json) {
      io.out(JSON.stringify({
        name,
        signerKeyFile: values.out,
        vkey,
        ...(values.witness ? { cosignatureVkey: cosignatureVerifierKey(skey, opts) } : {}),
      }));
    } else if (values.witness) {
      io.err(`wrote signer key to ${values.out} (mode 0600)`);
      io.out(`vkey ${vkey}`);
      io.out(`cosignature/v1 ${cosignatureVerifierKey(skey, opts)}`);
    } else {
      io.err(`wrote signer key to ${values.out} (mode 0600); verifier key:`);
      io.out(vkey);
    }
    return 0;
  },
});
