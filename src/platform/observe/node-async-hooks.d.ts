/**
 * The one piece of `node:async_hooks` the Worker uses (nodejs_compat provides
 * it). Declared here because the Worker's types are workers-types, not
 * @types/node, which would bring Node's globals into Worker code.
 */
declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, fn: () => R): R;
    getStore(): T | undefined;
  }
}
