import type { Tx } from "~/utils/db.server.ts";

/** Every task of a campaign with its current version, for the loop engine. */
export function readLadderRows({ tx, campaignId }: { tx: Tx; campaignId: string }) {
  return tx.task.findMany({
    select: {
      id: true,
      archivedAt: true,
      currentVersion: {
        select: { id: true, title: true, dueAfterDays: true, fields: true, rules: true },
      },
    },
    where: { campaignId },
    orderBy: { position: "asc" },
  });
}

export function readCampaignForLoop({ tx, campaignId }: { tx: Tx; campaignId: string }) {
  return tx.campaign.findUniqueOrThrow({
    select: {
      id: true,
      organisationId: true,
      firstTaskId: true,
      status: true,
      title: true,
      metricKey: true,
    },
    where: { id: campaignId },
  });
}
