/** krel's own version, from its package.json. */
import { PACKAGE_JSON } from '../util/package-root.js';

export const TOOL_VERSION = PACKAGE_JSON.version;
