import { expect } from 'chai';
import { Logger } from '../../src/log/logger.js';
import { addSecret, clearSecrets, redact, registerEnvSecrets } from '../../src/log/redact.js';

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

  it('a registered secret of any length is redacted: a 3-character token too', () => {
    registerEnvSecrets({ GITHUB_TOKEN: 'Q7z' });
    expect(redact('tag v1#Q7z failed')).to.equal('tag v1#*** failed');
  });

  it('the user and password of any URL are redacted, registered or not', () => {
    expect(redact('cannot reach http://user:pa55@127.0.0.1:9/repos/x (GITHUB_API_URL)')).to.equal(
      'cannot reach http://***@127.0.0.1:9/repos/x (GITHUB_API_URL)',
    );
    expect(redact('https://ghp_short@ghe.example/api/v3 and ftp://a@b')).to.equal(
      'https://***@ghe.example/api/v3 and ftp://***@b',
    );
    expect(redact('mail me at a@b.example, see https://github.com/x@y')).to.equal(
      'mail me at a@b.example, see https://github.com/x@y',
    );
  });

  it("a URL variable's password (or a token given as its user) is a secret wherever it shows up alone", () => {
    registerEnvSecrets({
      GITHUB_API_URL: 'http://krel:p%40ss-w0rd@127.0.0.1:8080/api',
      KREL_DEBIAN_MIRROR: 'https://tok3n@mirror.example/debian',
    });
    const text = 'password p@ss-w0rd, encoded p%40ss-w0rd, user krel, token tok3n';
    expect(redact(text)).to.equal('password ***, encoded ***, user krel, token ***');
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
