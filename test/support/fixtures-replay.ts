/**
 * GitHub traffic recorded in @octokit/fixtures, replayed by @octokit/fixtures-server's middleware on an express
 * server bound to 127.0.0.1. A loaded scenario answers only the recorded requests, in order (anything else gets
 * a 404 naming the expected request); once every recorded request was made the scenario is removed, which
 * `assertDone` checks.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fixturesServer from '@octokit/fixtures-server';
import express from 'express';

export interface Scenario {
  id: string;
  /** Use as the API base URL (hosts inside recorded responses, e.g. upload_url, are rewritten likewise). */
  apiUrl: string;
  /** Throws unless every recorded request of the scenario was replayed. */
  assertDone(): Promise<void>;
}

export interface FixturesReplay {
  url: string;
  load(scenario: string): Promise<Scenario>;
  close(): Promise<void>;
}

export async function startFixturesReplay(): Promise<FixturesReplay> {
  const app = express();
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.use(fixturesServer({ fixturesUrl: url, logLevel: 'silent' }));

  return {
    url,
    async load(scenario) {
      const res = await fetch(`${url}/fixtures`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scenario }),
      });
      if (res.status !== 201) throw new Error(`fixtures-server: ${res.status} ${await res.text()}`);
      const { id, url: apiUrl } = (await res.json()) as { id: string; url: string };
      return {
        id,
        apiUrl,
        async assertDone() {
          // A finished scenario is dropped: a further request is told the fixture is unknown.
          const probe = await fetch(`${apiUrl}/`, { headers: { accept: 'application/vnd.github.v3+json' } });
          const body = (await probe.json()) as { error?: string; detail?: unknown };
          if (body.error !== `Fixture "${id}" not found`)
            throw new Error(`scenario ${scenario} did not replay completely: ${JSON.stringify(body)}`);
        },
      };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
