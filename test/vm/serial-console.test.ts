/** The serial console file as qemu writes it: watching for the kernel banner, and the tail for errors. */
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialConsole } from '../../src/vm/serial-console.js';

describe('vm/serial-console', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'krel-serial-'));
    file = path.join(dir, 'serial.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file is not seen yet; text appended later is', () => {
    const c = new SerialConsole(file);
    expect(c.seen('Linux version')).to.equal(false);
    writeFileSync(file, 'SeaBIOS\n');
    expect(c.seen('Linux version')).to.equal(false);
    appendFileSync(file, '[    0.000000] Linux version 6.1.0\n');
    expect(c.seen('Linux version')).to.equal(true);
  });

  it('finds the text when far more than one read was written between two polls', () => {
    const c = new SerialConsole(file);
    writeFileSync(file, '');
    expect(c.seen('Linux version')).to.equal(false);
    // The banner sits early in 1 MiB written at once: it must not be skipped for the newest bytes.
    appendFileSync(file, `${'x'.repeat(100_000)}\nLinux version 6.1.0\n${'y'.repeat(1_000_000)}\n`);
    expect(c.seen('Linux version')).to.equal(true);
  });

  it('finds the text when it is split between two polls', () => {
    const c = new SerialConsole(file);
    writeFileSync(file, 'boot: Linux ver');
    expect(c.seen('Linux version')).to.equal(false);
    appendFileSync(file, 'sion 6.1.0\n');
    expect(c.seen('Linux version')).to.equal(true);
  });

  it('reset() watches a rewritten file from its start', () => {
    const c = new SerialConsole(file);
    writeFileSync(file, 'Linux version 6.1.0\n');
    expect(c.seen('Linux version')).to.equal(true);
    writeFileSync(file, 'SeaBIOS\n');
    c.reset();
    expect(c.seen('Linux version')).to.equal(false);
  });

  it('tail() gives the last lines without terminal escapes', () => {
    writeFileSync(file, 'one\r\n\x1b[0;32mOK\x1b[0m two\r\nthree\r\n');
    expect(new SerialConsole(file).tail(2)).to.equal('OK two\nthree');
  });
});
