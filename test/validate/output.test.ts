/** Streamed step output: line splitting with bounded memory, and expect matching per stream. */
import { expect } from 'chai';
import { ExpectMatcher, LineSplitter, MAX_LINE, Tail } from '../../src/validate/output.js';

describe('step output', () => {
  it('lines split across chunks, CRLF endings and a UTF-8 character cut in two come out whole', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const text = Buffer.from('one\r\ntw€o\nthree');
    const cut = text.indexOf(Buffer.from('€')) + 1; // inside the 3-byte character
    s.push(text.subarray(0, cut));
    s.push(text.subarray(cut));
    expect(lines).to.deep.equal(['one', 'tw€o']);
    s.flush();
    expect(lines).to.deep.equal(['one', 'tw€o', 'three']);
  });

  it('output without newlines is cut into MAX_LINE pieces as it arrives, and nothing is lost', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const chunk = Buffer.alloc(40_000, 'x');
    for (let i = 0; i < 10; i++) s.push(chunk);
    // Emitted while streaming, not held until a newline that never comes.
    expect(lines.length).to.equal(Math.floor(400_000 / MAX_LINE));
    s.flush();
    expect(lines.every((l) => l.length <= MAX_LINE)).to.equal(true);
    expect(lines.join('').length).to.equal(400_000);
  });

  it('an empty line stays one empty line', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push(Buffer.from('a\n\nb\n'));
    expect(lines).to.deep.equal(['a', '', 'b']);
  });

  it('expect finds a needle split across chunks of one stream, even with the other stream in between', () => {
    const m = new ExpectMatcher(['Hello World']);
    m.push('stdout', 'Hel');
    m.push('stderr', 'warning: something\n');
    m.push('stdout', 'lo World\n');
    expect(m.missing()).to.deep.equal([]);
  });

  it('expect never glues stdout and stderr into a match that neither printed', () => {
    const m = new ExpectMatcher(['Hello World', 'done']);
    m.push('stdout', 'Hello');
    m.push('stderr', ' World');
    m.push('stderr', 'all done\n');
    expect(m.missing()).to.deep.equal(['Hello World']);
  });

  it('the tail keeps the last lines only', () => {
    const t = new Tail(3);
    for (const l of ['1', '2', '3', '4', '5']) t.add(l);
    expect(t.get()).to.deep.equal(['3', '4', '5']);
  });
});
