import type { RegisterCommand } from '../context.ts';
import { registerNotBuilt } from '../not-built.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  registerNotBuilt(program, ctx, result, 'conflicts [path]', 'Lock consistency, cross-service drift and unsatisfiable constraints, explained', 3);
  registerNotBuilt(program, ctx, result, 'why <package> [path]', 'Who requires a package, with which constraint, through which chain', 3);
};
