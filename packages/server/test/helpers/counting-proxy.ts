/**
 * Wrap a real object (e.g. a SQLite store) so every method call is counted by
 * name, while the calls still reach the real implementation.
 */
export function countCalls<T extends object>(target: T): { proxy: T; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      return (...args: unknown[]) => {
        calls.set(property, (calls.get(property) ?? 0) + 1);
        return Reflect.apply(value, object, args);
      };
    },
  });
  return { proxy, calls };
}
