// Changes: pending approvals, post-update reviews owed after emergency merges (overdue in red), recent merges
// and rollbacks. From GET /api/v1/changes and GET /api/v1/reviews.
import { all, get } from './api.js';
import { empty, h, pill, table, when } from './dom.js';

const OPEN = new Set(['proposed', 'tests_passed', 'approved']);
const DONE = new Set(['merged', 'verified', 'rolled_back', 'rejected']);

// What is left before merge, from the change's own state (the roles each approval needs are in the policy of the
// repository the change belongs to; this server's change records do not name it).
function needs(c) {
  if (c.state === 'approved') return 'merge';
  return c.tests ? 'approval' : 'passing tests, then approval';
}

export async function render() {
  const [changes, reviews] = await Promise.all([all('/api/v1/changes'), get('/api/v1/reviews')]);
  const root = h('div', {}, h('h1', {}, 'Changes'));
  const open = changes.items.filter((c) => OPEN.has(c.state));
  const done = changes.items.filter((c) => DONE.has(c.state)).reverse().slice(0, 50);
  const approvals = (c) => (c.approvals.length ? c.approvals.map((a) => h('div', {}, a.approver, h('span', { class: 'muted' }, ` as ${a.roles.join(', ') || 'no role'}, `), when(a.time))) : h('span', { class: 'muted' }, 'none'));
  root.append(h('h2', { id: 'pending' }, `Pending approval (${open.length})`), open.length === 0 ? empty('No change is waiting. Update changes appear here when ', h('code', {}, 'depwarden update'), ' proposes them.') : table({ columns: [
    { key: 'id', label: 'Change', cell: (c) => h('td', {}, h('span', { class: 'mono' }, c.id), h('div', {}, c.title)) },
    { key: 'class', label: 'Class', cell: (c) => pill(c.class, c.class === 'major' || c.class === 'security' ? 'high' : 'none') },
    { key: 'state', label: 'State', cell: (c) => c.state.replace('_', ' ') },
    { key: 'tests', label: 'Tests', cell: (c) => (c.tests ? pill('passed', 'ok') : pill('not yet', 'warn')) },
    { key: 'approvals', label: 'Approvals', cell: (c) => h('td', {}, approvals(c)) },
    { key: 'needs', label: 'Still needs', cell: (c) => needs(c) },
    { key: 'created', label: 'Proposed', cell: (c) => when(c.created, true) },
  ], rows: open }));
  root.append(h('h2', { id: 'reviews' }, `Reviews owed after emergency merges (${reviews.items.length})`), reviews.items.length === 0 ? empty('No review is owed.') : table({ columns: [
    { key: 'changeId', label: 'Change', cell: (r) => h('td', { class: 'mono' }, r.changeId) },
    { key: 'role', label: 'Reviewer role' },
    { key: 'reason', label: 'Why' },
    { key: 'due', label: 'Due', cell: (r) => h('td', { class: r.overdue ? 'overdue' : undefined }, r.overdue ? 'OVERDUE · ' : '', when(r.due, true)) },
  ], rows: reviews.items, rowClass: (r) => (r.overdue ? 'overdue' : undefined) }));
  root.append(h('h2', { id: 'recent' }, 'Recent merges and rollbacks'), done.length === 0 ? empty('Nothing merged yet.') : table({ columns: [
    { key: 'id', label: 'Change', cell: (c) => h('td', {}, h('span', { class: 'mono' }, c.id), h('div', {}, c.title)) },
    { key: 'class', label: 'Class' },
    { key: 'state', label: 'State', cell: (c) => pill(c.state.replace('_', ' '), c.state === 'rolled_back' || c.state === 'rejected' ? 'bad' : 'ok') },
    { key: 'approvals', label: 'Approvals', cell: (c) => h('td', {}, approvals(c)) },
    { key: 'created', label: 'Proposed', cell: (c) => when(c.created) },
  ], rows: done }));
  return root;
}
