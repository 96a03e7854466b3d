import type { Channel, ChannelPreference } from "~/generated/prisma/client.ts";
import { db, type Tx } from "~/utils/db.server.ts";

/** What the public join page shows. Drafts are never shown. */
export function getJoinPage({ slug }: { slug: string }) {
  return db.campaign.findFirst({
    select: {
      id: true,
      slug: true,
      title: true,
      description: true,
      status: true,
      metricKey: true,
      metricLabel: true,
      metricUnit: true,
      target: true,
      whyTakePart: true,
      whatWeDo: true,
      whatIsOpen: true,
      organisationId: true,
      organisation: { select: { name: true, timezone: true } },
    },
    where: { slug, status: { in: ["LIVE", "PAUSED", "CLOSED"] } },
  });
}

export function findPersonByContact({ email, phone }: { email?: string; phone?: string }) {
  const or = [...(email ? [{ email }] : []), ...(phone ? [{ phone }] : [])];
  if (or.length === 0) return Promise.resolve(null);
  return db.user.findFirst({
    select: { id: true, email: true, phone: true },
    where: { OR: or, deletedAt: null },
  });
}

export function createVolunteer({
  tx,
  data,
}: {
  tx: Tx;
  data: {
    name: string;
    email: string | null;
    phone: string | null;
    postcode: string;
    district: string;
    timezone: string;
    channelPreference: ChannelPreference;
  };
}) {
  return tx.user.create({ select: { id: true }, data });
}

export function ensureVolunteerMembership({
  tx,
  userId,
  organisationId,
}: {
  tx: Tx;
  userId: string;
  organisationId: string;
}) {
  return tx.membership.upsert({
    select: { id: true },
    where: { userId_organisationId: { userId, organisationId } },
    create: { userId, organisationId, role: "VOLUNTEER" },
    update: {},
  });
}

export function recordConsents({
  tx,
  userId,
  organisationId,
  consents,
  source,
}: {
  tx: Tx;
  userId: string;
  organisationId: string;
  consents: Array<{ channel: Channel; wording: string }>;
  source: string;
}) {
  return tx.consent.createMany({
    data: consents.map((consent) => ({
      userId,
      organisationId,
      granted: true,
      source,
      ...consent,
    })),
  });
}

export function getOpenAssignmentInCampaign({
  userId,
  campaignId,
}: {
  userId: string;
  campaignId: string;
}) {
  return db.assignment.findFirst({
    select: { id: true },
    where: { userId, campaignId, status: "ASSIGNED" },
  });
}
