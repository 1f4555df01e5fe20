/** Every command of the CLI, in the order `cairn --help` lists them. */
import type { Command } from './command.ts';
import { keygen } from './commands/keygen.ts';
import { noteVerify } from './commands/note-verify.ts';

export const commands: readonly Command[] = [keygen, noteVerify] as unknown as readonly Command[];
