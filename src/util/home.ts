import os from 'node:os';
import path from 'node:path';

/** depwarden's per-user directory: $DEPWARDEN_HOME, else $XDG_CACHE_HOME/depwarden, else ~/.cache/depwarden. */
export function depwardenHome(env: NodeJS.ProcessEnv): string {
  return env.DEPWARDEN_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'depwarden');
}
