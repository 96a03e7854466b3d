import { Prisma } from "~/generated/prisma/client.ts";
import { recordAuditEvents } from "~/models/audit.server.ts";
import { NotFoundError, type Refusal } from "~/models/campaign.server.ts";
import { OWNER_ROLES, requireRole } from "~/models/membership.server.ts";
import {
  DELIVERY_PAGE_SIZE,
  MAX_ENDPOINTS,
  PING_EVENT,
  endpointUrlProblem,
  type CreateEndpointInput,
  type EndpointAction,
  type WebhookEvent,
} from "~/schemas/webhooks.ts";
import { db, newId, sqlUtc, type SqlTx } from "~/utils/db.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { addJob, maxJobAttempts } from "~/utils/jobs.server.ts";
import { postWebhook } from "~/utils/webhook-http.server.ts";
import { maskSecret, newWebhookSecret, signatureHeader } from "~/utils/webhook-signature.server.ts";

/**
 * Outgoing webhooks per organisation (ADR 018).
 *
 * An event (volunteer.joined, report.created, feedback.answered) is recorded in the transaction of
 * the change that causes it: one WebhookDelivery row per enabled endpoint of the organisation that
 * asked for it, with its deliver-webhook job, in one INSERT … SELECT. An organisation without
 * endpoints pays that one statement, which finds no endpoint and builds no payload.
 *
 * The job (deliverWebhook) claims the row, signs and POSTs it, and records the attempt; a failure
 * is tried again on RETRY_DELAYS_MS, and after the last attempt the row is FAILED. The row is the
 * source of truth: a delivery that SUCCEEDED or FAILED is never sent again, however often its job
 * runs, and an attempt in progress holds the row (lockedUntil) so that two jobs can't send at once.
 *
 * Owners manage endpoints and read the delivery log; nobody else may see them.
 */

/** Waits after failed attempts 1, 2, …: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h (~45 h in all). */
export const RETRY_DELAYS_MS: readonly number[] = [1, 5, 30, 120, 360, 720, 1440].map(
  (minutes) => minutes * 60_000,
);
/** Attempts in all, the first included. */
export const MAX_DELIVERY_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** How long a receiver has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** An attempt's hold on its row outlasts its time limit by this much. */
const LEASE_MARGIN_MS = 20_000;
/** After a roll, the old secret keeps signing (beside the new one) this long. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;
const MAX_ERROR_CHARS = 300;
export const USER_AGENT = "Onward-Webhooks/1.0";

export function webhookJobKey(deliveryId: string) {
  return `webhook:${deliveryId}`;
}

/** https only, and no private addresses, in a deployment; anything http(s) locally and in tests. */
function httpsRequired() {
  const env = getEnv();
  return env.NODE_ENV === "production" && !env.isLocal;
}

const isoOf = (column: string) =>
  Prisma.sql`to_char(${Prisma.raw(column)}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/**
 * The first word of a person's name, all a receiver learns about who they are: firstNameOnly
 * (app/utils/format.ts) in SQL, null where that says "Someone" (no name, or a word that looks like
 * an email address or a phone number).
 */
export const firstNameOf = (column: string) =>
  Prisma.sql`(SELECT CASE
      WHEN w = '' OR w LIKE '%@%' OR length(regexp_replace(w, '\\D', '', 'g')) >= 6 THEN NULL
      ELSE left(w, 40) END
    FROM (SELECT (regexp_split_to_array(
      regexp_replace(coalesce(${Prisma.raw(column)}, ''), '^\\s+|\\s+$', '', 'g'), '\\s+'))[1] AS w
    ) AS first_word)`;
const CAMPAIGN_JSON = Prisma.sql`jsonb_build_object('id', c.id, 'slug', c.slug, 'title', c.title)`;

/**
 * SQL: endpoint `e` belongs to the organisation (an SQL expression for its id), takes `event` and
 * is not disabled. The one test of who receives an event, used to queue deliveries and to know
 * beforehand whether there would be any.
 */
function endpointTakes(organisationId: Prisma.Sql, event: WebhookEvent) {
  return Prisma.sql`e."organisationId" = ${organisationId} AND ${event}::text = ANY(e.events)
    AND e."disabledAt" IS NULL`;
}

/**
 * SQL: whether the organisation has an endpoint taking `event`. Lets a hot path read it with what
 * it reads anyway and skip recording an event nobody would receive.
 */
export function wantsWebhookEvent(organisationId: Prisma.Sql, event: WebhookEvent) {
  return Prisma.sql`EXISTS (SELECT 1 FROM "WebhookEndpoint" e
    WHERE ${endpointTakes(organisationId, event)})`;
}

/**
 * One delivery, and its job, per endpoint that `target` picks, in one statement. `data` is an SQL
 * expression giving the event's `data` object; it is evaluated only when an endpoint is found.
 * Returns how many deliveries were queued.
 */
async function queueDeliveries({
  tx,
  target,
  type,
  data,
  now,
}: {
  tx: SqlTx;
  target:
    { organisationId: string; event: WebhookEvent; only?: Prisma.Sql } | { endpointId: string };
  type: string;
  data: Prisma.Sql;
  now: Date;
}): Promise<number> {
  const eventId = newId("evt");
  const endpoints =
    "endpointId" in target
      ? Prisma.sql`e.id = ${target.endpointId} AND e."disabledAt" IS NULL`
      : Prisma.sql`${endpointTakes(Prisma.sql`${target.organisationId}`, target.event)}
          ${target.only ?? Prisma.empty}`;
  const [row] = await tx.$queryRaw<Array<{ queued: number }>>`
    WITH inserted AS (
      INSERT INTO "WebhookDelivery"
        ("id", "endpointId", "organisationId", "event", "eventId", "payload", "nextAttemptAt",
         "createdAt")
      SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, e."organisationId",
        ${type}::text, ${eventId}::text,
        jsonb_build_object('id', ${eventId}::text, 'type', ${type}::text,
          'createdAt', ${now.toISOString()}::text, 'organisationId', e."organisationId",
          'data', ${data}),
        ${sqlUtc(now)}, ${sqlUtc(now)}
      FROM "WebhookEndpoint" e
      WHERE ${endpoints}
      RETURNING "id")
    SELECT count(graphile_worker.add_job(
      identifier => 'deliver-webhook'::text,
      payload => json_build_object('deliveryId', inserted.id),
      max_attempts => ${maxJobAttempts("deliver-webhook")}::integer,
      job_key => ('webhook:' || inserted.id)::text))::int AS queued
    FROM inserted`;
  return row?.queued ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Events, each recorded in the caller's transaction.

/**
 * volunteer.joined: someone joined a campaign (signed up, or an existing person joined another
 * campaign). `firstTimeOnly` skips it when they had already taken part in the campaign.
 */
export function recordVolunteerJoined({
  tx,
  organisationId,
  campaignId,
  userId,
  assignmentId,
  firstTimeOnly = false,
  now,
}: {
  tx: SqlTx;
  organisationId: string;
  campaignId: string;
  userId: string;
  assignmentId: string | null;
  firstTimeOnly?: boolean;
  now: Date;
}) {
  return queueDeliveries({
    tx,
    type: "volunteer.joined",
    now,
    target: {
      organisationId,
      event: "volunteer.joined",
      only: firstTimeOnly
        ? Prisma.sql`AND NOT EXISTS (SELECT 1 FROM "CampaignParticipant" p
            WHERE p."campaignId" = ${campaignId} AND p."userId" = ${userId})`
        : undefined,
    },
    data: Prisma.sql`(SELECT jsonb_build_object(
        'campaign', ${CAMPAIGN_JSON},
        'volunteer', jsonb_build_object('id', u.id, 'firstName', ${firstNameOf("u.name")}),
        'assignmentId', ${assignmentId}::text,
        'joinedAt', ${now.toISOString()}::text)
      FROM "Campaign" c, "User" u WHERE c.id = ${campaignId} AND u.id = ${userId})`,
  });
}

/** report.created: a report stored (from the web, an offline queue or an SMS reply). */
export function recordReportCreated({
  tx,
  organisationId,
  assignmentId,
  nextAssignmentId,
  now,
}: {
  tx: SqlTx;
  organisationId: string;
  assignmentId: string;
  nextAssignmentId: string | null;
  now: Date;
}) {
  return queueDeliveries({
    tx,
    type: "report.created",
    now,
    target: { organisationId, event: "report.created" },
    data: Prisma.sql`(SELECT jsonb_build_object(
        'report', jsonb_build_object('id', r.id, 'assignmentId', r."assignmentId",
          'source', r.source, 'values', r.values, 'feedback', r.feedback,
          'createdAt', ${isoOf('r."createdAt"')}),
        'campaign', ${CAMPAIGN_JSON},
        'task', jsonb_build_object('id', r."taskId", 'title', tv.title),
        'volunteer', CASE WHEN u.id IS NULL THEN NULL
          ELSE jsonb_build_object('id', u.id, 'firstName', ${firstNameOf("u.name")}) END,
        'nextAssignmentId', ${nextAssignmentId}::text)
      FROM "Report" r
      JOIN "Campaign" c ON c.id = r."campaignId"
      JOIN "TaskVersion" tv ON tv.id = r."taskVersionId"
      LEFT JOIN "User" u ON u.id = r."userId"
      WHERE r."assignmentId" = ${assignmentId})`,
  });
}

/** feedback.answered: an organiser replied to a contribution, or marked it actioned or no action. */
export function recordFeedbackAnswered({
  tx,
  organisationId,
  campaignId,
  item,
  answer,
  actorId,
  now,
}: {
  tx: SqlTx;
  organisationId: string;
  campaignId: string;
  item: {
    id: string;
    kind: "report" | "skip";
    reportId: string | null;
    taskId: string;
    taskTitle: string;
    userId: string | null;
  };
  answer:
    | { action: "reply"; reply: string }
    | { action: "mark"; status: "ACTIONED" | "NO_ACTION"; reason: string };
  actorId: string;
  now: Date;
}) {
  const rest = {
    item: { id: item.id, kind: item.kind, reportId: item.reportId },
    task: { id: item.taskId, title: item.taskTitle },
    volunteer: item.userId ? { id: item.userId } : null,
    action: answer.action,
    status: answer.action === "reply" ? "ANSWERED" : answer.status,
    reply: answer.action === "reply" ? answer.reply : null,
    reason: answer.action === "mark" ? answer.reason : null,
    answeredBy: { id: actorId },
    answeredAt: now.toISOString(),
  };
  return queueDeliveries({
    tx,
    type: "feedback.answered",
    now,
    target: { organisationId, event: "feedback.answered" },
    data: Prisma.sql`(SELECT ${JSON.stringify(rest)}::jsonb
        || jsonb_build_object('campaign', ${CAMPAIGN_JSON})
      FROM "Campaign" c WHERE c.id = ${campaignId})`,
  });
}

/**
 * Account deletion (privacy.server.ts): every delivery about the person goes, sent or not, so
 * nothing more about them is sent and no copy of what was sent stays with us.
 */
export function forgetWebhookDeliveriesAbout({ tx, userId }: { tx: SqlTx; userId: string }) {
  return tx.$executeRaw`
    DELETE FROM "WebhookDelivery" WHERE payload->'data'->'volunteer'->>'id' = ${userId}`;
}

// ---------------------------------------------------------------------------------------------
// Owners: endpoints and their delivery logs.

async function requireEndpointOwner({
  actorId,
  endpointId,
}: {
  actorId: string;
  endpointId: string;
}) {
  const endpoint = await db.webhookEndpoint.findUnique({
    select: { id: true, organisationId: true },
    where: { id: endpointId },
  });
  if (!endpoint) throw new NotFoundError("We can't find that webhook.");
  await requireRole({
    userId: actorId,
    organisationId: endpoint.organisationId,
    roles: OWNER_ROLES,
  });
  return endpoint;
}

/** An organisation's endpoints with their latest delivery, for its owners (ForbiddenError else). */
export async function listEndpoints({
  actorId,
  organisationId,
}: {
  actorId: string;
  organisationId: string;
}) {
  await requireRole({ userId: actorId, organisationId, roles: OWNER_ROLES });
  const endpoints = await db.webhookEndpoint.findMany({
    select: {
      id: true,
      url: true,
      events: true,
      disabledAt: true,
      createdAt: true,
      deliveries: {
        select: { status: true, createdAt: true },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: 1,
      },
    },
    where: { organisationId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return endpoints.map(({ deliveries, ...endpoint }) => ({
    ...endpoint,
    lastDelivery: deliveries[0] ?? null,
  }));
}

export type CreateEndpointResult = { ok: true; endpointId: string; secret: string } | Refusal;

function refusal(field: string | null, message: string): Refusal {
  return field
    ? { ok: false, formErrors: [], fieldErrors: { [field]: [message] } }
    : { ok: false, formErrors: [message], fieldErrors: {} };
}

/** Owners only: adds an endpoint with a new secret (returned once, to show) and audits it. */
export async function createEndpoint({
  actorId,
  organisationId,
  input,
  ip = null,
  now = new Date(),
}: {
  actorId: string;
  organisationId: string;
  input: Pick<CreateEndpointInput, "url" | "events">;
  ip?: string | null;
  now?: Date;
}): Promise<CreateEndpointResult> {
  await requireRole({ userId: actorId, organisationId, roles: OWNER_ROLES });
  const problem = endpointUrlProblem(input.url, { requireHttps: httpsRequired() });
  if (problem) return refusal("url", problem);
  return db.$transaction(async (tx): Promise<CreateEndpointResult> => {
    // Two owners adding at once still can't pass the limit.
    await tx.$executeRaw`SELECT 1 FROM "Organisation" WHERE id = ${organisationId} FOR UPDATE`;
    const count = await tx.webhookEndpoint.count({ where: { organisationId } });
    if (count >= MAX_ENDPOINTS) {
      return refusal(
        null,
        `You can have up to ${MAX_ENDPOINTS} webhooks. Delete one to add another`,
      );
    }
    const secret = newWebhookSecret();
    const endpoint = await tx.webhookEndpoint.create({
      select: { id: true },
      data: { organisationId, url: input.url, secret, events: input.events, createdAt: now },
    });
    await recordAuditEvents({
      tx,
      events: [
        {
          organisationId,
          actorId,
          action: "webhook.created",
          subjectType: "WebhookEndpoint",
          subjectId: endpoint.id,
          detail: { title: input.url, events: input.events },
          ip,
          createdAt: now,
        },
      ],
    });
    return { ok: true, endpointId: endpoint.id, secret };
  });
}

/** One endpoint and a page of its delivery log, newest first, for an owner (NotFoundError else). */
export async function getEndpointLog({
  actorId,
  endpointId,
  page = 1,
  now = new Date(),
}: {
  actorId: string;
  endpointId: string;
  page?: number;
  now?: Date;
}) {
  await requireEndpointOwner({ actorId, endpointId });
  const [endpoint, total, deliveries] = await Promise.all([
    db.webhookEndpoint.findUniqueOrThrow({
      select: {
        id: true,
        url: true,
        events: true,
        secret: true,
        previousSecretUntil: true,
        disabledAt: true,
        createdAt: true,
        organisation: { select: { id: true, name: true, timezone: true } },
      },
      where: { id: endpointId },
    }),
    db.webhookDelivery.count({ where: { endpointId } }),
    db.webhookDelivery.findMany({
      select: {
        id: true,
        event: true,
        eventId: true,
        payload: true,
        status: true,
        attempts: true,
        lastStatusCode: true,
        lastError: true,
        nextAttemptAt: true,
        deliveredAt: true,
        createdAt: true,
      },
      where: { endpointId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: (page - 1) * DELIVERY_PAGE_SIZE,
      take: DELIVERY_PAGE_SIZE,
    }),
  ]);
  const { secret, previousSecretUntil, ...rest } = endpoint;
  return {
    endpoint: {
      ...rest,
      secret,
      maskedSecret: maskSecret(secret),
      oldSecretUntil: previousSecretUntil && previousSecretUntil > now ? previousSecretUntil : null,
    },
    deliveries,
    total,
    page,
    pageCount: Math.max(1, Math.ceil(total / DELIVERY_PAGE_SIZE)),
    maxAttempts: MAX_DELIVERY_ATTEMPTS,
  };
}

export type EndpointActionResult =
  { ok: true; organisationId: string; secret?: string; deleted?: boolean } | Refusal;

const AUDIT_ACTIONS: Partial<Record<EndpointAction["intent"], string>> = {
  update: "webhook.updated",
  disable: "webhook.disabled",
  enable: "webhook.enabled",
  delete: "webhook.deleted",
  "roll-secret": "webhook.secret_rolled",
};

/**
 * Does what an owner asked to an endpoint, with its audit event in the same transaction: change
 * its address or events, turn it off or on, delete it, roll its secret (the old one keeps signing
 * for SECRET_OVERLAP_MS), send a test event, or send a failed delivery again.
 */
export async function actOnEndpoint({
  actorId,
  endpointId,
  action,
  ip = null,
  now = new Date(),
}: {
  actorId: string;
  endpointId: string;
  action: EndpointAction;
  ip?: string | null;
  now?: Date;
}): Promise<EndpointActionResult> {
  const { organisationId } = await requireEndpointOwner({ actorId, endpointId });
  if (action.intent === "update") {
    const problem = endpointUrlProblem(action.url, { requireHttps: httpsRequired() });
    if (problem) return refusal("url", problem);
  }
  return db.$transaction(async (tx): Promise<EndpointActionResult> => {
    const [endpoint] = await tx.$queryRaw<
      Array<{ url: string; secret: string; disabled: boolean; events: string[] }>
    >`SELECT url, secret, "disabledAt" IS NOT NULL AS disabled, events
      FROM "WebhookEndpoint" WHERE id = ${endpointId} FOR UPDATE`;
    if (!endpoint) throw new NotFoundError("We can't find that webhook.");
    const where = { id: endpointId };
    let result: EndpointActionResult;
    let detail: Prisma.InputJsonValue = { title: endpoint.url };
    switch (action.intent) {
      case "update": {
        await tx.webhookEndpoint.update({
          select: { id: true },
          where,
          data: { url: action.url, events: action.events },
        });
        detail = { title: action.url, events: action.events, previousUrl: endpoint.url };
        result = { ok: true, organisationId };
        break;
      }
      case "disable":
      case "enable": {
        const disabling = action.intent === "disable";
        if (endpoint.disabled === disabling) return { ok: true, organisationId };
        await tx.webhookEndpoint.update({
          select: { id: true },
          where,
          data: { disabledAt: disabling ? now : null },
        });
        result = { ok: true, organisationId };
        break;
      }
      case "delete": {
        await tx.webhookEndpoint.delete({ select: { id: true }, where });
        result = { ok: true, organisationId, deleted: true };
        break;
      }
      case "roll-secret": {
        const secret = newWebhookSecret();
        await tx.webhookEndpoint.update({
          select: { id: true },
          where,
          data: {
            secret,
            previousSecret: endpoint.secret,
            previousSecretUntil: new Date(now.getTime() + SECRET_OVERLAP_MS),
          },
        });
        result = { ok: true, organisationId, secret };
        break;
      }
      case "ping": {
        if (endpoint.disabled) return refusal(null, "Turn the webhook on to send it a test event");
        await queueDeliveries({
          tx,
          target: { endpointId },
          type: PING_EVENT,
          now,
          data: Prisma.sql`${JSON.stringify({
            endpointId,
            message: "A test event from Onward. If you can read this, your webhook works.",
          })}::jsonb`,
        });
        result = { ok: true, organisationId };
        break;
      }
      case "retry": {
        if (endpoint.disabled) return refusal(null, "Turn the webhook on to send it again");
        const delivery = await tx.webhookDelivery.findFirst({
          select: { id: true, status: true },
          where: { id: action.deliveryId, endpointId },
        });
        if (!delivery) return refusal(null, "We can't find that delivery in this webhook's log");
        if (delivery.status !== "FAILED") {
          return refusal(null, "Only a delivery that failed can be sent again");
        }
        await tx.webhookDelivery.update({
          select: { id: true },
          where: { id: delivery.id },
          data: { status: "PENDING", nextAttemptAt: now, lockedUntil: null },
        });
        await addJob({
          tx,
          task: "deliver-webhook",
          payload: { deliveryId: delivery.id },
          jobKey: webhookJobKey(delivery.id),
        });
        result = { ok: true, organisationId };
        break;
      }
    }
    const audit = AUDIT_ACTIONS[action.intent];
    if (audit) {
      await recordAuditEvents({
        tx,
        events: [
          {
            organisationId,
            actorId,
            action: audit,
            subjectType: "WebhookEndpoint",
            subjectId: endpointId,
            detail,
            ip,
            createdAt: now,
          },
        ],
      });
    }
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// Delivery (the deliver-webhook job).

export type DeliveryOutcome =
  | { outcome: "succeeded"; attempt: number; status: number }
  | { outcome: "retrying"; attempt: number; nextAttemptAt: Date; error: string }
  | { outcome: "failed"; attempt: number; error: string }
  /** Another attempt holds the row right now. */
  | { outcome: "busy" }
  /** Already succeeded or failed, or deleted with its endpoint: nothing to send. */
  | { outcome: "done" };

/**
 * One attempt at a delivery: claim the row (a conditional UPDATE: still PENDING and not held by
 * another attempt), sign the payload with a fresh timestamp and POST it, then record the outcome.
 * A 2xx is SUCCEEDED; anything else schedules the next attempt after `retryDelaysMs[attempt - 1]`
 * (its job added in the same transaction), or marks the row FAILED after the last one.
 */
export async function deliverWebhook({
  deliveryId,
  now = new Date(),
  retryDelaysMs = RETRY_DELAYS_MS,
  timeoutMs = DELIVERY_TIMEOUT_MS,
}: {
  deliveryId: string;
  now?: Date;
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
}): Promise<DeliveryOutcome> {
  const claimed = await db.webhookDelivery.updateMany({
    where: {
      id: deliveryId,
      status: "PENDING",
      OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }],
    },
    data: {
      attempts: { increment: 1 },
      lockedUntil: new Date(now.getTime() + timeoutMs + LEASE_MARGIN_MS),
    },
  });
  if (claimed.count === 0) {
    const row = await db.webhookDelivery.findUnique({
      select: { status: true },
      where: { id: deliveryId },
    });
    return row?.status === "PENDING" ? { outcome: "busy" } : { outcome: "done" };
  }
  const delivery = await db.webhookDelivery.findUniqueOrThrow({
    select: {
      id: true,
      event: true,
      attempts: true,
      payload: true,
      endpoint: {
        select: {
          url: true,
          secret: true,
          previousSecret: true,
          previousSecretUntil: true,
          disabledAt: true,
        },
      },
    },
    where: { id: deliveryId },
  });
  const attempt = delivery.attempts;
  const mine = { id: deliveryId, status: "PENDING" as const, attempts: attempt };
  const { endpoint } = delivery;

  if (endpoint.disabledAt) {
    const error = "Not sent: the webhook was turned off";
    await db.webhookDelivery.updateMany({
      where: mine,
      data: {
        status: "FAILED",
        attempts: attempt - 1,
        lastError: error,
        lockedUntil: null,
        nextAttemptAt: null,
      },
    });
    return { outcome: "failed", attempt: attempt - 1, error };
  }

  const body = JSON.stringify(delivery.payload);
  const secrets = [endpoint.secret];
  if (
    endpoint.previousSecret &&
    endpoint.previousSecretUntil &&
    endpoint.previousSecretUntil > now
  ) {
    secrets.push(endpoint.previousSecret);
  }
  const sent = await postWebhook({
    url: endpoint.url,
    body,
    timeoutMs,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": USER_AGENT,
      "Onward-Event": delivery.event,
      "Onward-Delivery": delivery.id,
      // Signed afresh on every attempt, so a retry a day later still passes a 5-minute tolerance.
      "Onward-Signature": signatureHeader({
        secrets,
        timestamp: Math.floor(now.getTime() / 1000),
        body,
      }),
    },
  });

  if (sent.ok) {
    await db.webhookDelivery.updateMany({
      where: mine,
      data: {
        status: "SUCCEEDED",
        lastStatusCode: sent.status,
        lastError: null,
        deliveredAt: now,
        lockedUntil: null,
        nextAttemptAt: null,
      },
    });
    return { outcome: "succeeded", attempt, status: sent.status };
  }

  const error = sent.error.slice(0, MAX_ERROR_CHARS);
  if (attempt >= retryDelaysMs.length + 1) {
    await db.webhookDelivery.updateMany({
      where: mine,
      data: {
        status: "FAILED",
        lastStatusCode: sent.status,
        lastError: error,
        lockedUntil: null,
        nextAttemptAt: null,
      },
    });
    return { outcome: "failed", attempt, error };
  }
  const delay = retryDelaysMs[attempt - 1] ?? retryDelaysMs[retryDelaysMs.length - 1] ?? 60_000;
  const nextAttemptAt = new Date(now.getTime() + delay);
  await db.$transaction(async (tx) => {
    const recorded = await tx.webhookDelivery.updateMany({
      where: mine,
      data: { lastStatusCode: sent.status, lastError: error, lockedUntil: null, nextAttemptAt },
    });
    if (recorded.count === 1) {
      await addJob({
        tx,
        task: "deliver-webhook",
        payload: { deliveryId },
        runAt: nextAttemptAt,
        jobKey: webhookJobKey(deliveryId),
      });
    }
  });
  return { outcome: "retrying", attempt, nextAttemptAt, error };
}
