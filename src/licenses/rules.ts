import type { RuleInfo } from '../model/rule.ts';

/** Licence rules: their own range, 8xx (0xx–7xx are taken by the other capabilities). */
export const LICENSE_RULES: RuleInfo[] = [
  {
    id: 'DW801',
    title: 'Denied licence',
    defaultSeverity: 'high',
    description: 'A locked package is licensed only under licences the `licenses.deny` list names (for an OR expression: every alternative is denied).',
    hint: 'Replace the package, or record a reviewed exception (licenses.exceptions, with reason and expiry).',
  },
  {
    id: 'DW802',
    title: 'Licence needs review',
    defaultSeverity: 'medium',
    description: 'A locked package\'s licence is in `licenses.review`, or in no list while `licenses.allow` is set.',
    hint: 'Review it; then add the licence to `licenses.allow` or the package to `licenses.exceptions`.',
  },
  {
    id: 'DW803',
    title: 'Unknown licence',
    defaultSeverity: 'low',
    description: 'With `licenses.unknown: review`, a locked package whose licence the lock does not give or that is no SPDX expression depwarden can read.',
    hint: 'Check the package\'s licence by hand and record an exception, or set its SPDX id upstream.',
  },
];
