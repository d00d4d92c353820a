import type { RuleInfo } from '../model/rule.ts';

/** Governance rules (issue 7). */
export const GOVERNANCE_RULES: RuleInfo[] = [
  {
    id: 'DW501',
    title: 'Post-update review overdue',
    defaultSeverity: 'high',
    description: 'A security fix merged through the emergency lane has not had its post-update review signed off by the required role before the deadline.',
    hint: 'Review the change and sign off with `depwarden changes review <change> --as <login> --key <ssh key>`.',
  },
];
