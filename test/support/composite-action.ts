/**
 * A composite action (action.yml) checked and run without GitHub:
 * - asWorkflow: its steps as one job of a workflow_call workflow with the action's inputs, so actionlint checks
 *   every expression, step id and output reference as it does in a workflow;
 * - runCompositeAction: its `run:` steps executed in order the way the runner does (bash --noprofile --norc -eo
 *   pipefail, GITHUB_OUTPUT / GITHUB_PATH files, RUNNER_TEMP), `uses:` steps skipped. Expressions are evaluated
 *   for inputs.X, github.action_path and steps.ID.outputs.X only; any other expression is an error, and a `run:`
 *   script may hold none (inputs reach scripts through env).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { baseEnv } from './cli.js';

interface ActionStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface ActionFile {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export function parseAction(text: string): ActionFile {
  return parseYaml(text) as ActionFile;
}

/** The action's steps as a workflow_call job (inputs typed string), for actionlint. */
export function asWorkflow(text: string): string {
  const action = parseAction(text);
  const inputs = Object.fromEntries(
    Object.entries(action.inputs).map(([k, v]) => [k, { type: 'string', required: v.required ?? false }]),
  );
  return stringifyYaml({
    on: { workflow_call: { inputs } },
    jobs: {
      action: {
        'runs-on': 'ubuntu-latest',
        outputs: Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, v.value])),
        steps: action.runs.steps,
      },
    },
  });
}

export interface ActionRun {
  /** Exit code of the last step that ran (0 when all succeeded). */
  code: number;
  outputs: Record<string, string>;
  /** Step id or name -> its exit code, for the run: steps that ran. */
  ran: { step: string; code: number; stderr: string; stdout: string }[];
  runnerTemp: string;
}

function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]!);
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

function runBash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export async function runCompositeAction(
  actionFile: string,
  opts: { inputs: Record<string, string>; cwd: string; env?: NodeJS.ProcessEnv },
): Promise<ActionRun> {
  const action = parseAction(await readFile(actionFile, 'utf8'));
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.inputs)) {
    if (opts.inputs[k] !== undefined) inputs[k] = opts.inputs[k];
    else if (v.required === true) throw new Error(`input ${k} is required`);
    else inputs[k] = v.default !== undefined && !v.default.includes('${{') ? v.default : '';
  }
  const actionPath = path.dirname(actionFile);
  const stepOutputs: Record<string, Record<string, string>> = {};
  const evaluate = (value: string): string =>
    value.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
      let m: RegExpExecArray | null;
      if ((m = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr)) !== null) return inputs[m[1]!] ?? '';
      if (expr === 'github.action_path') return actionPath;
      if ((m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expr)) !== null)
        return stepOutputs[m[1]!]?.[m[2]!] ?? '';
      throw new Error(`expression not supported by the local runner: ${expr}`);
    });

  const runnerTemp = await mkdtemp(path.join(os.tmpdir(), 'krel-runner-'));
  const extraPath: string[] = [];
  const ran: ActionRun['ran'] = [];
  let code = 0;
  for (const [i, step] of action.runs.steps.entries()) {
    if (step.uses !== undefined) continue;
    if (step.run === undefined) throw new Error(`step ${i} has neither uses nor run`);
    if (step.run.includes('${{')) throw new Error(`step ${step.id ?? i}: an expression inside run:`);
    if (step.shell !== 'bash') throw new Error(`step ${step.id ?? i}: shell is ${step.shell ?? 'unset'}`);
    const script = path.join(runnerTemp, `step-${i}.sh`);
    const outputFile = path.join(runnerTemp, `output-${i}`);
    const pathFile = path.join(runnerTemp, `path-${i}`);
    await writeFile(script, step.run);
    await writeFile(outputFile, '');
    await writeFile(pathFile, '');
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      ...opts.env,
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, evaluate(v)])),
      GITHUB_OUTPUT: outputFile,
      GITHUB_PATH: pathFile,
      GITHUB_ACTION_PATH: actionPath,
      RUNNER_TEMP: runnerTemp,
    };
    env.PATH = [...extraPath, env.PATH ?? ''].join(':');
    const cwd = path.resolve(opts.cwd, evaluate(step['working-directory'] ?? '.'));
    const r = await runBash(script, cwd, env);
    ran.push({ step: step.id ?? step.name ?? String(i), ...r });
    if (step.id !== undefined) stepOutputs[step.id] = parseOutputFile(await readFile(outputFile, 'utf8'));
    extraPath.unshift(
      ...(await readFile(pathFile, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .reverse(),
    );
    code = r.code;
    if (code !== 0) break;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, evaluate(v.value)]));
  return { code, outputs, ran, runnerTemp };
}

export async function removeRunnerTemp(run: ActionRun): Promise<void> {
  await rm(run.runnerTemp, { recursive: true, force: true });
}
