/** `cairn witness clear`: lifts the block a witness put on an origin after proven misbehaviour. */
import { isWitnessError, openLevelWitnessStorage } from '@cairn/witness';
import { CommandFailure, EXIT_IO, defineCommand } from '../command.js';

export const witnessClear = defineCommand({
  name: 'witness clear',
  summary: 'Let a stopped witness cosign an origin again after it proved misbehaviour',
  details: `
After a witness holds proven split-view evidence about a log it stops cosigning that origin
(add-checkpoint answers 403 naming the evidence). Once an operator has dealt with the incident,
this command removes the block, durably, from the witness state in --data. Run it while the
witness is stopped (the state is locked by a running witness; the command then fails and says
so). The evidence records are kept, and the same conflict never blocks the origin again.`,
  options: {
    data: { type: 'string', required: true, value: 'DIR', description: 'the witness state directory' },
    origin: { type: 'string', required: true, value: 'ORIGIN', description: 'the log origin to cosign again' },
  },
  async run({ values, io }) {
    let storage;
    try {
      storage = await openLevelWitnessStorage(values.data!);
    } catch (e) {
      if (isWitnessError(e) && e.code === 'storage') {
        throw new CommandFailure(`cannot open the witness state in ${values.data}: it is locked (stop the witness first) or unreadable (${String((e.cause as Error | undefined)?.message ?? e.message)})`, EXIT_IO);
      }
      throw e;
    }
    try {
      const removed = await storage.clearBlock(values.origin!);
      if (removed === undefined) io.out(`${values.origin} is not blocked; nothing to clear`);
      else io.out(`cleared ${removed.origin} (it was blocked by evidence ${removed.evidenceId} since ${new Date(removed.since).toISOString()})`);
      return 0;
    } finally {
      await storage.close();
    }
  },
});
