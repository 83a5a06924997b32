/**
 * The template syntax of krel.json "images": `{KEY}` is replaced by a value known when the image is planned.
 * Keys: `{commit}`; `{NAME.ref}` (kontain/NAME:VERSION), `{NAME.tag}` (VERSION) and `{NAME.name}`
 * (kontain/NAME) of an image listed earlier, NAME being its name with the platform suffix; `{arg.KEY}` for
 * the image's own args (which may use the other keys). Anything else in braces is an error, never left as is.
 */
import { UsageError } from '../errors/index.js';

const KEY = /\{([^{}\s]+)\}/g;

export function expandTemplate(text: string, vars: ReadonlyMap<string, string>, where: string): string {
  return text.replace(KEY, (_m, key: string) => {
    const v = vars.get(key);
    if (v === undefined)
      throw new UsageError(
        `${where}: unknown template "{${key}}": use {commit}, {arg.KEY} or {NAME.ref|tag|name} of an image listed earlier`,
      );
    return v;
  });
}

/** The keys an image contributes to the images after it. */
export function imageVars(key: string, repo: string, version: string): [string, string][] {
  return [
    [`${key}.ref`, `${repo}:${version}`],
    [`${key}.tag`, version],
    [`${key}.name`, repo],
  ];
}
