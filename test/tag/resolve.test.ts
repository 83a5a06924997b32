import { expect } from 'chai';
import { UsageError } from '../../src/errors/index.js';
import { checkTag, resolveTag } from '../../src/tag/index.js';

describe('tag resolution', () => {
  it('RELEASE_TAG wins over the CI refs', () => {
    expect(
      resolveTag({ RELEASE_TAG: 'v0.9-beta', GITHUB_REF: 'refs/tags/v1.0.0' }, 'v0.1-test'),
    ).to.deep.equal({
      tag: 'v0.9-beta',
      source: 'RELEASE_TAG',
    });
  });

  it('a GitHub tag ref gives its tag; an Azure tag ref gives its tag', () => {
    expect(resolveTag({ GITHUB_REF: 'refs/tags/v1.2.3' }, 'v0.1-test').tag).to.equal('v1.2.3');
    expect(resolveTag({ BUILD_SOURCEBRANCH: 'refs/tags/v2.0.0-rc.1' }, 'v0.1-test').tag).to.equal(
      'v2.0.0-rc.1',
    );
  });

  it('a releases/<a>/<b> branch publishes the default tag', () => {
    expect(resolveTag({ GITHUB_REF: 'refs/heads/releases/km/x' }, 'v0.1-test')).to.deep.equal({
      tag: 'v0.1-test',
      source: 'default',
    });
    expect(resolveTag({ BUILD_SOURCEBRANCH: 'refs/heads/releases/a/b' }, 'v0.1-edge').tag).to.equal(
      'v0.1-edge',
    );
  });

  it('nothing set gives the default tag', () => {
    expect(resolveTag({}, 'v0.1-test')).to.deep.equal({ tag: 'v0.1-test', source: 'default' });
  });

  it('a tag that does not start with v is refused, not renamed', () => {
    expect(() => resolveTag({ RELEASE_TAG: '0.9-beta' }, 'v0.1-test')).to.throw(
      UsageError,
      /must start with "v"/,
    );
    expect(() => resolveTag({ GITHUB_REF: 'refs/tags/release-1' }, 'v0.1-test')).to.throw(
      UsageError,
      /GITHUB_REF/,
    );
  });

  it('an invalid git tag name is refused with the reason', () => {
    for (const bad of [
      'v1..2',
      'v1 2',
      'v1~1',
      'v1^',
      'v1:2',
      'v1?',
      'v1*',
      'v1[',
      'v1\\',
      'v1.lock',
      'v1/',
      'v1.',
      'v@{1}',
      'v1//2',
    ]) {
      expect(() => checkTag(bad, 'argument'), bad).to.throw(UsageError, /not a valid git tag name/);
    }
    expect(checkTag('v1.0.0-rc.1+build.5', 'argument')).to.equal('v1.0.0-rc.1+build.5');
  });
});
