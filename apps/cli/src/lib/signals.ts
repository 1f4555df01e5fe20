/** Resolves with the name of the first SIGINT or SIGTERM (for clean shutdown of servers). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Runs `reload` on every SIGHUP until the returned function is called. While it is installed a
 * SIGHUP never ends the process (Node's default); a failing `reload` is the caller's to log.
 */
export function onHangup(reload: () => Promise<void> | void): () => void {
  const on = () => {
    void Promise.resolve().then(reload).catch(() => {});
  };
  process.on('SIGHUP', on);
  return () => process.off('SIGHUP', on);
}
