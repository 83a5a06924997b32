/**
 * The fault switch: make the Nth matching request fail the way GitHub fails. A route is an operationId
 * ("repos/upload-release-asset"), its octokit method name ("uploadReleaseAsset"), or "METHOD /path/glob"
 * ("DELETE /repos/*\/*\/releases/assets/*", method "*" for any).
 */
import picomatch from 'picomatch';

export type FaultKind =
  | { status: 500 | 502 }
  /** Destroy the socket mid-body (an upload leaves a starter asset behind, as GitHub does). */
  | 'drop'
  /** Rate limited: secondary limits answer with a "secondary rate limit" message, primary ones with remaining 0. */
  | { status: 403 | 429; retryAfter: number; secondary?: true }
  /** 422 already_exists: an asset of that name is (made) present. */
  | 'already_exists'
  /** Leave a `starter` asset of that name, then answer 502. */
  | 'starter';

export interface FaultSpec {
  route: string;
  /** The first matching request that fails (1-based, default 1). */
  nth?: number;
  /** How many consecutive matching requests fail from the nth on (default 1). */
  times?: number;
  kind: FaultKind;
}

export interface Fault extends FaultSpec {
  /** Matching requests seen since the fault was added. */
  seen: number;
  /** How often the fault fired. */
  fired: number;
}

export function methodName(operationId: string): string {
  const last = operationId.split('/').pop() ?? operationId;
  return last.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function matches(route: string, operationId: string | undefined, method: string, path: string): boolean {
  if (operationId !== undefined && (route === operationId || route === methodName(operationId))) return true;
  const m = /^(\*|[A-Z]+)\s+(\/.*)$/.exec(route);
  if (!m) return false;
  return (m[1] === '*' || m[1] === method) && picomatch.isMatch(path, m[2]!, { dot: true });
}

export class FaultSwitch {
  readonly list: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, seen: 0, fired: 0 };
    this.list.push(fault);
    return fault;
  }

  clear(): void {
    this.list.length = 0;
  }

  /** The fault this request runs into, if any (counts the request for every matching fault). */
  take(operationId: string | undefined, method: string, path: string): Fault | undefined {
    let hit: Fault | undefined;
    for (const f of this.list) {
      if (!matches(f.route, operationId, method, path)) continue;
      f.seen++;
      const first = f.nth ?? 1;
      if (hit === undefined && f.seen >= first && f.seen < first + (f.times ?? 1)) {
        f.fired++;
        hit = f;
      }
    }
    return hit;
  }
}
