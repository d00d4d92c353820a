/** A governance rule refused something (exit 1 at the CLI, never a crash). */
export class PolicyError extends Error {}
