/**
 * The kit runs inside the consumer's jest: it takes describe/it/expect from the globals jest installs,
 * so that neither jest nor its types are a dependency of this package.
 */

export interface ExpectLike {
  (actual: unknown): {
    toBe(expected: unknown): void;
    toEqual(expected: unknown): void;
    toBeDefined(): void;
    toHaveLength(n: number): void;
    not: { toBe(expected: unknown): void; toEqual(expected: unknown): void };
  };
}

export interface JestLike {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void> | void, timeout?: number): void;
  beforeAll(fn: () => Promise<void> | void, timeout?: number): void;
  afterAll(fn: () => Promise<void> | void, timeout?: number): void;
  expect: ExpectLike;
}

/** jest's globals, or an error that says how to run the kit. */
export function jestGlobals(kit: string): JestLike {
  const g = globalThis as unknown as Partial<JestLike>;
  for (const name of ['describe', 'it', 'beforeAll', 'afterAll', 'expect'] as const) {
    if (typeof g[name] !== 'function') {
      throw new Error(`${kit}() runs inside a jest (or vitest with globals: true) test file: call it at the top level of a *.test.js file; "${name}" is not defined here.`);
    }
  }
  return g as JestLike;
}
