/**
 * Mocha global fixture: before any test file runs, every outside tool the suite needs is there (installed when
 * missing, as root), so no test depends on another having installed something first.
 */
import { TEST_TOOLS } from './test-tools.js';
import { ensureCommands } from './tools.js';

export function mochaGlobalSetup(): void {
  ensureCommands(TEST_TOOLS);
}
