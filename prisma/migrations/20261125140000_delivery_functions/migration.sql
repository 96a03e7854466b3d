-- Delivery's two hot reads as PL/pgSQL functions. PostgreSQL plans a plain statement afresh on
-- every call, and planning these joins cost more than running them; a PL/pgSQL function keeps
-- its statements' plans for the life of the connection. See app/models/message.server.ts and
-- app/models/nudge.server.ts, which call them, and docs/decisions/007-delivery-throughput.md.

-- Claims one pending message: locks the row (FOR UPDATE SKIP LOCKED; QUEUED and HELD only), takes
-- the person's contact lock, and returns what delivery needs. No row when there is nothing to claim.
CREATE FUNCTION onward_claim_message(p_id TEXT)
RETURNS TABLE (
    "id" TEXT, "userId" TEXT, "organisationId" TEXT, "assignmentId" TEXT,
    "channel" TEXT, "kind" TEXT, "dedupeKey" TEXT, "toAddress" TEXT,
    "subject" TEXT, "bodyText" TEXT, "bodyHtml" TEXT, "status" TEXT,
    "sendAfter" TIMESTAMP(3), "createdAt" TIMESTAMP(3),
    "userName" TEXT, "userTimezone" TEXT, "userDeletedAt" TIMESTAMP(3),
    "orgName" TEXT, "orgTimezone" TEXT, "quietStart" TEXT, "quietEnd" TEXT, "weeklyCap" INTEGER,
    "aStatus" TEXT, "aDueAt" TIMESTAMP(3), "aPreviousId" TEXT,
    "tvTitle" TEXT, "tvLocation" TEXT, "tvRules" JSONB,
    "cId" TEXT, "cSlug" TEXT, "cTitle" TEXT, "cStatus" TEXT,
    "cMetricKey" TEXT, "cMetricLabel" TEXT, "cTarget" INTEGER,
    "pStatus" TEXT, "pTitle" TEXT
)
LANGUAGE plpgsql AS $$
DECLARE
    claimed "Message"%ROWTYPE;
BEGIN
    SELECT * INTO claimed FROM "Message" m
    WHERE m.id = p_id AND m.status IN ('QUEUED', 'HELD')
    FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF claimed."userId" IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('contact:' || claimed."userId", 0));
    END IF;
    RETURN QUERY
    SELECT claimed.id, claimed."userId", claimed."organisationId", claimed."assignmentId",
        claimed.channel::TEXT, claimed.kind, claimed."dedupeKey", claimed."toAddress",
        claimed.subject, claimed."bodyText", claimed."bodyHtml", claimed.status::TEXT,
        claimed."sendAfter", claimed."createdAt",
        u.name, u.timezone, u."deletedAt",
        o.name, o.timezone, o."quietStart", o."quietEnd", o."weeklyCap",
        a.status::TEXT, a."dueAt", a."previousId",
        tv.title, tv.location, tv.rules,
        c.id, c.slug, c.title, c.status::TEXT, c."metricKey", c."metricLabel", c.target,
        p.status::TEXT, ptv.title
    FROM (SELECT 1) one
    LEFT JOIN "User" u ON u.id = claimed."userId"
    LEFT JOIN "Organisation" o ON o.id = claimed."organisationId"
    LEFT JOIN "Assignment" a ON a.id = claimed."assignmentId"
    LEFT JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
    LEFT JOIN "Campaign" c ON c.id = a."campaignId"
    LEFT JOIN "Assignment" p ON p.id = a."previousId"
    LEFT JOIN "TaskVersion" ptv ON ptv.id = p."taskVersionId";
END;
$$;

-- What the contact policy reads about a person: the newest consent for the channel, an active
-- suppression of the address (or a personal one of the person's), and when each nudge of the given
-- kinds went in the window (one time per nudge, whatever its channels; not the one being decided).
CREATE FUNCTION onward_contact_facts(
    p_user_id TEXT, p_channel TEXT, p_address TEXT, p_personal TEXT[],
    p_kinds TEXT[], p_from TIMESTAMP(3), p_to TIMESTAMP(3), p_except_key TEXT
)
RETURNS TABLE ("granted" BOOLEAN, "suppression" TEXT, "sent" DOUBLE PRECISION[])
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT
        (SELECT co.granted FROM "Consent" co
          WHERE co."userId" = p_user_id AND co.channel = p_channel::"Channel"
          ORDER BY co."createdAt" DESC, co.id DESC LIMIT 1),
        (SELECT s.reason::TEXT FROM "Suppression" s
          WHERE s.channel = p_channel::"Channel" AND s."liftedAt" IS NULL
            AND (lower(s.address) = lower(p_address)
              OR (s."userId" = p_user_id AND s.reason::TEXT = ANY(p_personal)))
          ORDER BY s."createdAt" DESC LIMIT 1),
        (SELECT array_agg((extract(epoch FROM n.at) * 1000)::DOUBLE PRECISION)
          FROM (
            SELECT min(m."sentAt") AS at
            FROM "Message" m
            WHERE m."userId" = p_user_id
              AND cardinality(p_kinds) > 0
              AND m.status IN ('SENT', 'DELIVERED')
              AND m.kind = ANY(p_kinds)
              AND m."sentAt" > p_from AND m."sentAt" <= p_to
              AND regexp_replace(m."dedupeKey", ':(EMAIL|SMS)$', '') <> p_except_key
            GROUP BY regexp_replace(m."dedupeKey", ':(EMAIL|SMS)$', '')) n);
END;
$$;
