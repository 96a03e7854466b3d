import { db } from "~/utils/db.server.ts";
import { ORGANISER_ROLES, requireRole } from "~/models/membership.server.ts";

/** The organisation's campaigns, for its owners and organisers only. */
export async function listCampaigns({
  actorId,
  organisationId,
}: {
  actorId: string;
  organisationId: string;
}) {
  await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  return db.campaign.findMany({
    select: {
      id: true,
      slug: true,
      title: true,
      status: true,
      metricLabel: true,
      target: true,
      _count: { select: { assignments: true, reports: true } },
    },
    where: { organisationId },
    orderBy: { createdAt: "desc" },
  });
}
