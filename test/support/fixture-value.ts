/** A value a fixture sets in its before hook: read outside the describe block that owns it, it throws. */
export function fixtureValue<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} exists only inside the describe block that uses it`);
  return value;
}
