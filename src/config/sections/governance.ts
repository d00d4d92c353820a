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
      })
      .strict()
      .prefault({})
      .describe('Per update class: approvals by role and the other gates. Defaults: patch/minor need passing tests and one developer; major an impact assessment, the team lead and a security review; security fixes the security team.'),
    emergency: z
      .object({
        allowed: z.boolean().default(true).describe('Security fixes may be merged without the normal approvals.'),
        reviewRole: z.string().default('security').describe('Role that must sign off the post-update review.'),
        reviewDeadlineHours: z.number().int().min(1).default(48).describe('Hours after an emergency merge before its review is overdue.'),
      })
      .strict()
      .prefault({})
      .describe('The emergency lane for security fixes.'),
  })
  .strict()
  .describe('Approvals by role, the emergency lane and the audit trail.');
