import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { applyChange, UpdateFailed } from '../../src/updates/apply.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import type { PlannedChange } from '../../src/updates/plan.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * A relock is the last place a same-named public package could slip in: Poetry merges its primary sources, so
 * `poetry update --lock` may lock the public 99.0.0 although depwarden planned the private 1.1.0.
 */
const PRIV = 'https://u:tok@pkgs.acme.example/simple';
const lockOf = (version: string, source?: string): string =>
  `[[package]]\nname = "acme-internal-auth"\nversion = "${version}"\ndescription = ""\noptional = false\npython-versions = "*"\nfiles = []\n${source ? `\n[package.source]\ntype = "legacy"\nurl = "${source}"\nreference = "private"\n` : ''}\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.9"\ncontent-hash = "${'0'.repeat(64)}"\n`;
const pyproject = `[tool.poetry]\nname = "svc"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.9"\nacme-internal-auth = ">=1.0"\n\n[[tool.poetry.source]]\nname = "private"\nurl = "${PRIV}"\npriority = "supplemental"\n`;

async function planned(root: string): Promise<{ change: PlannedChange; key: string }> {
  const cfg = configSchema.parse({});
  const c = collectCandidates(await buildInventory(root, cfg)).find((x) => x.displayName === 'acme-internal-auth')!;
  const entry = { service: c.service, file: c.file, target: c.target, ecosystem: c.ecosystem, name: c.displayName, declared: c.declared, current: c.current!, allowed: '1.1.0', updateType: 'minor' as const, span: c.dependency!.span };
  return { key: c.key, change: { slug: 's', branch: 'depwarden/s', title: 't', class: 'minor', lane: 'normal', updates: [{ candidate: c, entry, to: '1.1.0', updateType: 'minor' }], labels: [], rationale: [] } };
}

describe('relock index guard', () => {
  for (const [what, relockedSource, ok] of [
    ['the relock locks the private 1.1.0 from the private source: the change applies', PRIV.replace('u:tok@', ''), true],
    ['the relock takes the package from PyPI instead: the change fails with DW405', undefined, false],
  ] as const) {
    it(what, async () => {
      const root = writeTree({ 'svc/pyproject.toml': pyproject, 'svc/poetry.lock': lockOf('1.0.0', PRIV) });
      const { change, key } = await planned(root);
      const releases = new Map([[key, { datasource: 'pypi' as const, name: 'acme-internal-auth', registry: 'https://pkgs.acme.example/simple/', releases: [{ version: '1.1.0', files: [] }] }]]);
      const relock = async (dir: string): Promise<void> => writeFileSync(path.join(dir, 'svc/poetry.lock'), lockOf(relockedSource ? '1.1.0' : '99.0.0', relockedSource));
      const run = applyChange(root, change, { config: configSchema.parse({}), releases, relock });
      if (ok) await run;
      else await assert.rejects(run, (e: Error) => e instanceof UpdateFailed && /^DW405 the relock locked acme-internal-auth 99\.0\.0 from https:\/\/pypi\.org\/pypi, but it was looked up on https:\/\/pkgs\.acme\.example\/simple\//.test(e.message) && !e.message.includes('tok'));
    });
  }
});
