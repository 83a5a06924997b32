/** What an extracted archive is compared by: every path's type, mode, link target, content and hard-link group. */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface Shape {
  type: 'file' | 'directory' | 'symlink';
  /** Octal permission bits (not for symlinks). */
  mode?: string;
  link?: string;
  sha256?: string;
  /** For a file with more than one link: the first path (sorted) of its inode. */
  sameAs?: string;
}

/** The shape of every path below `root` (relative, "/"-separated), in sorted order. */
export function treeShape(root: string): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  const inodes = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = path.join(root, r);
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', link: readlinkSync(abs) };
      else if (st.isDirectory()) {
        out[r] = { type: 'directory', mode };
        walk(r);
      } else {
        const shape: Shape = {
          type: 'file',
          mode,
          sha256: createHash('sha256').update(readFileSync(abs)).digest('hex'),
        };
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (!inodes.has(key)) inodes.set(key, r);
          shape.sameAs = inodes.get(key)!;
        }
        out[r] = shape;
      }
    }
  };
  walk('');
  // "sameAs" names the first path in sorted order, whatever the walk order.
  const groups = new Map<string, string[]>();
  for (const [p, s] of Object.entries(out))
    if (s.sameAs) groups.set(s.sameAs, [...(groups.get(s.sameAs) ?? []), p]);
  for (const members of groups.values()) {
    const first = [...members].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))[0]!;
    for (const p of members) out[p]!.sameAs = first;
  }
  return out;
}

/** The shape krel make promises for a source shape: modes 0755 (executables, directories) or 0644. */
export function packedShape(src: Record<string, Shape>): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const [p, s] of Object.entries(src)) {
    const copy = { ...s };
    if (s.type === 'directory') copy.mode = '0755';
    if (s.type === 'file') copy.mode = parseInt(s.mode!, 8) & 0o111 ? '0755' : '0644';
    out[p] = copy;
  }
  return out;
}
