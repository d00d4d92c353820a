export * from './source.ts';
export * from './dependency.ts';
export * from './finding.ts';
export * from './files.ts';
export * from './inventory.ts';
export * from './rule.ts';
export * from './update.ts';
