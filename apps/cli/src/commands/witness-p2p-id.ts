/** `cairn witness p2p-id`: creates (if needed) and prints the libp2p peer ID of a data directory. */
import { CommandFailure, defineCommand } from '../command.js';

export const witnessP2pId = defineCommand({
  name: 'witness p2p-id',
  summary: 'Print the libp2p peer ID of a data directory (creating its p2p.key if needed)',
  details: `
The peer ID is what other nodes allow (witness serve --peer MULTIADDR/p2p/<ID>, --allow-peer ID),
so peers can be configured before their first start. The identity is an Ed25519 key in
DIR/p2p.key (mode 0600), created here or by the first \`witness serve --p2p-listen\`; a log node
keeps its own in its data directory the same way (log serve with a /p2p/ witness), so this
command also tells a log's peer ID. It prints the peer ID on standard output; "created" goes to
standard error when the key is new.`,
  options: {
    data: { type: 'string', required: true, value: 'DIR', description: 'the node data directory (created if absent)' },
  },
  async run({ values, io }) {
    const { GossipError, loadOrCreatePeerIdentity } = await import('@cairn/gossip');
    try {
      const id = await loadOrCreatePeerIdentity(values.data!);
      if (id.created) io.err(`created ${id.path}`);
      io.out(id.peerId.toString());
      return 0;
    } catch (e) {
      if (e instanceof GossipError) throw new CommandFailure(e.message);
      throw e;
    }
  },
});
