import { expect } from 'chai';
import { Logger } from '../../src/log/logger.js';
import { addSecret, clearSecrets, redact } from '../../src/log/redact.js';

describe('secret redaction', () => {
  afterEach(() => clearSecrets());

  it('a registered secret never appears in logged text', () => {
    addSecret('s3cr3t-value-123');
    const lines: string[] = [];
    const log = new Logger({ ci: 'none', write: (l) => lines.push(l) });
    log.info('token is s3cr3t-value-123 here');
    log.error('failed with s3cr3t-value-123');
    expect(lines.join('\n')).to.not.include('s3cr3t-value-123');
    expect(lines.join('\n')).to.include('***');
  });

  it('token-shaped strings are redacted even when not registered', () => {
    const tok = 'ghp_' + 'a'.repeat(36);
    expect(redact(`x ${tok} y`)).to.equal('x *** y');
    expect(redact('authorization: token abcdef123456')).to.equal('authorization: token ***');
  });

  it('CI annotations are written for errors in GitHub Actions and Azure', () => {
    const gh: string[] = [];
    new Logger({ ci: 'github', write: (l) => gh.push(l) }).error('step 2 failed');
    expect(gh[0]).to.equal('::error::step 2 failed');
    const az: string[] = [];
    new Logger({ ci: 'azure', write: (l) => az.push(l) }).error('step 2 failed');
    expect(az[0]).to.equal('##vso[task.logissue type=error]step 2 failed');
  });
});
