import { expect } from 'chai';
import { releaseVisibility, tagRule } from '../../src/tag/index.js';

describe('tag rules', () => {
  it('the default replace pattern replaces only v0.1-test', () => {
    expect(tagRule('v0.1-test', ['v0.1-test'])).to.equal('replace');
    expect(tagRule('v0.1-testing', ['v0.1-test'])).to.equal('refuse');
    expect(tagRule('v0.9-beta', ['v0.1-test'])).to.equal('refuse');
  });

  it('glob patterns such as v*-daily replace matching tags only', () => {
    expect(tagRule('v1.2-daily', ['v0.1-test', 'v*-daily'])).to.equal('replace');
    expect(tagRule('v1.2-daily-x', ['v*-daily'])).to.equal('refuse');
    expect(tagRule('v1.2.0', ['v*-daily'])).to.equal('refuse');
  });

  it('a prerelease tag is a prerelease and never latest, whatever the config', () => {
    expect(releaseVisibility('v0.9-beta', true)).to.include({ prerelease: true, makeLatest: 'false' });
    expect(releaseVisibility('v0.1-test', 'legacy')).to.include({ prerelease: true, makeLatest: 'false' });
  });

  it('a stable tag follows the latest setting', () => {
    expect(releaseVisibility('v1.2.3', true)).to.include({ prerelease: false, makeLatest: 'true' });
    expect(releaseVisibility('v1.2', false)).to.include({ prerelease: false, makeLatest: 'false' });
    expect(releaseVisibility('v1.2.3', 'legacy')).to.include({ makeLatest: 'legacy' });
  });

  it('a tag with no version is treated as a prerelease', () => {
    expect(releaseVisibility('vnext', true)).to.include({ prerelease: true, makeLatest: 'false' });
  });
});
