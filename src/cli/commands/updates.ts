import type { RegisterCommand } from '../context.ts';
import { registerNotBuilt } from '../not-built.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  registerNotBuilt(program, ctx, result, 'outdated [path]', 'Current, allowed and latest versions of every dependency', 6);
  registerNotBuilt(program, ctx, result, 'update [path]', 'Plan, apply, relock and publish dependency updates', 6);
};
