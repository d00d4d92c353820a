import type { RegisterCommand } from '../context.ts';
import { registerNotBuilt } from '../not-built.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  registerNotBuilt(program, ctx, result, 'db', 'Manage the offline OSV advisory database (sync, import, status)', 4);
  registerNotBuilt(program, ctx, result, 'audit [path]', 'Match locked packages against OSV advisories', 4);
};
