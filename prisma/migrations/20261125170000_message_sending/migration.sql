-- Delivery commits its claim before the send: a message being sent is SENDING, and the claim, the
-- send and the outcome no longer share one transaction held open across the SMTP or SMS call. See
-- app/utils/delivery.server.ts and docs/decisions/010-sending-state.md.
--
-- Who is sending a SENDING row is known by a session-level advisory lock on 'sending:<id>', taken
-- by the claim and released by the statement that records the outcome. A worker that dies (or
-- loses its database connection) loses its session and with it the lock, so a SENDING row whose
-- lock is free has nobody sending it, and onward_requeue_stale_sending() returns it to QUEUED.

-- A new enum value can't be used in the transaction that adds it: the functions below only name
-- it in PL/pgSQL bodies, which are parsed when they first run.
ALTER TYPE "MessageStatus" ADD VALUE 'SENDING' AFTER 'HELD';

-- Replaced by onward_claim_for_sending (claim, context and contact facts in one call).
DROP FUNCTION onward_claim_message(TEXT);

-- The contact facts as before, except that a nudge being sent right now (SENDING) counts against
-- the weekly cap as sent now: its claim is committed before its send, and a second message to the
-- same person claimed meanwhile must see it.
CREATE OR REPLACE FUNCTION onward_contact_facts(
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
            SELECT min(CASE WHEN m.status = 'SENDING' THEN p_to ELSE m."sentAt" END) AS at
            FROM "Message" m
            WHERE m."userId" = p_user_id
              AND cardinality(p_kinds) > 0
              AND m.kind = ANY(p_kinds)
              AND ((m.status IN ('SENT', 'DELIVERED') AND m."sentAt" > p_from
                    AND m."sentAt" <= p_to)
                OR m.status = 'SENDING')
              AND regexp_replace(m."dedupeKey", ':(EMAIL|SMS)$', '') <> p_except_key
            GROUP BY regexp_replace(m."dedupeKey", ':(EMAIL|SMS)$', '')) n);
END;
$$;

-- Claims one message for sending, in one autocommit call:
-- 1. locks the row if it is QUEUED, or HELD and due by p_due_by (FOR UPDATE SKIP LOCKED);
-- 2. takes the person's contact lock (for this statement), so two of their messages are claimed
--    one after the other and the second counts the first, already SENDING, against the weekly cap;
-- 3. reads what delivery needs: the message, the person, the organisation, the task, the contact
--    facts (newest consent for the channel, an active suppression, the nudges in the cap window)
--    and, for a re-engage message, the person's open tasks and the campaign's recent reports;
-- 4. marks it SENDING and takes the session lock 'sending:<id>', held until the outcome is
--    recorded (or the session ends).
-- Not claimed (claimed = false): the row's status and sendAfter, so the caller can tell "sent
-- already" from "held until later" from "another transaction holds it"; no row: no such message.
-- Times are returned as epoch milliseconds (UTC), whatever the session's time zone.
CREATE FUNCTION onward_claim_for_sending(
    p_id TEXT, p_now TIMESTAMP(3), p_due_by TIMESTAMP(3), p_cap_from TIMESTAMP(3),
    p_nudge_kinds TEXT[], p_personal TEXT[], p_pulse_since TIMESTAMP(3)
)
RETURNS TABLE (
    "claimed" BOOLEAN,
    "id" TEXT, "userId" TEXT, "organisationId" TEXT, "assignmentId" TEXT,
    "channel" TEXT, "kind" TEXT, "dedupeKey" TEXT, "toAddress" TEXT,
    "subject" TEXT, "bodyText" TEXT, "bodyHtml" TEXT, "status" TEXT,
    "sendAfter" DOUBLE PRECISION, "createdAt" DOUBLE PRECISION,
    "userName" TEXT, "userTimezone" TEXT, "userDeletedAt" DOUBLE PRECISION,
    "orgName" TEXT, "orgTimezone" TEXT, "quietStart" TEXT, "quietEnd" TEXT, "weeklyCap" INTEGER,
    "aStatus" TEXT, "aDueAt" DOUBLE PRECISION, "aPreviousId" TEXT,
    "tvTitle" TEXT, "tvLocation" TEXT, "tvRules" JSONB,
    "cId" TEXT, "cSlug" TEXT, "cTitle" TEXT, "cStatus" TEXT,
    "cMetricKey" TEXT, "cMetricLabel" TEXT, "cTarget" INTEGER,
    "pStatus" TEXT, "pTitle" TEXT,
    "granted" BOOLEAN, "suppression" TEXT, "sent" DOUBLE PRECISION[],
    "openAssignments" INTEGER, "pulseReports" INTEGER, "pulseTotal" DOUBLE PRECISION
)
LANGUAGE plpgsql AS $$
DECLARE
    m "Message"%ROWTYPE;
    v_granted BOOLEAN;
    v_suppression TEXT;
    v_sent DOUBLE PRECISION[];
    v_open INTEGER;
    v_reports INTEGER;
    v_total DOUBLE PRECISION;
    v_campaign TEXT;
    v_metric TEXT;
BEGIN
    SELECT * INTO m FROM "Message" x
    WHERE x.id = p_id
      AND (x.status = 'QUEUED' OR (x.status = 'HELD' AND x."sendAfter" <= p_due_by))
    FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN QUERY
        SELECT false, x.id, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT,
            NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, x.status::TEXT,
            (extract(epoch FROM x."sendAfter") * 1000)::DOUBLE PRECISION, NULL::DOUBLE PRECISION,
            NULL::TEXT, NULL::TEXT, NULL::DOUBLE PRECISION,
            NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::INTEGER,
            NULL::TEXT, NULL::DOUBLE PRECISION, NULL::TEXT,
            NULL::TEXT, NULL::TEXT, NULL::JSONB,
            NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::INTEGER,
            NULL::TEXT, NULL::TEXT,
            NULL::BOOLEAN, NULL::TEXT, NULL::DOUBLE PRECISION[],
            NULL::INTEGER, NULL::INTEGER, NULL::DOUBLE PRECISION
        FROM "Message" x WHERE x.id = p_id;
        RETURN;
    END IF;

    IF m."userId" IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('contact:' || m."userId", 0));
    END IF;
    -- After the contact lock, so that they include what a previous holder committed.
    SELECT f.granted, f.suppression, f.sent INTO v_granted, v_suppression, v_sent
    FROM onward_contact_facts(m."userId", m.channel::TEXT, m."toAddress", p_personal,
        CASE WHEN m."userId" IS NULL THEN ARRAY[]::TEXT[] ELSE p_nudge_kinds END,
        p_cap_from, p_now, regexp_replace(m."dedupeKey", ':(EMAIL|SMS)$', '')) f;

    IF m.kind = 'REENGAGE' AND m."userId" IS NOT NULL THEN
        SELECT count(*) INTO v_open FROM "Assignment" oa
        WHERE oa."userId" = m."userId" AND oa.status = 'ASSIGNED';
        SELECT a."campaignId", c."metricKey" INTO v_campaign, v_metric
        FROM "Assignment" a JOIN "Campaign" c ON c.id = a."campaignId"
        WHERE a.id = m."assignmentId";
        IF v_campaign IS NOT NULL THEN
            SELECT count(*) INTO v_reports FROM "Report" r
            WHERE r."campaignId" = v_campaign AND r."createdAt" >= p_pulse_since;
            SELECT coalesce(sum(rm.value), 0) INTO v_total FROM "ReportMetric" rm
            WHERE rm."campaignId" = v_campaign AND rm."metricKey" = v_metric;
        END IF;
    END IF;

    UPDATE "Message" SET status = 'SENDING', "updatedAt" = (now() AT TIME ZONE 'UTC')
    WHERE "Message".id = m.id;
    -- Last, so that nothing after it can fail and leave the session holding a lock for a claim
    -- that rolled back. Nobody else can hold it: the row was QUEUED or HELD and is locked by us.
    IF NOT pg_try_advisory_lock(hashtextextended('sending:' || m.id, 0)) THEN
        RAISE EXCEPTION 'message % is marked as being sent by another session', m.id;
    END IF;

    RETURN QUERY
    SELECT true, m.id, m."userId", m."organisationId", m."assignmentId",
        m.channel::TEXT, m.kind, m."dedupeKey", m."toAddress",
        m.subject, m."bodyText", m."bodyHtml", m.status::TEXT,
        (extract(epoch FROM m."sendAfter") * 1000)::DOUBLE PRECISION,
        (extract(epoch FROM m."createdAt") * 1000)::DOUBLE PRECISION,
        u.name, u.timezone, (extract(epoch FROM u."deletedAt") * 1000)::DOUBLE PRECISION,
        o.name, o.timezone, o."quietStart", o."quietEnd", o."weeklyCap",
        a.status::TEXT, (extract(epoch FROM a."dueAt") * 1000)::DOUBLE PRECISION, a."previousId",
        tv.title, tv.location, tv.rules,
        c.id, c.slug, c.title, c.status::TEXT, c."metricKey", c."metricLabel", c.target,
        p.status::TEXT, ptv.title,
        v_granted, v_suppression, v_sent,
        v_open, v_reports, v_total
    FROM (SELECT 1) one
    LEFT JOIN "User" u ON u.id = m."userId"
    LEFT JOIN "Organisation" o ON o.id = m."organisationId"
    LEFT JOIN "Assignment" a ON a.id = m."assignmentId"
    LEFT JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
    LEFT JOIN "Campaign" c ON c.id = a."campaignId"
    LEFT JOIN "Assignment" p ON p.id = a."previousId"
    LEFT JOIN "TaskVersion" ptv ON ptv.id = p."taskVersionId";
END;
$$;

-- Records what became of a SENDING message (p_status: SENT, HELD, SUPPRESSED, QUEUED for another
-- attempt, FAILED) and, for HELD, moves its delivery job to p_at. Only a row still SENDING
-- changes; false when it wasn't. The caller releases the 'sending:<id>' lock in the same statement.
CREATE FUNCTION onward_finish_sending(
    p_id TEXT, p_status TEXT, p_reason TEXT, p_at TIMESTAMP(3),
    p_transport TEXT, p_provider_id TEXT, p_subject TEXT, p_text TEXT, p_html TEXT,
    p_job_max_attempts INTEGER
)
RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
    IF p_status = 'SENT' THEN
        UPDATE "Message" SET status = 'SENT', "statusReason" = NULL, transport = p_transport,
            "providerId" = p_provider_id, "sentAt" = p_at, attempts = attempts + 1,
            subject = p_subject, "bodyText" = p_text, "bodyHtml" = p_html,
            "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = p_id AND status = 'SENDING';
    ELSIF p_status = 'HELD' THEN
        UPDATE "Message" SET status = 'HELD', "statusReason" = p_reason, "sendAfter" = p_at,
            "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = p_id AND status = 'SENDING';
        IF FOUND THEN
            PERFORM graphile_worker.add_job(
                identifier => 'deliver-message',
                payload => json_build_object('messageId', p_id),
                run_at => p_at AT TIME ZONE 'UTC',
                max_attempts => p_job_max_attempts,
                job_key => 'deliver:' || p_id);
            RETURN true;
        END IF;
    ELSIF p_status = 'SUPPRESSED' THEN
        UPDATE "Message" SET status = 'SUPPRESSED', "statusReason" = p_reason,
            "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = p_id AND status = 'SENDING';
    ELSIF p_status IN ('QUEUED', 'FAILED') THEN
        UPDATE "Message" SET status = p_status::"MessageStatus", "statusReason" = p_reason,
            attempts = attempts + 1, "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = p_id AND status = 'SENDING';
    ELSE
        RAISE EXCEPTION 'onward_finish_sending: unknown status %', p_status;
    END IF;
    RETURN FOUND;
END;
$$;

-- Returns to QUEUED, with a new delivery job each, the SENDING messages that nobody is sending:
-- those whose 'sending:<id>' lock no session holds, because the worker that claimed them died or
-- lost its connection before it recorded the outcome. The send may or may not have happened; the
-- message goes (again). Returns the ids.
CREATE FUNCTION onward_requeue_stale_sending(p_reason TEXT, p_job_max_attempts INTEGER)
RETURNS SETOF TEXT
LANGUAGE plpgsql AS $$
DECLARE
    v_id TEXT;
BEGIN
    -- The lock is tried for SENDING rows only (a few at any time), never for the whole table.
    FOR v_id IN SELECT m.id FROM "Message" m WHERE m.status = 'SENDING' LOOP
        -- Free: its claimant's session is gone, or it is recording the outcome right now, in
        -- which case the UPDATE waits for that and then finds the row no longer SENDING.
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(hashtextextended('sending:' || v_id, 0));
        UPDATE "Message" SET status = 'QUEUED', "statusReason" = p_reason,
            "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = v_id AND status = 'SENDING';
        CONTINUE WHEN NOT FOUND;
        PERFORM graphile_worker.add_job(
            identifier => 'deliver-message',
            payload => json_build_object('messageId', v_id),
            max_attempts => p_job_max_attempts,
            job_key => 'deliver:' || v_id);
        RETURN NEXT v_id;
    END LOOP;
END;
$$;
