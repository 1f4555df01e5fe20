/**
 * The process event-crash.test.ts kills: a LogNode on a LevelDB directory under event load,
 * printing one line per acknowledged batch (after submitEvents resolved, i.e. once durable).
 *
 *   node --conditions=source --import tsx test/log/event-crash-child.ts <data dir> <cycle>
 *
 * Prints `ready` once started, then lines `{"source":…,"seqs":[…],"indices":[…],"keys":[…]}`.
 * Four sources, each with its own loop and way of numbering:
 * - `seq-a`, `seq-b`: the source's own seqs (continuing from eventSources() after a restart)
 *   and idempotency keys; the event of seq s is always {@link eventFor}(source, `${source}-${s}`);
 * - `keyed`: no seq, an idempotency key per event, the key as the user name;
 * - `plain`: neither; the user name is unique per cycle and event.
 * Batches are 1–16 events, some with wait 'checkpoint'.
 */
import { fileURLToPath } from 'node:url';
import { validateEvent, type ValidatedEvent } from '@cairn/events';
import { formatSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage, silentLogger, type EventInput } from '@cairn/log';

/** The log key of the harness (a fixed seed). */
export const CRASH_SIGNER_KEY = formatSignerKey('example.com/event-crash', new Uint8Array(32).fill(11));
export const SEQ_SOURCES = ['seq-a', 'seq-b'];
export const SOURCES = [...SEQ_SOURCES, 'keyed', 'plain'];

/** The event the harness submits for `user` (a valid OCSF Authentication event). */
export function eventFor(user: string): ValidatedEvent {
  return validateEvent({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
    time: 1_767_225_600_000, metadata: { version: '1.3.0', product: { name: 'crash-harness' } }, user: { name: user },
  });
}

async function main(): Promise<void> {
  const [dir, cycleText] = process.argv.slice(2);
  if (dir === undefined || cycleText === undefined) throw new Error('usage: event-crash-child.ts <data dir> <cycle>');
  const node = await LogNode.open({ storage: await openLevelStorage(dir), signerKey: CRASH_SIGNER_KEY, logger: silentLogger, checkpointIntervalMs: 10 });
  await node.start();
  const next = new Map((await node.eventSources()).map((s) => [s.source, s.nextSeq]));
  process.stdout.write('ready\n');
  let counter = 0;
  const loop = async (source: string): Promise<void> => {
    for (let call = 0; ; call++) {
      const n = 1 + Math.floor(Math.random() * 16);
      const inputs: EventInput[] = [];
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        if (SEQ_SOURCES.includes(source)) {
          const seq = (next.get(source) ?? 0n) + BigInt(i);
          const key = `${source}-${seq}`;
          inputs.push({ event: eventFor(key), seq, idempotencyKey: key });
          keys.push(key);
        } else {
          const key = `${source}-c${cycleText}-${counter++}`;
          inputs.push(source === 'keyed' ? { event: eventFor(key), idempotencyKey: key } : { event: eventFor(key) });
          keys.push(key);
        }
      }
      const r = await node.submitEvents(source, inputs, call % 3 === 0 ? { wait: 'checkpoint' } : {});
      if (SEQ_SOURCES.includes(source)) next.set(source, (next.get(source) ?? 0n) + BigInt(n));
      process.stdout.write(`${JSON.stringify({ source, seqs: r.seqs.map(String), indices: r.indices.map(String), keys })}\n`);
    }
  };
  await Promise.all(SOURCES.map(loop));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
}
