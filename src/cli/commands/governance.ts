import type { RegisterCommand } from '../context.ts';
import { registerNotBuilt } from '../not-built.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  registerNotBuilt(program, ctx, result, 'changes', 'List and show change requests', 7);
  registerNotBuilt(program, ctx, result, 'approve <change>', 'Approve a change request (signed)', 7);
  registerNotBuilt(program, ctx, result, 'reject <change>', 'Reject a change request', 7);
  registerNotBuilt(program, ctx, result, 'gate <change>', 'Exit 0 only when the policy is met for a change', 7);
  registerNotBuilt(program, ctx, result, 'audit-log', 'Verify and export the tamper-evident audit trail', 7);
  registerNotBuilt(program, ctx, result, 'rollback <target>', 'Roll a service or change back to its last known good state', 7);
};
