/** Validate's defaults where neither the command line nor krel.json says (small: the CLI reads it at start-up). */
export const VALIDATE_DEFAULTS = { sshTimeoutSec: 180 } as const;
