/** Where krel caches guest images and machine facts: $XDG_CACHE_HOME/krel, else ~/.cache/krel. */
import { homedir } from 'node:os';
import path from 'node:path';

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache');
  return path.join(base, 'krel');
}
