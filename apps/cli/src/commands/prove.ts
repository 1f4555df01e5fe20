/** `cairn prove`: writes a c2sp.org/tlog-proof bundle for one entry. */
import { writeFile } from 'node:fs/promises';
import { SERVER_CODE_BEYOND_TREE, createLogClient } from '@cairn/client';
import { parseCheckpointNote, parseProofBundle, ProofBundleError, FormatError } from '@cairn/formats';
import { leafHash, verifyInclusion, ProofError } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import { CommandFailure, defineCommand } from '../command.js';
import { caOption, parseIndexOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';
import { EXIT_NOT_YET_COSIGNED, describeRemoteError, remote, remoteErrorInfo } from '../lib/trpc-errors.js';

export const prove = defineCommand({
  name: 'prove',
  summary: 'Write a tlog-proof bundle (entry inclusion + checkpoint) for offline verification',
  details: `
Fetches the bundle for --index against the log's latest checkpoint and checks, before writing,
that it parses and that the entry's inclusion proof leads to the checkpoint's root (this does
not establish trust in the log: verify the bundle under a policy with \`cairn verify\`).
Writes to --out (or standard output). An entry the log has logged but its served (cosigned)
checkpoint does not cover yet, as when its witnesses are unreachable, fails with
"logged at index N but not yet cosigned".`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL' },
    index: { type: 'string', required: true, value: 'I', description: 'entry index (0-based)' },
    out: { type: 'string', value: 'FILE', description: 'where to write the .tlog-proof bundle (default: standard output)' },
    json: { type: 'boolean', description: 'print {"index","treeSize","bundle"} (the bundle as text) instead of the bundle' },
    ...caOption,
  },
  async run({ values, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const index = parseIndexOption('--index', values.index!);
    const client = createLogClient(url);
    // The entry first: it exists once the log has sequenced it, while the bundle needs the
    // served (cosigned) checkpoint to cover it, which lags when witnesses are unreachable.
    const entry = await remote('prove', url, () => client.log.entry.query({ index: index.toString() }));
    let res;
    try {
      res = await client.log.proofBundle.query({ index: index.toString() });
    } catch (e) {
      if (remoteErrorInfo(e)?.cairnCode === SERVER_CODE_BEYOND_TREE) {
        throw new CommandFailure(`prove: logged at index ${index} but not yet cosigned (witnesses unreachable?): the log's cosigned checkpoint does not cover it yet; try again later (${url})`, EXIT_NOT_YET_COSIGNED);
      }
      throw await describeRemoteError('prove', url, e);
    }
    try {
      const bundle = parseProofBundle(res.bundle);
      const cp = parseCheckpointNote(bundle.checkpoint).checkpoint;
      const leaf = leafHash(new Uint8Array(Buffer.from(entry.data, 'base64')), nodeBackend);
      verifyInclusion(bundle.index, cp.size, leaf, bundle.proof, cp.rootHash, nodeBackend);
    } catch (e) {
      if (e instanceof ProofBundleError || e instanceof ProofError || e instanceof FormatError) {
        throw new CommandFailure(`the log returned a bundle that does not check out: ${e.message}`);
      }
      throw e;
    }
    if (values.json) {
      io.out(JSON.stringify({ index: res.index, treeSize: res.treeSize, bundle: res.bundle }));
    } else if (values.out !== undefined) {
      await writeFile(values.out, res.bundle);
      io.err(`wrote proof bundle for entry ${res.index} in tree of size ${res.treeSize} to ${values.out}`);
    } else {
      process.stdout.write(res.bundle);
    }
    return 0;
  },
});
