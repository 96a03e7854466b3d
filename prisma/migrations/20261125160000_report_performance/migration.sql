-- The campaign dashboard at a million reports: every figure it shows now comes from a rollup or an
-- index that holds exactly what the figure needs, so its cost no longer grows with the raw Message,
-- Report and Assignment tables. See docs/decisions/008-organiser-reports.md ("At scale").

-- 1. Report quality, values far above a task's usual range: each metric row carries its task, so
--    the per-task fences come from the newest rows of one index without visiting Report.
ALTER TABLE "ReportMetric" ADD COLUMN "taskId" TEXT;
UPDATE "ReportMetric" m SET "taskId" = r."taskId" FROM "Report" r WHERE r.id = m."reportId";
ALTER TABLE "ReportMetric" ALTER COLUMN "taskId" SET NOT NULL;
DROP INDEX "ReportMetric_campaignId_metricKey_createdAt_idx";
CREATE INDEX "ReportMetric_campaignId_metricKey_createdAt_taskId_value_idx"
    ON "ReportMetric"("campaignId", "metricKey", "createdAt", "taskId", "value");

-- 2. Report quality, many reports in a few minutes: a report that is the third from its volunteer
--    in the campaign within 10 minutes (BURST_REPORTS and BURST_MINUTES in app/reports/compute.ts)
--    records when the first of them came. Only those reports are indexed.
ALTER TABLE "Report" ADD COLUMN "burstFrom" TIMESTAMP(3);
CREATE INDEX "Report_campaignId_createdAt_burst_idx" ON "Report"("campaignId", "createdAt")
    WHERE "burstFrom" IS NOT NULL;

CREATE FUNCTION onward_report_burst() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_before TIMESTAMP(3);
BEGIN
    IF NEW."userId" IS NOT NULL THEN
        -- The report two before this one (lag 2), through the Report(userId, createdAt) index.
        SELECT r."createdAt" INTO v_before
        FROM "Report" r
        WHERE r."userId" = NEW."userId" AND r."campaignId" = NEW."campaignId"
          AND r."createdAt" <= NEW."createdAt"
        ORDER BY r."createdAt" DESC
        OFFSET 1 LIMIT 1;
        IF v_before IS NOT NULL AND NEW."createdAt" - v_before <= interval '10 minutes' THEN
            NEW."burstFrom" := v_before;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "Report_burst" BEFORE INSERT ON "Report"
FOR EACH ROW EXECUTE FUNCTION onward_report_burst();

-- 3. Skip reasons: an index that answers them alone (index-only), skipped tasks only.
CREATE INDEX "Assignment_campaignId_closedAt_skipped_idx" ON "Assignment"("campaignId", "closedAt")
    INCLUDE ("taskId", "skipReason", "userId") WHERE status = 'SKIPPED';

-- 4. Nudge effectiveness. AssignmentNudge: the first sent message of each kind for an assignment,
--    with where it counts (its day, task, area and contact preference as they were then) and when
--    the task was given. NudgeDay: per campaign × day × kind × reason × task × area × preference,
--    the assignments nudged, how many were reported within 48 hours after the nudge
--    ("reportedSoon") and within 48 hours of being given ("reportedEarly"), and the messages
--    suppressed (rows with a reason). Kept by triggers on Message and Report.
CREATE TABLE "AssignmentNudge" (
    "assignmentId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "taskId" TEXT NOT NULL,
    "district" TEXT NOT NULL DEFAULT '',
    "channel" "ChannelPreference" NOT NULL,
    "assignedAt" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AssignmentNudge_pkey" PRIMARY KEY ("assignmentId","kind")
);
ALTER TABLE "AssignmentNudge" ADD CONSTRAINT "AssignmentNudge_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "Assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "NudgeDay" (
    "campaignId" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "taskId" TEXT NOT NULL,
    "district" TEXT NOT NULL DEFAULT '',
    "channel" "ChannelPreference" NOT NULL,
    "nudged" INTEGER NOT NULL DEFAULT 0,
    "reportedSoon" INTEGER NOT NULL DEFAULT 0,
    "reportedEarly" INTEGER NOT NULL DEFAULT 0,
    "suppressed" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "NudgeDay_pkey" PRIMARY KEY ("campaignId","day","kind","reason","taskId","district","channel")
);
ALTER TABLE "NudgeDay" ADD CONSTRAINT "NudgeDay_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE FUNCTION onward_bump_nudge_day(
    p_campaign TEXT, p_org TEXT, p_day DATE, p_kind TEXT, p_reason TEXT, p_task TEXT,
    p_district TEXT, p_channel "ChannelPreference",
    p_nudged INTEGER, p_soon INTEGER, p_early INTEGER, p_suppressed INTEGER
) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO "NudgeDay" AS d ("campaignId", "organisationId", "day", "kind", "reason", "taskId",
        "district", "channel", "nudged", "reportedSoon", "reportedEarly", "suppressed")
    VALUES (p_campaign, p_org, p_day, p_kind, p_reason, p_task, p_district, p_channel,
        p_nudged, p_soon, p_early, p_suppressed)
    ON CONFLICT ("campaignId", "day", "kind", "reason", "taskId", "district", "channel") DO UPDATE SET
        "nudged" = d."nudged" + EXCLUDED."nudged",
        "reportedSoon" = d."reportedSoon" + EXCLUDED."reportedSoon",
        "reportedEarly" = d."reportedEarly" + EXCLUDED."reportedEarly",
        "suppressed" = d."suppressed" + EXCLUDED."suppressed"
$$;

-- Whether a report at p_reported counts as "soon" after a nudge at p_sent, and as "early" for an
-- assignment given at p_assigned (0 or 1; no report counts as neither).
CREATE FUNCTION onward_reported_soon(p_reported TIMESTAMP(3), p_sent TIMESTAMP(3)) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(p_reported >= p_sent AND p_reported < p_sent + interval '48 hours', false)::int
$$;
CREATE FUNCTION onward_reported_early(p_reported TIMESTAMP(3), p_assigned TIMESTAMP(3)) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(p_reported < p_assigned + interval '48 hours', false)::int
$$;

CREATE FUNCTION onward_message_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    a RECORD;
    n "AssignmentNudge";
    v_count INTEGER;
BEGIN
    SELECT asg."campaignId", asg."organisationId", asg."taskId", asg."assignedAt",
        COALESCE(u.district, '') AS district, COALESCE(u."channelPreference", 'EMAIL') AS channel,
        r."createdAt" AS "reportedAt"
    INTO a
    FROM "Assignment" asg
    LEFT JOIN "User" u ON u.id = asg."userId"
    LEFT JOIN "Report" r ON r."assignmentId" = asg.id
    WHERE asg.id = NEW."assignmentId";
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NEW.status = 'SUPPRESSED' THEN
        PERFORM onward_bump_nudge_day(a."campaignId", a."organisationId",
            onward_local_day(NEW."createdAt", a."organisationId"), NEW.kind,
            COALESCE(NEW."statusReason", 'No reason recorded'), a."taskId", a.district, a.channel,
            0, 0, 0, 1);
        RETURN NULL;
    END IF;
    INSERT INTO "AssignmentNudge" ("assignmentId", "kind", "campaignId", "day", "taskId",
        "district", "channel", "assignedAt", "sentAt")
    VALUES (NEW."assignmentId", NEW.kind, a."campaignId",
        onward_local_day(NEW."sentAt", a."organisationId"), a."taskId", a.district, a.channel,
        a."assignedAt", NEW."sentAt")
    ON CONFLICT ("assignmentId", "kind") DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count = 1 THEN
        PERFORM onward_bump_nudge_day(a."campaignId", a."organisationId",
            onward_local_day(NEW."sentAt", a."organisationId"), NEW.kind, '', a."taskId",
            a.district, a.channel, 1, onward_reported_soon(a."reportedAt", NEW."sentAt"),
            onward_reported_early(a."reportedAt", a."assignedAt"), 0);
        RETURN NULL;
    END IF;
    -- The assignment already had this kind of nudge (an email and a text, say): the earliest sent
    -- one counts, so if this one went first, move the count to it.
    SELECT * INTO n FROM "AssignmentNudge"
    WHERE "assignmentId" = NEW."assignmentId" AND kind = NEW.kind FOR UPDATE;
    IF NEW."sentAt" >= n."sentAt" THEN
        RETURN NULL;
    END IF;
    PERFORM onward_bump_nudge_day(n."campaignId", a."organisationId", n.day, n.kind, '', n."taskId",
        n.district, n.channel, -1, -onward_reported_soon(a."reportedAt", n."sentAt"),
        -onward_reported_early(a."reportedAt", n."assignedAt"), 0);
    UPDATE "AssignmentNudge" SET "sentAt" = NEW."sentAt",
        day = onward_local_day(NEW."sentAt", a."organisationId")
    WHERE "assignmentId" = NEW."assignmentId" AND kind = NEW.kind
    RETURNING * INTO n;
    PERFORM onward_bump_nudge_day(n."campaignId", a."organisationId", n.day, n.kind, '', n."taskId",
        n.district, n.channel, 1, onward_reported_soon(a."reportedAt", n."sentAt"),
        onward_reported_early(a."reportedAt", n."assignedAt"), 0);
    RETURN NULL;
END;
$$;

-- Fires only when a nudge becomes sent or suppressed, so the rest of delivery pays nothing.
CREATE TRIGGER "Message_rollup_insert" AFTER INSERT ON "Message"
FOR EACH ROW WHEN (NEW."assignmentId" IS NOT NULL AND (NEW.status = 'SUPPRESSED'
    OR (NEW.status IN ('SENT', 'DELIVERED') AND NEW."sentAt" IS NOT NULL)))
EXECUTE FUNCTION onward_message_rollup();

CREATE TRIGGER "Message_rollup_update" AFTER UPDATE OF status ON "Message"
FOR EACH ROW WHEN (NEW."assignmentId" IS NOT NULL AND (
    (NEW.status = 'SUPPRESSED' AND OLD.status <> 'SUPPRESSED')
    OR (NEW.status IN ('SENT', 'DELIVERED') AND OLD.status NOT IN ('SENT', 'DELIVERED')
        AND NEW."sentAt" IS NOT NULL)))
EXECUTE FUNCTION onward_message_rollup();

-- A report counts for the nudges its assignment already had.
CREATE FUNCTION onward_report_nudge_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n RECORD;
BEGIN
    FOR n IN
        SELECT * FROM "AssignmentNudge" WHERE "assignmentId" = NEW."assignmentId"
    LOOP
        IF onward_reported_soon(NEW."createdAt", n."sentAt") = 1
            OR onward_reported_early(NEW."createdAt", n."assignedAt") = 1 THEN
            PERFORM onward_bump_nudge_day(n."campaignId", NEW."organisationId", n.day, n.kind, '',
                n."taskId", n.district, n.channel, 0,
                onward_reported_soon(NEW."createdAt", n."sentAt"),
                onward_reported_early(NEW."createdAt", n."assignedAt"), 0);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "Report_nudge_rollup" AFTER INSERT ON "Report"
FOR EACH ROW EXECUTE FUNCTION onward_report_nudge_rollup();

-- 5. Rebuild every rollup from the raw rows, set-based, in one transaction: after a bulk load with
--    triggers off (the scale seed), or to repair. Gives exactly what the row triggers give
--    (tests/integration/seed-scale.test.ts and report-rollups.test.ts compare them).
--    SELECT onward_refresh_report_rollups();
CREATE FUNCTION onward_refresh_report_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM "ReportDay";
    DELETE FROM "CampaignParticipant";
    DELETE FROM "NudgeDay";
    DELETE FROM "AssignmentNudge";

    WITH events AS (
        SELECT a."campaignId", a."organisationId", a."assignedAt" AS at, a."taskId", a."userId",
               1 AS assigned, 0 AS reported, 0 AS skipped, 0 AS expired, 0::numeric AS metric,
               NULL::int AS bucket
        FROM "Assignment" a
        UNION ALL
        SELECT a."campaignId", a."organisationId", COALESCE(a."closedAt", a."updatedAt"), a."taskId",
               a."userId", 0, (a.status = 'REPORTED')::int, (a.status = 'SKIPPED')::int,
               (a.status = 'EXPIRED')::int, 0,
               CASE WHEN a.status = 'REPORTED' THEN onward_report_hours_bucket(
                 EXTRACT(EPOCH FROM (COALESCE(a."closedAt", a."updatedAt") - a."assignedAt")) / 3600.0)
               END
        FROM "Assignment" a
        WHERE a.status IN ('REPORTED', 'SKIPPED', 'EXPIRED')
        UNION ALL
        SELECT m."campaignId", r."organisationId", r."createdAt", r."taskId", r."userId",
               0, 0, 0, 0, m.value, NULL
        FROM "ReportMetric" m
        JOIN "Report" r ON r.id = m."reportId"
        JOIN "Campaign" c ON c.id = r."campaignId" AND c."metricKey" = m."metricKey"
    )
    INSERT INTO "ReportDay" ("campaignId", "organisationId", "day", "taskId", "district",
        "channel", "assigned", "reported", "skipped", "expired", "metricTotal", "reportHours")
    SELECT e."campaignId", min(e."organisationId"),
           ((e.at AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(o.timezone, 'Europe/London'))::date,
           e."taskId", COALESCE(u.district, ''), COALESCE(u."channelPreference", 'EMAIL'),
           sum(e.assigned), sum(e.reported), sum(e.skipped), sum(e.expired), sum(e.metric),
           ARRAY[count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2),
                 count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4),
                 count(*) FILTER (WHERE e.bucket = 5), count(*) FILTER (WHERE e.bucket = 6),
                 count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8)]::int[]
    FROM events e
    LEFT JOIN "Organisation" o ON o.id = e."organisationId"
    LEFT JOIN "User" u ON u.id = e."userId"
    GROUP BY e."campaignId", 3, e."taskId", 5, 6;

    WITH joins AS (
        SELECT substr(k.source, 6) AS "campaignId", k."userId", c."organisationId",
               k."createdAt" AS at, NULL::timestamp(3) AS "assignedAt"
        FROM "Consent" k JOIN "Campaign" c ON c.id = substr(k.source, 6)
        WHERE k.source LIKE 'join:%'
        UNION ALL
        SELECT a."campaignId", a."userId", a."organisationId", a."assignedAt", a."assignedAt"
        FROM "Assignment" a
    )
    INSERT INTO "CampaignParticipant" ("campaignId", "userId", "organisationId", "joinedAt",
        "joinedDay", "firstAssignedAt", "district", "channel")
    SELECT j."campaignId", j."userId", min(j."organisationId"), min(j.at),
           min(((j.at AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(o.timezone, 'Europe/London'))::date),
           min(j."assignedAt"), COALESCE(u.district, ''), u."channelPreference"
    FROM joins j
    JOIN "User" u ON u.id = j."userId"
    LEFT JOIN "Organisation" o ON o.id = j."organisationId"
    GROUP BY j."campaignId", j."userId", u.district, u."channelPreference";

    WITH r AS (
        SELECT rep."campaignId", rep."userId", count(*)::int AS n, min(rep."createdAt") AS first,
               (array_agg(rep."createdAt" ORDER BY rep."createdAt"))[2] AS second,
               max(rep."createdAt") AS last,
               bit_or(1::bigint << LEAST(62, GREATEST(0,
                 (date_trunc('week', ((rep."createdAt" AT TIME ZONE 'UTC')
                    AT TIME ZONE COALESCE(o.timezone, 'Europe/London'))::date)::date
                  - date_trunc('week', p."joinedDay")::date) / 7))) AS weeks
        FROM "Report" rep
        JOIN "CampaignParticipant" p ON p."campaignId" = rep."campaignId" AND p."userId" = rep."userId"
        LEFT JOIN "Organisation" o ON o.id = rep."organisationId"
        WHERE rep."userId" IS NOT NULL
        GROUP BY rep."campaignId", rep."userId"
    )
    UPDATE "CampaignParticipant" p SET "reportCount" = r.n, "firstReportAt" = r.first,
        "secondReportAt" = r.second, "lastReportAt" = r.last, "reportWeeks" = r.weeks
    FROM r WHERE p."campaignId" = r."campaignId" AND p."userId" = r."userId";

    -- The first sent message of each kind per assignment (ties: the earliest created, then id).
    INSERT INTO "AssignmentNudge" ("assignmentId", "kind", "campaignId", "day", "taskId",
        "district", "channel", "assignedAt", "sentAt")
    SELECT DISTINCT ON (m."assignmentId", m.kind) m."assignmentId", m.kind, a."campaignId",
           ((m."sentAt" AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(o.timezone, 'Europe/London'))::date,
           a."taskId", COALESCE(u.district, ''), COALESCE(u."channelPreference", 'EMAIL'),
           a."assignedAt", m."sentAt"
    FROM "Message" m
    JOIN "Assignment" a ON a.id = m."assignmentId"
    LEFT JOIN "User" u ON u.id = a."userId"
    LEFT JOIN "Organisation" o ON o.id = a."organisationId"
    WHERE m.status IN ('SENT', 'DELIVERED') AND m."sentAt" IS NOT NULL
    ORDER BY m."assignmentId", m.kind, m."sentAt", m."createdAt", m.id;

    INSERT INTO "NudgeDay" ("campaignId", "organisationId", "day", "kind", "reason", "taskId",
        "district", "channel", "nudged", "reportedSoon", "reportedEarly", "suppressed")
    SELECT n."campaignId", min(a."organisationId"), n.day, n.kind, '', n."taskId", n.district,
           n.channel, count(*)::int,
           sum(onward_reported_soon(r."createdAt", n."sentAt"))::int,
           sum(onward_reported_early(r."createdAt", n."assignedAt"))::int,
           0
    FROM "AssignmentNudge" n
    JOIN "Assignment" a ON a.id = n."assignmentId"
    LEFT JOIN "Report" r ON r."assignmentId" = n."assignmentId"
    GROUP BY n."campaignId", n.day, n.kind, n."taskId", n.district, n.channel;

    INSERT INTO "NudgeDay" ("campaignId", "organisationId", "day", "kind", "reason", "taskId",
        "district", "channel", "nudged", "reportedSoon", "reportedEarly", "suppressed")
    SELECT a."campaignId", min(a."organisationId"),
           ((m."createdAt" AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(o.timezone, 'Europe/London'))::date,
           m.kind, COALESCE(m."statusReason", 'No reason recorded'), a."taskId",
           COALESCE(u.district, ''), COALESCE(u."channelPreference", 'EMAIL'), 0, 0, 0, count(*)::int
    FROM "Message" m
    JOIN "Assignment" a ON a.id = m."assignmentId"
    LEFT JOIN "User" u ON u.id = a."userId"
    LEFT JOIN "Organisation" o ON o.id = a."organisationId"
    WHERE m.status = 'SUPPRESSED'
    GROUP BY a."campaignId", 3, m.kind, 5, a."taskId", 7, 8;

    -- Bursts, as the BEFORE INSERT trigger marks them (rows in the order they were stored).
    WITH ordered AS (
        SELECT r.id, r."createdAt",
               lag(r."createdAt", 2) OVER (PARTITION BY r."campaignId", r."userId"
                                          ORDER BY r."createdAt", r.id) AS before
        FROM "Report" r
        WHERE r."userId" IS NOT NULL
    ), marked AS (
        SELECT o.id, CASE WHEN o."createdAt" - o.before <= interval '10 minutes' THEN o.before END AS "from"
        FROM ordered o
    )
    UPDATE "Report" r SET "burstFrom" = m."from"
    FROM marked m
    WHERE m.id = r.id AND r."burstFrom" IS DISTINCT FROM m."from";
END;
$$;

SELECT onward_refresh_report_rollups();
