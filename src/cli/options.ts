/** Option-value parsers shared by the command definitions (commander calls them while parsing). */
import { InvalidArgumentError } from 'commander';

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export function positiveInt(v: string): number {
  const n = positiveNumber(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

export function wholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

export function gzipLevel(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 9)
    throw new InvalidArgumentError('must be an integer from 1 to 9');
  return n;
}

export function tagGlob(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError("is blank: give a tag glob, e.g. 'v*-daily'");
  return v;
}
