/** "Now" for reproducible output and expiry decisions: SOURCE_DATE_EPOCH when set, else the clock. */
export function sourceDate(env: NodeJS.ProcessEnv): Date {
  const raw = env.SOURCE_DATE_EPOCH;
  const epoch = Number(raw);
  return raw && Number.isFinite(epoch) ? new Date(epoch * 1000) : new Date();
}
