/**
 * Knowing where krel runs: GitHub Actions, Azure Pipelines, another CI, or a terminal.
 * In CI there are no progress bars, errors are also printed as annotations, and logs are grouped per step.
 */
import { appendFileSync } from 'node:fs';

export type CiKind = 'github' | 'azure' | 'generic' | 'none';

export function detectCi(env: NodeJS.ProcessEnv = process.env): CiKind {
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  if (env.TF_BUILD !== undefined && env.TF_BUILD.toLowerCase() === 'true') return 'azure';
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0') return 'generic';
  return 'none';
}

export interface AnnotationOptions {
  file?: string;
  line?: number;
  title?: string;
}

/** GitHub workflow commands escape %, CR and LF in data, and also : and , in properties. */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The annotation line for an error or warning in the given CI, or undefined outside CI. */
export function formatAnnotation(
  ci: CiKind,
  level: 'error' | 'warning',
  message: string,
  opts: AnnotationOptions = {},
): string | undefined {
  if (ci === 'github') {
    const props: string[] = [];
    if (opts.file !== undefined) props.push(`file=${ghProp(opts.file)}`);
    if (opts.line !== undefined) props.push(`line=${opts.line}`);
    if (opts.title !== undefined) props.push(`title=${ghProp(opts.title)}`);
    return `::${level}${props.length > 0 ? ' ' + props.join(',') : ''}::${ghData(message)}`;
  }
  if (ci === 'azure') {
    const props = [`type=${level}`];
    if (opts.file !== undefined) props.push(`sourcepath=${opts.file}`);
    if (opts.line !== undefined) props.push(`linenumber=${opts.line}`);
    return `##vso[task.logissue ${props.join(';')}]${message.replace(/\r?\n/g, ' ')}`;
  }
  return undefined;
}

export function formatGroupStart(ci: CiKind, name: string): string | undefined {
  if (ci === 'github') return `::group::${ghData(name)}`;
  if (ci === 'azure') return `##[group]${name}`;
  return undefined;
}

export function formatGroupEnd(ci: CiKind): string | undefined {
  if (ci === 'github') return '::endgroup::';
  if (ci === 'azure') return '##[endgroup]';
  return undefined;
}

/** Append Markdown to the job summary ($GITHUB_STEP_SUMMARY) when the runner provides one. */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return false;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : markdown + '\n');
  return true;
}
