import { createHash } from "node:crypto";
import { requireCampaignAccess, writeAudit } from "~/models/campaign.server.ts";
import { ACTIVE_DAYS } from "~/models/reports.server.ts";
import { rate } from "~/reports/compute.ts";
import { CSV_BOM, csvRow } from "~/utils/csv.ts";
import { db } from "~/utils/db.server.ts";

/**
 * The public outcomes page of a campaign (/p/<slug>) and its open data (outcomes.json,
 * areas.csv): what the campaign achieved, for anyone, with no personal data at all
 * (docs/decisions/017-public-outcomes-and-open-data.md).
 *
 * Figures come from the same rollups as the organiser reports (ReportDay, CampaignParticipant;
 * ADR 008), so the cost grows with days × tasks × areas and with volunteers, never with reports.
 * Nothing here reads a name, an address, a postcode, a report's words or a person's id.
 */

/** An area is shown on its own only with at least this many volunteers. */
export const MIN_AREA_VOLUNTEERS = 5;
export const OTHER_AREAS = "Other areas";
/** The version of the JSON and CSV layout; a change that breaks readers gets a new number. */
export const OPEN_DATA_FORMAT = "onward-public-outcomes/1";
/** How long a browser or proxy may reuse the open data before asking again. */
export const OPEN_DATA_MAX_AGE = 300;

export type AreaFigures = {
  /** Postcode district ("LS6"), or "" when not known. */
  area: string;
  volunteers: number;
  reportedOnce: number;
  active: number;
  reports: number;
  metric: number;
};

export type AreaTable = {
  /** Areas with at least MIN_AREA_VOLUNTEERS volunteers, by name. */
  rows: AreaFigures[];
  /** Every other area together, or null when there is none (or it would be too small to show). */
  other: AreaFigures | null;
  /** True when figures by area are left out entirely: too few volunteers to show any safely. */
  hidden: boolean;
};

const isEmpty = (row: AreaFigures) =>
  row.volunteers === 0 && row.reportedOnce === 0 && row.reports === 0 && row.metric === 0;

function add(a: AreaFigures, b: AreaFigures): AreaFigures {
  return {
    area: a.area,
    volunteers: a.volunteers + b.volunteers,
    reportedOnce: a.reportedOnce + b.reportedOnce,
    active: a.active + b.active,
    reports: a.reports + b.reports,
    metric: a.metric + b.metric,
  };
}

/**
 * Small numbers suppressed: an area with fewer than MIN_AREA_VOLUNTEERS volunteers (and the
 * unknown area) goes into "Other areas". If "Other areas" would then hold from 1 to 4 volunteers
 * (or figures from people counted in no area), the smallest shown area joins it too, until it holds
 * at least MIN_AREA_VOLUNTEERS: so every published group has 0 or at least 5 volunteers, the rows
 * still add up to the totals, and no subtraction of published figures gives a small group. If no
 * area is left to show, nothing is shown by area.
 */
export function suppressSmallAreas(
  figures: readonly AreaFigures[],
  min: number = MIN_AREA_VOLUNTEERS,
): AreaTable {
  const shown = figures
    .filter((row) => row.area !== "" && row.volunteers >= min)
    .sort((a, b) => a.volunteers - b.volunteers || b.area.localeCompare(a.area));
  let other: AreaFigures = {
    area: OTHER_AREAS,
    volunteers: 0,
    reportedOnce: 0,
    active: 0,
    reports: 0,
    metric: 0,
  };
  for (const row of figures) {
    if (row.area === "" || row.volunteers < min) other = add(other, row);
  }
  const tooSmall = (row: AreaFigures) => !isEmpty(row) && row.volunteers < min;
  while (tooSmall(other) && shown.length > 0) other = add(other, shown.shift()!);
  if (tooSmall(other)) return { rows: [], other: null, hidden: true };
  return {
    rows: shown.sort((a, b) => a.area.localeCompare(b.area)),
    other: isEmpty(other) ? null : other,
    hidden: false,
  };
}

type CampaignRow = {
  id: string;
  slug: string;
  title: string;
  description: string;
  status: string;
  metricKey: string;
  metricLabel: string;
  metricUnit: string;
  target: number;
  startsOn: Date | null;
  endsOn: Date | null;
  updatedAt: Date;
  organisation: { name: string; updatedAt: Date; timezone: string };
};

function findPublicCampaign(slug: string): Promise<CampaignRow | null> {
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
      startsOn: true,
      endsOn: true,
      updatedAt: true,
      organisation: { select: { name: true, updatedAt: true, timezone: true } },
    },
    where: { slug, isPublic: true },
  });
}

const day = (value: Date | null) => (value ? value.toISOString().slice(0, 10) : null);

/**
 * Everything the public page and the open data show, or null when there is no campaign with that
 * address or its organisers haven't made it public (both are a plain 404 to the visitor).
 */
export async function getPublicOutcomes({ slug, now = new Date() }: { slug: string; now?: Date }) {
  const campaign = await findPublicCampaign(slug);
  if (!campaign) return null;
  const activeSince = new Date(now.getTime() - ACTIVE_DAYS * 86_400_000);
  const [people, metrics, updates, latest] = await Promise.all([
    db.$queryRaw<
      Array<{
        area: string;
        volunteers: number;
        reportedOnce: number;
        active: number;
        reports: number;
      }>
    >`
      SELECT p.district AS area, count(*)::int AS volunteers,
        count(p."firstReportAt")::int AS "reportedOnce",
        (count(*) FILTER (WHERE p."lastReportAt" >= ${activeSince}))::int AS active,
        COALESCE(sum(p."reportCount"), 0)::int AS reports
      FROM "CampaignParticipant" p
      WHERE p."campaignId" = ${campaign.id}
      GROUP BY p.district`,
    db.$queryRaw<Array<{ area: string; metric: number }>>`
      SELECT d.district AS area, sum(d."metricTotal")::float8 AS metric
      FROM "ReportDay" d
      WHERE d."campaignId" = ${campaign.id}
      GROUP BY d.district`,
    db.update.findMany({
      select: { title: true, body: true, publishedAt: true },
      where: {
        campaignId: campaign.id,
        isYouSaidWeDid: true,
        publishedAt: { not: null, lte: now },
      },
      orderBy: [{ publishedAt: "desc" }, { id: "asc" }],
      take: 50,
    }),
    // For Last-Modified: the newest sign-up or report (the rollup keeps both per person).
    db.$queryRaw<Array<{ at: Date | null }>>`
      SELECT max(GREATEST(p."joinedAt", p."lastReportAt")) AS at
      FROM "CampaignParticipant" p WHERE p."campaignId" = ${campaign.id}`,
  ]);

  const byArea = new Map<string, AreaFigures>();
  for (const row of people) byArea.set(row.area, { ...row, metric: 0 });
  for (const row of metrics) {
    const found = byArea.get(row.area);
    if (found) found.metric += row.metric;
    else
      byArea.set(row.area, {
        area: row.area,
        volunteers: 0,
        reportedOnce: 0,
        active: 0,
        reports: 0,
        metric: row.metric,
      });
  }
  const all = [...byArea.values()];
  const sum = (key: Exclude<keyof AreaFigures, "area">) =>
    all.reduce((total, row) => total + row[key], 0);
  const total = sum("metric");

  const stamps = [
    campaign.updatedAt,
    campaign.organisation.updatedAt,
    latest[0]?.at ?? null,
    ...updates.map((update) => update.publishedAt),
  ].filter((value): value is Date => value instanceof Date);
  const lastModified = new Date(Math.max(...stamps.map((value) => value.getTime())));
  lastModified.setUTCMilliseconds(0);

  return {
    campaign: {
      slug: campaign.slug,
      title: campaign.title,
      description: campaign.description,
      organisation: campaign.organisation.name,
      status: campaign.status,
      startsOn: day(campaign.startsOn),
      endsOn: day(campaign.endsOn),
    },
    objective: {
      label: campaign.metricLabel,
      unit: campaign.metricUnit,
      target: campaign.target,
      total,
      share: rate(total, campaign.target),
    },
    participation: {
      joined: sum("volunteers"),
      reportedOnce: sum("reportedOnce"),
      active: sum("active"),
      reports: sum("reports"),
    },
    areas: suppressSmallAreas(all),
    updates: updates.map((update) => ({
      title: update.title,
      body: update.body,
      publishedAt: update.publishedAt!,
    })),
    /** The organisation's timezone: the page gives the day of each update by its clock. */
    timeZone: campaign.organisation.timezone,
    lastModified,
  };
}

export type PublicOutcomes = NonNullable<Awaited<ReturnType<typeof getPublicOutcomes>>>;

/** The figures as open data (outcomes.json): the fields are described in ADR 017. */
export function outcomesJson(outcomes: PublicOutcomes, { appUrl }: { appUrl: string }) {
  const base = `${appUrl}/p/${encodeURIComponent(outcomes.campaign.slug)}`;
  const area = (row: AreaFigures, name: string) => ({
    area: name,
    volunteers: row.volunteers,
    reportedOnce: row.reportedOnce,
    active: row.active,
    reports: row.reports,
    metric: row.metric,
  });
  return {
    format: OPEN_DATA_FORMAT,
    campaign: { ...outcomes.campaign, url: base },
    objective: outcomes.objective,
    participation: { ...outcomes.participation, activeDays: ACTIVE_DAYS },
    areas: {
      minimumVolunteers: MIN_AREA_VOLUNTEERS,
      hidden: outcomes.areas.hidden,
      rows: [
        ...outcomes.areas.rows.map((row) => area(row, row.area)),
        ...(outcomes.areas.other ? [area(outcomes.areas.other, OTHER_AREAS)] : []),
      ],
    },
    updates: outcomes.updates.map((update) => ({
      title: update.title,
      body: update.body,
      publishedAt: update.publishedAt.toISOString(),
    })),
    links: { page: base, json: `${base}/outcomes.json`, areasCsv: `${base}/areas.csv` },
  };
}

export const AREAS_CSV_HEADER = [
  "area",
  "volunteers",
  "reported_once",
  "active",
  "reports",
  "metric_total",
] as const;

/** areas.csv: one row per area shown, then "Other areas" when there is one. */
export function areasCsv(outcomes: PublicOutcomes): string {
  const rows = [
    ...outcomes.areas.rows,
    ...(outcomes.areas.other ? [{ ...outcomes.areas.other, area: OTHER_AREAS }] : []),
  ];
  return (
    CSV_BOM +
    csvRow(AREAS_CSV_HEADER) +
    rows
      .map((row) =>
        csvRow([row.area, row.volunteers, row.reportedOnce, row.active, row.reports, row.metric]),
      )
      .join("")
  );
}

/**
 * An open-data answer: cacheable by anyone for OPEN_DATA_MAX_AGE seconds, with an ETag taken
 * from the body (so it changes exactly when the figures do) and 304 Not Modified when the
 * client's If-None-Match holds it. Last-Modified is the newest change we can date (a sign-up, a
 * report, an update, the campaign's details); it is informative only, since some changes (a
 * volunteer going quiet, a deletion) have no date, so If-Modified-Since is not used for 304.
 */
export function openDataResponse({
  request,
  body,
  contentType,
  lastModified,
  filename,
}: {
  request: Request;
  body: string;
  contentType: string;
  lastModified: Date;
  filename?: string;
}): Response {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`;
  const headers = new Headers({
    "Cache-Control": `public, max-age=${OPEN_DATA_MAX_AGE}`,
    ETag: etag,
    "Last-Modified": lastModified.toUTCString(),
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
  });
  if (etagMatches(request.headers.get("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("Content-Type", contentType);
  if (filename) headers.set("Content-Disposition", `inline; filename="${filename}"`);
  return new Response(body, { status: 200, headers });
}

/** If-None-Match's weak comparison (RFC 9110 13.1.2): "*", or any listed tag, W/ or not. */
export function etagMatches(header: string | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => bare(tag) === bare(etag));
}

/** The switch on the organiser's settings page: is the campaign's public page on? */
export async function getPublicPageSetting({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  return db.campaign.findUniqueOrThrow({
    select: { id: true, slug: true, title: true, status: true, isPublic: true },
    where: { id: campaignId },
  });
}

/** Turns the public page on or off, recorded in the audit log in the same transaction. */
export async function setPublicPage({
  actorId,
  campaignId,
  isPublic,
}: {
  actorId: string;
  campaignId: string;
  isPublic: boolean;
}) {
  const access = await requireCampaignAccess({ actorId, campaignId });
  return db.$transaction(async (tx) => {
    const before = await tx.campaign.findUniqueOrThrow({
      select: { isPublic: true },
      where: { id: campaignId },
    });
    if (before.isPublic === isPublic) return { changed: false };
    await tx.campaign.update({
      select: { id: true },
      where: { id: campaignId },
      data: { isPublic },
    });
    await writeAudit(tx, {
      organisationId: access.organisationId,
      actorId,
      action: isPublic ? "campaign.public_page_on" : "campaign.public_page_off",
      subjectType: "Campaign",
      subjectId: campaignId,
      detail: { isPublic: { from: before.isPublic, to: isPublic } },
    });
    return { changed: true };
  });
}
