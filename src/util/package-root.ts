/**
 * The files krel ships beside its code (package.json, the krel.json schema, the guest image recipes, the
 * km-releases templates), found from the installed package, never from the working directory. This module sits
 * at the same depth in src/ and build/, so one relative URL names the package root from both.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding krel's package.json: its checkout, or node_modules/krel when installed. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A file of the package, e.g. packageFile('validate', 'images'). */
export function packageFile(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}

export interface PackageJson {
  name: string;
  version: string;
  repository?: { type?: string; url: string } | string;
}

/** krel's own package.json. */
export const PACKAGE_JSON = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as PackageJson;
