import { UserError } from './context.ts';

/**
 * A repository's store for a command: PostgreSQL when DATABASE_URL is set, else the embedded PGlite under
 * .depwarden/state. Commands that only read pass `create: false`: where there is no store they say so (exit 2)
 * and create none.
 */
export async function repositoryStore(root: string, env: NodeJS.ProcessEnv, create = true) {
  const { StoreError, openRepositoryStore } = await import('../store/store.ts');
  try {
    return await openRepositoryStore(root, env, { create });
  } catch (e) {
    throw e instanceof StoreError ? new UserError(e.message) : e;
  }
}
