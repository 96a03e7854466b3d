import { writeAudit, refusalFromZod, type Refusal } from "~/models/campaign.server.ts";
import { ORGANISER_ROLES, OWNER_ROLES, requireRole } from "~/models/membership.server.ts";
import {
  OrganisationSettingsSchema,
  type OrganisationSettingsInput,
} from "~/schemas/organisation.ts";
import { db } from "~/utils/db.server.ts";

const SETTINGS_SELECT = {
  id: true,
  name: true,
  timezone: true,
  quietStart: true,
  quietEnd: true,
  weeklyCap: true,
} as const;

/**
 * The organisation's contact settings. Owners and organisers may read them (organisers need them
 * to understand why a message waited); only owners may change them (`canEdit`).
 */
export async function getOrganisationSettings({
  actorId,
  organisationId,
}: {
  actorId: string;
  organisationId: string;
}) {
  const role = await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  const organisation = await db.organisation.findUniqueOrThrow({
    select: SETTINGS_SELECT,
    where: { id: organisationId },
  });
  return { organisation, canEdit: OWNER_ROLES.includes(role) };
}

export type OrganisationSettingsResult = { ok: true } | Refusal;

/** Owners only. Writes the new timezone, quiet hours and weekly cap, and audits what changed. */
export async function updateOrganisationSettings({
  actorId,
  organisationId,
  input,
}: {
  actorId: string;
  organisationId: string;
  input: OrganisationSettingsInput;
}): Promise<OrganisationSettingsResult> {
  await requireRole({ userId: actorId, organisationId, roles: OWNER_ROLES });
  const parsed = OrganisationSettingsSchema.safeParse(input);
  if (!parsed.success) return refusalFromZod(parsed.error);
  const next = parsed.data;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM "Organisation" WHERE id = ${organisationId} FOR UPDATE`;
    const before = await tx.organisation.findUniqueOrThrow({
      select: { timezone: true, quietStart: true, quietEnd: true, weeklyCap: true },
      where: { id: organisationId },
    });
    const changed: Record<string, { from: string | number; to: string | number }> = {};
    for (const name of Object.keys(before) as Array<keyof typeof before>) {
      if (before[name] !== next[name]) changed[name] = { from: before[name], to: next[name] };
    }
    if (Object.keys(changed).length === 0) return { ok: true as const };
    await tx.organisation.update({
      select: { id: true },
      where: { id: organisationId },
      data: {
        timezone: next.timezone,
        quietStart: next.quietStart,
        quietEnd: next.quietEnd,
        weeklyCap: next.weeklyCap,
      },
    });
    await writeAudit(tx, {
      organisationId,
      actorId,
      action: "organisation.settings_updated",
      subjectType: "Organisation",
      subjectId: organisationId,
      detail: { changed },
    });
    return { ok: true as const };
  });
}
