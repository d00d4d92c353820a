import type { RegisterCommand } from '../context.ts';
import { registerNotBuilt } from '../not-built.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  registerNotBuilt(program, ctx, result, 'sbom [path]', 'Write CycloneDX and SPDX SBOMs per service and for the repository', 5);
};
