/** The plans of `krel images` as text (--dry-run) and as JSON (--json: the payload members only counted). */
import type { BuildPlan } from './build.js';
import type { CleanupPlan } from './cleanup.js';
import type { CopyAction } from './copy.js';
import type { PullPlan } from './pull.js';
import type { PushPlan } from './push.js';

const short = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);

/** The build plan without each payload's member list. */
export function buildPlanJson(plan: BuildPlan): unknown {
  return {
    ...plan,
    actions: plan.actions.map((a) => {
      if (a.kind !== 'build') return a;
      const { entries: _entries, ...rest } = a;
      return rest;
    }),
  };
}

export function formatBuildPlan(plan: BuildPlan): string {
  const lines = [`images build into oci:${plan.store} (commit ${plan.commit}, created ${plan.created}):`];
  for (const a of plan.actions) {
    if (a.kind === 'use') lines.push(`  use   ${a.ref} (in the store: ${short(a.digest)})`);
    else
      lines.push(
        `  build ${a.ref}: ${a.files} files, ${a.bytes} bytes${a.base !== undefined ? `, on ${a.base.ref}` : ''}`,
      );
  }
  return lines.join('\n');
}

function copyLines(actions: readonly CopyAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'copy-blob':
        return `  send  ${short(a.digest)} (${a.size} bytes) from ${a.from} to ${a.repo}`;
      case 'mount-blob':
        return `  mount ${short(a.digest)} (${a.size} bytes) from ${a.from} into ${a.repo}`;
      case 'put-manifest':
        return `  tag   ${a.repo}:${a.tag} -> ${short(a.digest)}`;
    }
  });
}

export function formatPushPlan(plan: PushPlan): string {
  return [`images push to ${plan.registry} as ${plan.tags.join(', ')}:`, ...copyLines(plan.actions)].join(
    '\n',
  );
}

export function formatPullPlan(plan: PullPlan): string {
  return [
    `images pull ${plan.source} (${short(plan.digest)}) as ${plan.ref}:`,
    ...copyLines(plan.actions),
  ].join('\n');
}

export function formatCleanupPlan(plan: CleanupPlan): string {
  return [
    `images cleanup of tag ${plan.tag} in ${plan.registry}:`,
    ...plan.actions.map((a) => `  untag ${a.repo}:${a.tag} (other tags of ${short(a.digest)} stay)`),
    ...plan.absent.map((r) => `  (${r} has no tag ${plan.tag})`),
  ].join('\n');
}
