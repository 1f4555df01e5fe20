/** Every command of the CLI, in the order `cairn --help` lists them. */
import type { Command } from './command.js';
import { keygen } from './commands/keygen.js';
import { noteVerify } from './commands/note-verify.js';
import { logServe } from './commands/log-serve.js';
import { logTokensAdd } from './commands/log-tokens-add.js';
import { submit } from './commands/submit.js';
import { get } from './commands/get.js';
import { prove } from './commands/prove.js';
import { witnessServe } from './commands/witness-serve.js';
import { verify } from './commands/verify.js';
import { witnessP2pId } from './commands/witness-p2p-id.js';
import { witnessClear } from './commands/witness-clear.js';
import { evidenceList } from './commands/evidence-list.js';
import { evidenceVerify } from './commands/evidence-verify.js';
import { monitor } from './commands/monitor.js';
import { demo } from './commands/demo.js';

export const commands: readonly Command[] = [
  demo,
  keygen, noteVerify,
  logServe, logTokensAdd, submit, get, prove,
  verify, monitor,
  witnessServe, witnessP2pId, witnessClear, evidenceList, evidenceVerify,
] as unknown as readonly Command[];
