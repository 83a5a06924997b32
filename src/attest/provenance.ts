/**
 * SLSA provenance v1 as an in-toto Statement v1: what was built (every asset with its sha256), from what
 * (the source commit and repository, krel.json by digest), how (krel's build type and version) and by whom
 * (the CI builder, or this machine), and when (start and finish).
 */
import { envelope, type DsseEnvelope } from './dsse.js';
import type { SigningKey } from './keys.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** What `krel make` does from its inputs; the build type's parameters are described in the README. */
export const KREL_BUILD_TYPE = 'https://kontain.app/krel/make/v1';

export interface Subject {
  name: string;
  digest: { sha256: string };
}

/** Who ran the build, from the CI's environment (or this machine). */
export interface Builder {
  id: string;
  /** The CI run, when there is one. */
  invocationId?: string;
}

export interface ProvenanceFacts {
  subjects: readonly { name: string; sha256: string }[];
  builder: Builder;
  toolVersion: string;
  /** krel.json: its path relative to the repository root (or its name) and its sha256. */
  config: { name: string; sha256: string };
  repo: string | undefined;
  commit: string | null;
  tag: string;
  sourceDateEpoch: number;
  startedOn: Date;
  finishedOn: Date;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: Record<string, unknown>;
}

/** The builder from the CI environment: GitHub Actions, Azure Pipelines, else a local build. */
export function builderFromEnv(env: NodeJS.ProcessEnv): Builder {
  const gh = env.GITHUB_SERVER_URL ?? 'https://github.com';
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_WORKFLOW_REF) {
    return {
      id: `${gh}/${env.GITHUB_WORKFLOW_REF}`,
      ...(env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? {
            invocationId: `${gh}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
          }
        : {}),
    };
  }
  if (env.TF_BUILD === 'True' && env.SYSTEM_COLLECTIONURI && env.SYSTEM_TEAMPROJECT) {
    const project = `${env.SYSTEM_COLLECTIONURI.replace(/\/?$/, '/')}${encodeURIComponent(env.SYSTEM_TEAMPROJECT)}`;
    return {
      id: `${project}/_build?definitionId=${env.SYSTEM_DEFINITIONID ?? ''}`,
      ...(env.BUILD_BUILDID
        ? { invocationId: `${project}/_build/results?buildId=${env.BUILD_BUILDID}` }
        : {}),
    };
  }
  return { id: 'https://kontain.app/krel/local-builder' };
}

export function provenanceStatement(f: ProvenanceFacts): Statement {
  const source =
    f.repo !== undefined && f.commit !== null
      ? [{ uri: `git+https://github.com/${f.repo}`, digest: { gitCommit: f.commit } }]
      : f.commit !== null
        ? [{ uri: 'git+file:.', digest: { gitCommit: f.commit } }]
        : [];
  return {
    _type: STATEMENT_TYPE,
    subject: f.subjects.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: KREL_BUILD_TYPE,
        externalParameters: {
          config: f.config.name,
          tag: f.tag,
          ...(f.repo !== undefined ? { repository: `https://github.com/${f.repo}` } : {}),
        },
        internalParameters: { sourceDateEpoch: f.sourceDateEpoch },
        resolvedDependencies: [...source, { name: f.config.name, digest: { sha256: f.config.sha256 } }],
      },
      runDetails: {
        builder: { id: f.builder.id, version: { krel: f.toolVersion } },
        metadata: {
          ...(f.builder.invocationId !== undefined ? { invocationId: f.builder.invocationId } : {}),
          startedOn: f.startedOn.toISOString(),
          finishedOn: f.finishedOn.toISOString(),
        },
      },
    },
  };
}

/** provenance.intoto.jsonl: the statement in a DSSE envelope (signed when there is a key), one line. */
export function provenanceLine(statement: Statement, key?: SigningKey): string {
  const e: DsseEnvelope = envelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), key);
  return JSON.stringify(e) + '\n';
}
