/**
 * Installs every tool of TEST_TOOLS that is missing (apt-get, as root). Run by `.ci/run` before `npm test`, and by
 * the suite's global setup (test/support/global-setup.ts) for a plain `npm test`.
 */
import { TEST_TOOLS } from './test-tools.js';
import { ensureCommands } from './tools.js';

ensureCommands(TEST_TOOLS);
