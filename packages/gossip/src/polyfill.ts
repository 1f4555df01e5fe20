/**
 * `Promise.withResolvers` for Node 20 (libp2p 3 calls it; Node 22 has it natively). Every module
 * of this package that loads libp2p imports this file first, so ES module evaluation order runs
 * it before any libp2p module body. Importing it twice is harmless.
 */
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): PromiseWithResolvers<T> {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
export {};
