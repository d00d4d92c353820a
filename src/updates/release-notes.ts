import type { Datasources } from '../datasources/index.ts';
import type { Impact } from '../publish/pr-body.ts';
import type { PlannedChange } from './plan.ts';

/** Release notes for the PR body, where the datasource has them (GitHub releases of actions, between from and to). */
export async function releaseNotesFor(ds: Datasources, change: PlannedChange): Promise<Impact['releaseNotes']> {
  const out: Impact['releaseNotes'] = [];
  for (const u of change.updates) {
    if (u.candidate.target !== 'action' || !u.entry.current) continue;
    const [owner, repo] = u.candidate.name.split('/') as [string, string];
    const notes = await ds.githubReleaseNotes(owner, repo, u.entry.current, u.to).catch(() => []);
    for (const n of notes) out.push({ name: u.candidate.displayName, version: n.version, ...(n.notesUrl ? { url: n.notesUrl } : {}), ...(n.notes ? { notes: n.notes } : {}) });
  }
  return out;
}
