declare module '@octokit/fixtures-server' {
  import type { Router } from 'express';

  export interface FixturesServerOptions {
    fixturesUrl?: string;
    logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
    ttl?: number;
    fixtures?: Record<string, unknown[]>;
  }

  export default function fixturesServer(options?: FixturesServerOptions): Router;
}
