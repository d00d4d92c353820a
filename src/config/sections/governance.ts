import { z } from 'zod';

const member = z
  .object({
    login: z.string().min(1).describe('Forge login (and the principal name of SSH-signed approvals).'),
    key: z.string().optional().describe('SSH public key ("ssh-ed25519 AAAA... comment") that signs this member\'s approvals.'),
  })
  .strict();

const requirement = z.object({ role: z.string(), count: z.number().int().min(1).default(1) }).strict();

const classPolicy = z
  .object({
    approvals: z.array(requirement).default([]).describe('Approvals required, per role.'),
    tests: z.boolean().default(true).describe('Tests must have passed.'),
    impactAssessment: z.boolean().default(false).describe('An impact assessment must be attached.'),
  })
  .strict();

/** `governance:` section of depwarden.yaml. Defaults are the protocol's approval process. */
export const governanceSection = z
  .object({
    roles: z.record(z.string(), z.array(member)).default({ developers: [], 'team-lead': [], security: [] }).describe('Roles and their members.'),
    policy: z
      .object({
        patch: classPolicy.prefault({ approvals: [{ role: 'developers', count: 1 }] }),
        minor: classPolicy.prefault({ approvals: [{ role: 'developers', count: 1 }] }),
        major: classPolicy.prefault({ approvals: [{ role: 'team-lead', count: 1 }, { role: 'security', count: 1 }], impactAssessment: true }),
        security: classPolicy.prefault({ approvals: [{ role: 'security', count: 1 }] }),
        rollback: classPolicy.prefault({ approvals: [{ role: 'team-lead', count: 1 }], tests: false }),
      })
      .strict()
      .prefault({})
      .describe('Per update class: approvals by role and the other gates. Defaults: patch/minor need passing tests and one developer; major an impact assessment, the team lead and a security review; security fixes the security team; a manual rollback (class rollback) one team-lead — an automatic rollback by a failed deploy gate needs none.'),
    emergency: z
      .object({
        allowed: z.boolean().default(true).describe('Security fixes may be merged without the normal approvals.'),
        mergeRoles: z.array(z.string()).default(['security']).describe('Roles whose members may take the emergency lane (SSH-signed).'),
        reviewRole: z.string().default('security').describe('Role that must sign off the post-update review.'),
        reviewDeadlineHours: z.number().int().min(1).default(48).describe('Hours after an emergency merge before its review is overdue.'),
      })
      .strict()
      .prefault({})
      .describe('The emergency lane for security fixes.'),
    permissions: z
      .object({
        propose: z.array(z.string()).default([]).describe('Roles that may propose a change ([]: a member of any role).'),
        tested: z.array(z.string()).default([]).describe('Roles that may record test results ([]: a member of any role).'),
        merge: z.array(z.string()).default([]).describe('Roles that may record a merge ([]: a member of any role).'),
        verified: z.array(z.string()).default([]).describe('Roles that may record the post-update verification ([]: a member of any role).'),
        reject: z.array(z.string()).default([]).describe('Roles that may reject a change ([]: the roles whose approval that change\'s class needs).'),
      })
      .strict()
      .prefault({})
      .describe('Who may move a change from state to state. Every such step is SSH-signed by a key the trusted policy lists for the login.'),
    rollbackReview: z
      .object({
        role: z.string().default('team-lead').describe('Role that signs off the post-update review every rollback owes.'),
        deadlineHours: z.number().int().min(1).default(72).describe('Hours after a rollback before its review is overdue.'),
      })
      .strict()
      .prefault({})
      .describe('The post-update review of rollbacks (automatic and manual).'),
    policyChangeClass: z.enum(['patch', 'minor', 'major', 'security', 'rollback']).default('major').describe('A change that edits the governance policy also needs the approvals of this class (as the current, trusted policy names them).'),
    trustedRef: z.string().min(1).optional().describe('Git ref the policy is read from (default: origin/HEAD, else main, else master). Read only from the default ref\'s own depwarden.yaml; `--trusted-ref` or DEPWARDEN_TRUSTED_REF override it.'),
  })
  .strict()
  .describe('Approvals by role, the emergency lane and the audit trail.');
