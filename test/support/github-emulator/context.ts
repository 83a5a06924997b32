/** What a route handler gets: the world, where it lives, and the parsed request. */
import type { Reply } from './http.js';
import type { Urls } from './render.js';
import type { EmulatorState, EmuRepo } from './state.js';

export interface RouteContext {
  state: EmulatorState;
  urls: Urls;
  repo: EmuRepo;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body ({} when there was none). */
  body: Record<string, unknown>;
  /** The request carried the right token (drafts are visible, writes allowed). */
  authed: boolean;
  /** Absolute URL of this request (for Link headers). */
  selfUrl: string;
}

export type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
