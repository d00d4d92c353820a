import type { RuleInfo } from '../model/rule.ts';

/** Supply-chain rules of `export` (issue 17); provenance's are in src/provenance/rules.ts. */
export const EXPORT_RULES: RuleInfo[] = [
  {
    id: 'DW301',
    title: 'Exported requirements out of date',
    defaultSeverity: 'high',
    description:
      'A requirements file generated from a Poetry lock (by `poetry export` or `depwarden export`; recognised because every line pins a package of the lock beside it) no longer matches that lock: a pin, a hash or a package differs. Whatever installs from the file (a Dockerfile `pip install -r`, a platform that only reads requirements.txt) gets other versions than the lock says. Compared by pins and hashes, not by text, so marker spelling does not matter.',
    hint: 'Regenerate it from the lock with the command in the finding (`depwarden export <project> -o <file>`); `depwarden update` does this itself when it relocks.',
  },
];
