/**
 * Child processes for the cross-process witness-network tests: the shared `cairn … serve`
 * daemon helper (stdout lines collected, bounded waits for lines, bounded stop).
 */
export { spawnDaemon as spawnCli, type Daemon as Proc } from '../helpers/cli.js';
