import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Inventory } from '../model/inventory.ts';
import { depwardenHome } from '../util/home.ts';
import type { CliContext } from './context.ts';

/**
 * Registry licences for `sbom` and `check` (src/licenses/registry.ts): `ask` reaches PyPI / npm through the shared
 * HTTP session (allow-list, HTTP cache; `offline`: caches only); without it only earlier answers are used.
 * Says on stderr what stayed unknown.
 */
export async function applyRegistryLicenses(ctx: CliContext, root: string, config: Config, inv: Inventory, o: { ask: boolean; offline: boolean }): Promise<void> {
  const { addRegistryLicenses, LicenseCache, registryLicenseNote } = await import('../licenses/registry.ts');
  const home = depwardenHome(ctx.env);
  const cache = new LicenseCache(path.join(home, 'cache', 'licenses'));
  let datasources;
  if (o.ask) {
    const { registryLookup } = await import('../updates/registry-lookup.ts');
    datasources = registryLookup(config, { cacheDir: path.join(home, 'cache', 'http'), offline: o.offline, env: ctx.env, projectDir: root, inventory: inv }).datasources;
  }
  const r = await addRegistryLicenses(inv, { cache, ...(datasources ? { datasources } : {}), pypiBase: config.updates.registries.pypi, npmRegistry: config.updates.registries.npm });
  if (o.ask) ctx.stderr(`licences: ${r.found} of ${r.candidates} locked releases without one in their lock got it from the registry (${r.declaredNone} declare none, ${r.notFound} not found${r.notAsked ? `, ${r.notAsked} from private indexes or VCS/path sources not asked` : ''})\n`);
  const note = registryLicenseNote(r, o.ask);
  if (note) ctx.stderr(`note: ${note}\n`);
}
