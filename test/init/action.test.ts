/**
 * The krel action (action.yml at the repository root): linted as actionlint lints a workflow, its scripts
 * shellcheck-clean, and its run: steps executed locally against a scratch project and a dir: store.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildCli } from '../publish/project.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import {
  asWorkflow,
  parseAction,
  removeRunnerTemp,
  runCompositeAction,
  type ActionRun,
} from '../support/composite-action.js';
import { lintGitHubWorkflow } from '../support/workflow-lint.js';

const ACTION = path.join(REPO_ROOT, 'action.yml');
const actionText = readFileSync(ACTION, 'utf8');
const COMMIT = 'a'.repeat(40);

describe('the krel action (action.yml)', function () {
  this.timeout(120_000);
  let dir: string;
  const runs: ActionRun[] = [];
  before(buildCli);
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'krel-action-'));
    cpSync(path.join(REPO_ROOT, 'examples/kontain/build'), path.join(dir, 'build'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    const init = await runKrel(['init', '--repo', 'kontainapp/demo'], { cwd: dir });
    expect(init.code, init.stderr).to.equal(0);
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const r of runs.splice(0)) await removeRunnerTemp(r);
  });
  const act = async (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<ActionRun> => {
    const r = await runCompositeAction(ACTION, { inputs, cwd: dir, env: { GITHUB_SHA: COMMIT, ...env } });
    runs.push(r);
    return r;
  };

  it('passes actionlint as a workflow_call job, and a wrong step or input reference fails it', async () => {
    expect(await lintGitHubWorkflow(asWorkflow(actionText), 'action.yml')).to.deep.equal([]);
    const badStep = actionText.replace('steps.krel.outputs.url', 'steps.krell.outputs.url');
    const p1 = await lintGitHubWorkflow(asWorkflow(badStep), 'action.yml');
    expect(p1.map((p) => p.message).join('\n')).to.match(/krell/);
    const badInput = actionText.replace('${{ inputs.command }}', '${{ inputs.comand }}');
    const p2 = await lintGitHubWorkflow(asWorkflow(badInput), 'action.yml');
    expect(p2.map((p) => p.message).join('\n')).to.match(/comand/);
  });

  it('is a composite action whose run: scripts are shellcheck-clean and hold no ${{ }} expression', () => {
    const action = parseAction(actionText);
    expect(action.runs.using).to.equal('composite');
    expect(Object.keys(action.outputs).sort()).to.deep.equal(['report', 'tag', 'url']);
    for (const k of ['command', 'tag', 'config', 'token']) expect(action.inputs).to.have.property(k);
    const scripts = action.runs.steps.filter((s) => s.run !== undefined);
    expect(scripts).to.have.length.greaterThan(0);
    for (const s of scripts) {
      expect(s.run, s.name).to.not.include('${{');
      const check = spawnSync('shellcheck', ['--severity=style', '--shell=bash', '-'], { input: s.run });
      expect(check.stdout.toString() + check.stderr.toString(), s.name).to.equal('');
      expect(check.status, s.name).to.equal(0);
    }
  });

  it('a local run makes the dist, then publishes it to a dir: store, with tag, url and report as outputs', async () => {
    const make = await act({ command: 'make --verify' });
    expect(make.code, make.ran.map((r) => r.stderr).join('\n')).to.equal(0);
    // vm-host auto leaves the machine alone for make: no root, nothing installed.
    expect(make.ran.find((r) => r.step === 'vmhost')!.stdout).to.equal('');
    const manifest = JSON.parse(readFileSync(make.outputs.report!, 'utf8')) as { archives: unknown[] };
    expect(manifest.archives).to.have.length(3);
    expect(existsSync(path.join(dir, 'dist', 'SHA256SUMS'))).to.equal(true);

    const store = path.join(dir, 'store');
    const pub = await act({ command: `publish --store dir:${store}`, tag: 'v0.1-test', token: 'unused' });
    expect(pub.code, pub.ran.map((r) => r.stderr).join('\n')).to.equal(0);
    const download = path.join(store, 'kontainapp/demo/releases/download/v0.1-test');
    expect(pub.outputs.tag).to.equal('v0.1-test');
    expect(pub.outputs.url).to.equal(`file://${download}/`);
    expect(JSON.parse(readFileSync(pub.outputs.report!, 'utf8'))).to.include({ tag: 'v0.1-test' });
    expect(readFileSync(path.join(download, 'kontain.tar.gz'))).to.deep.equal(
      readFileSync(path.join(dir, 'dist', 'kontain.tar.gz')),
    );
  });

  it("a refused command fails the step with krel's exit code, and the report output is still set", async () => {
    const r = await act({ command: 'publish --store dir:store', tag: 'v1#bad' });
    expect(r.code).to.equal(2);
    expect(r.outputs.tag).to.equal('');
    expect(r.outputs.report).to.match(/krel-report-/);
    expect(existsSync(path.join(dir, 'store'))).to.equal(false);
  });

  it('the config input names krel.json; an empty command is refused', async () => {
    writeFileSync(path.join(dir, 'other.json'), readFileSync(path.join(dir, 'krel.json')));
    rmSync(path.join(dir, 'krel.json'));
    const r = await act({ command: 'make --dry-run', config: 'other.json' });
    expect(r.code, r.ran.map((x) => x.stderr).join('\n')).to.equal(0);
    const empty = await act({ command: '  ' });
    expect(empty.code).to.equal(2);
    expect(empty.ran.at(-1)!.stdout).to.include('needs a command');
  });

  it("the README's example workflow passes actionlint and gives the action only inputs it declares", async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use krel in your repository'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    expect(await lintGitHubWorkflow(example, 'README.md')).to.deep.equal([]);
    const wf = parseYaml(example) as { jobs: Record<string, { steps: { uses?: string; with?: object }[] }> };
    const step = Object.values(wf.jobs)
      .flatMap((j) => j.steps)
      .find((s) => /\/krel@v/.test(s.uses ?? ''))!;
    const inputs = parseAction(actionText).inputs;
    for (const k of Object.keys(step.with ?? {})) expect(inputs, k).to.have.property(k);
  });

  it('every input the generated workflow gives the action is one action.yml declares', () => {
    const wf = parseYaml(readFileSync(path.join(dir, '.github/workflows/release.yml'), 'utf8')) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    const inputs = parseAction(actionText).inputs;
    const uses = Object.values(wf.jobs).flatMap((j) => j.steps.filter((s) => /\/krel@v/.test(s.uses ?? '')));
    expect(uses).to.have.length(4);
    for (const s of uses) {
      for (const k of Object.keys(s.with ?? {})) expect(inputs, k).to.have.property(k);
      for (const [k, v] of Object.entries(inputs))
        if (v.required === true) expect(s.with, k).to.have.property(k);
    }
  });
});
