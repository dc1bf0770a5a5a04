/**
 * The routes the app serves, kept so an unknown method on a known path gets
 * `405` with `Allow` (RFC 9110 §15.5.6) instead of `404`.
 */
export class RouteTable {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byPath = new Map<string, Set<string>>();

  add(path: string, methods: readonly string[]): void {
    let set = this.byPath.get(path);
    if (!set) {
      set = new Set();
      this.byPath.set(path, set);
      const pattern = new RegExp(
        `^${path
          .split("/")
          .map((part) =>
            part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
          )
          .join("/")}/?$`,
      );
      this.routes.push({ pattern, methods: set });
    }
    for (const m of methods) set.add(m);
  }

  /** Methods allowed on `path`, or an empty list when no route matches. */
  allowed(path: string): string[] {
    const found = new Set<string>();
    for (const route of this.routes)
      if (route.pattern.test(path)) for (const m of route.methods) found.add(m);
    return [...found].sort();
  }
}
