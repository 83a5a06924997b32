/**
 * GitHub's OpenAPI description (only generated/api.github.com.json from @octokit/openapi, never the package
 * index) as a validator: resolve an operation from method + path, then check parameters, JSON request bodies
 * and response bodies with ajv. Validators are compiled lazily per operation and cached, so startup only
 * parses the JSON once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const SPEC_ID = 'github-openapi';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: object;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: object }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: object }> }>;
}

interface Spec {
  paths: Record<string, Record<string, unknown>>;
  components: { parameters: Record<string, Parameter>; responses: Record<string, unknown> };
}

export interface ResolvedOperation {
  operationId: string;
  method: string;
  template: string;
  pointer: string;
  params: Record<string, string>;
}

interface Route {
  method: string;
  template: string;
  re: RegExp;
  names: string[];
  literals: number;
}

interface Loaded {
  spec: Spec;
  routes: Route[];
  bodyAjv: Ajv;
  paramAjv: Ajv;
  cache: Map<string, ValidateFunction | null>;
}

let loaded: Loaded | undefined;

function specPath(): string {
  const require = createRequire(import.meta.url);
  // Resolve the package directory through its package.json, then the one generated file.
  const pkg = require.resolve('@octokit/openapi/package.json');
  return join(dirname(pkg), 'generated', 'api.github.com.json');
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function buildRoutes(spec: Spec): Route[] {
  const routes: Route[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const segments = template.split('/');
    let literals = 0;
    const parts = segments.map((seg, i) => {
      const m = /^\{([^}]+)\}$/.exec(seg);
      if (!m) {
        if (seg !== '') literals++;
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(m[1]!);
      // A git ref (refs/heads/x) spans segments when it is the last parameter.
      return i === segments.length - 1 && (m[1] === 'ref' || m[1] === 'path') ? '(.+)' : '([^/]+)';
    });
    const re = new RegExp(`^${parts.join('/')}$`);
    for (const method of Object.keys(ops)) {
      if (method === 'parameters') continue;
      routes.push({ method: method.toUpperCase(), template, re, names, literals });
    }
  }
  // Most literal segments first: /releases/latest wins over /releases/{release_id}.
  routes.sort((a, b) => b.literals - a.literals);
  return routes;
}

function load(): Loaded {
  if (loaded) return loaded;
  const spec = JSON.parse(readFileSync(specPath(), 'utf8')) as Spec;
  const bodyAjv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  const paramAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: true, validateSchema: false });
  for (const ajv of [bodyAjv, paramAjv]) {
    addFormats(ajv);
    ajv.addSchema(spec, SPEC_ID);
  }
  loaded = { spec, routes: buildRoutes(spec), bodyAjv, paramAjv, cache: new Map() };
  return loaded;
}

/** Parse the description now (e.g. in a before hook) rather than in the first request. */
export function preloadOpenApi(): void {
  load();
}

export function resolveOperation(method: string, pathname: string): ResolvedOperation | undefined {
  const { spec, routes } = load();
  for (const r of routes) {
    if (r.method !== method.toUpperCase()) continue;
    const m = r.re.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    const op = spec.paths[r.template]![r.method.toLowerCase()] as Operation;
    return {
      operationId: op.operationId,
      method: r.method,
      template: r.template,
      pointer: `#/paths/${escapePointer(r.template)}/${r.method.toLowerCase()}`,
      params,
    };
  }
  return undefined;
}

function operation(op: ResolvedOperation): Operation {
  return load().spec.paths[op.template]![op.method.toLowerCase()] as Operation;
}

function parameters(op: ResolvedOperation): Parameter[] {
  const { spec } = load();
  const shared = (spec.paths[op.template]!.parameters ?? []) as Operation['parameters'] & object;
  return [...shared, ...(operation(op).parameters ?? [])].map((p) =>
    '$ref' in p ? spec.components.parameters[p.$ref.split('/').pop()!]! : p,
  );
}

function compiled(key: string, ajv: Ajv, schema: () => object | undefined): ValidateFunction | null {
  const { cache } = load();
  if (!cache.has(key)) {
    const s = schema();
    cache.set(key, s === undefined ? null : ajv.compile(s));
  }
  return cache.get(key)!;
}

function describe(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`.trim())
    .join('; ');
}

/** Problems with the request's path/query parameters and JSON body; empty when it conforms. */
export function validateRequest(
  op: ResolvedOperation,
  query: URLSearchParams,
  contentType: string | undefined,
  body: unknown,
): string[] {
  const problems: string[] = [];
  const params = parameters(op).filter((p) => p.in === 'path' || p.in === 'query');
  const values: Record<string, string> = { ...op.params };
  for (const [k, v] of query) {
    if (!params.some((p) => p.in === 'query' && p.name === k))
      problems.push(`unknown query parameter "${k}"`);
    values[k] = v;
  }
  const v = compiled(`${op.pointer}#params`, load().paramAjv, () => ({
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
    required: params.filter((p) => p.required === true).map((p) => p.name),
  }));
  if (v && !v(values)) problems.push(`parameters: ${describe(v)}`);

  const rb = operation(op).requestBody;
  const json = rb?.content?.['application/json'];
  if (json) {
    if (body === undefined) {
      if (rb?.required === true) problems.push('request body is required');
    } else if (!contentType?.startsWith('application/json')) {
      problems.push(`request content-type ${contentType ?? '(none)'} is not application/json`);
    } else {
      const bv = compiled(`${op.pointer}#body`, load().bodyAjv, () => ({
        $ref: `${SPEC_ID}${op.pointer}/requestBody/content/application~1json/schema`,
      }));
      if (bv && !bv(body)) problems.push(`request body: ${describe(bv)}`);
    }
  } else if (body !== undefined && rb === undefined) {
    problems.push('request has a body but the operation takes none');
  }
  return problems;
}

/** Problems with a response (status listed, JSON body matches its schema); empty when it conforms. */
export function validateResponse(op: ResolvedOperation, status: number, body: unknown): string[] {
  const { spec } = load();
  const responses = operation(op).responses;
  let res = responses[String(status)];
  let pointer = `${op.pointer}/responses/${status}`;
  if (res === undefined) {
    // GitHub answers any operation with 401/403/404/429/5xx (auth, access, rate limits, outages): a basic error.
    if ([401, 403, 404, 429, 500, 502, 503].includes(status)) {
      const bv = compiled('#/components/schemas/basic-error', load().bodyAjv, () => ({
        $ref: `${SPEC_ID}#/components/schemas/basic-error`,
      }));
      return bv && body !== undefined && !bv(body) ? [`${status} body: ${describe(bv)}`] : [];
    }
    return [`status ${status} is not a documented response of ${op.operationId}`];
  }
  if (res.$ref) {
    pointer = res.$ref;
    res = spec.components.responses[res.$ref.split('/').pop()!] as typeof res;
  }
  const json = res.content?.['application/json'];
  if (!json?.schema) return [];
  if (body === undefined) return [`${status} response of ${op.operationId} must have a JSON body`];
  const bv = compiled(`${pointer}#response`, load().bodyAjv, () => ({
    $ref: `${SPEC_ID}${pointer}/content/application~1json/schema`,
  }));
  return bv && !bv(body) ? [`${status} body: ${describe(bv)}`] : [];
}

/** A named example from components/examples (used as a template for large objects such as repositories). */
export function specExample(name: string): unknown {
  const examples = (load().spec.components as { examples?: Record<string, { value?: unknown }> }).examples;
  return structuredClone(examples?.[name]?.value);
}
