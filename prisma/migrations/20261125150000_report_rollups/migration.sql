-- Organiser reports read pre-aggregated figures, kept up to date by triggers in the same
-- transaction as the change they count, so they can never disagree with the rows and any writer
-- (the loop service, the expiry job, the scale seed) keeps them without knowing they exist.
-- See docs/decisions/008-organiser-reports.md.

-- One row per campaign × day (organisation time zone) × task × area × contact preference.
CREATE TABLE "ReportDay" (
    "campaignId" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "taskId" TEXT NOT NULL,
    "district" TEXT NOT NULL DEFAULT '',
    "channel" "ChannelPreference" NOT NULL,
    "assigned" INTEGER NOT NULL DEFAULT 0,
    "reported" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "expired" INTEGER NOT NULL DEFAULT 0,
    "metricTotal" DECIMAL(16,2) NOT NULL DEFAULT 0,
    "reportHours" INTEGER[] DEFAULT ARRAY[0, 0, 0, 0, 0, 0, 0, 0]::INTEGER[],

    CONSTRAINT "ReportDay_pkey" PRIMARY KEY ("campaignId","day","taskId","district","channel")
);
CREATE INDEX "ReportDay_organisationId_day_idx" ON "ReportDay"("organisationId", "day");
ALTER TABLE "ReportDay" ADD CONSTRAINT "ReportDay_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One row per volunteer per campaign: when they joined (first task) and how they have reported.
CREATE TABLE "CampaignParticipant" (
    "campaignId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "joinedAt" TIMESTAMP(3) NOT NULL,
    "joinedDay" DATE NOT NULL,
    "firstAssignedAt" TIMESTAMP(3),
    "district" TEXT NOT NULL DEFAULT '',
    "channel" "ChannelPreference" NOT NULL,
    "reportCount" INTEGER NOT NULL DEFAULT 0,
    "firstReportAt" TIMESTAMP(3),
    "secondReportAt" TIMESTAMP(3),
    "lastReportAt" TIMESTAMP(3),
    "reportWeeks" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "CampaignParticipant_pkey" PRIMARY KEY ("campaignId","userId")
);
CREATE INDEX "CampaignParticipant_userId_idx" ON "CampaignParticipant"("userId");
CREATE INDEX "CampaignParticipant_organisationId_idx" ON "CampaignParticipant"("organisationId");
ALTER TABLE "CampaignParticipant" ADD CONSTRAINT "CampaignParticipant_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CampaignParticipant" ADD CONSTRAINT "CampaignParticipant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Nudge effectiveness looks up the messages of a campaign's assignments.
CREATE INDEX "Message_assignmentId_kind_idx" ON "Message"("assignmentId", "kind");
-- Report quality reads the highest values of a campaign's metric first.
CREATE INDEX "ReportMetric_campaignId_metricKey_value_idx" ON "ReportMetric"("campaignId", "metricKey", "value" DESC);

-- The calendar day of a UTC timestamp in the organisation's time zone.
CREATE FUNCTION onward_local_day(p_at TIMESTAMP(3), p_org TEXT) RETURNS DATE
LANGUAGE sql STABLE AS $$
    SELECT ((p_at AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(
        (SELECT o.timezone FROM "Organisation" o WHERE o.id = p_org), 'Europe/London'))::DATE
$$;

-- Time from task to report, in buckets ending at 1, 6, 24, 48, 72, 168 and 336 hours, then more
-- (app/reports/compute.ts holds the same edges). Buckets keep a median possible in a rollup.
CREATE FUNCTION onward_report_hours_bucket(p_hours DOUBLE PRECISION) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_hours < 1 THEN 1 WHEN p_hours < 6 THEN 2 WHEN p_hours < 24 THEN 3
        WHEN p_hours < 48 THEN 4 WHEN p_hours < 72 THEN 5 WHEN p_hours < 168 THEN 6
        WHEN p_hours < 336 THEN 7 ELSE 8 END
$$;

CREATE FUNCTION onward_bump_report_day(
    p_campaign TEXT, p_org TEXT, p_at TIMESTAMP(3), p_task TEXT, p_user TEXT,
    p_assigned INTEGER, p_reported INTEGER, p_skipped INTEGER, p_expired INTEGER,
    p_metric NUMERIC, p_bucket INTEGER
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_district TEXT := '';
    v_channel "ChannelPreference" := 'EMAIL';
    v_hours INTEGER[] := ARRAY[0, 0, 0, 0, 0, 0, 0, 0];
BEGIN
    IF p_user IS NOT NULL THEN
        SELECT COALESCE(u.district, ''), u."channelPreference" INTO v_district, v_channel
        FROM "User" u WHERE u.id = p_user;
        v_district := COALESCE(v_district, '');
        v_channel := COALESCE(v_channel, 'EMAIL');
    END IF;
    IF p_bucket IS NOT NULL THEN
        v_hours[p_bucket] := 1;
    END IF;
    INSERT INTO "ReportDay" AS d ("campaignId", "organisationId", "day", "taskId", "district",
        "channel", "assigned", "reported", "skipped", "expired", "metricTotal", "reportHours")
    VALUES (p_campaign, p_org, onward_local_day(p_at, p_org), p_task, v_district, v_channel,
        p_assigned, p_reported, p_skipped, p_expired, p_metric, v_hours)
    ON CONFLICT ("campaignId", "day", "taskId", "district", "channel") DO UPDATE SET
        "assigned" = d."assigned" + EXCLUDED."assigned",
        "reported" = d."reported" + EXCLUDED."reported",
        "skipped" = d."skipped" + EXCLUDED."skipped",
        "expired" = d."expired" + EXCLUDED."expired",
        "metricTotal" = d."metricTotal" + EXCLUDED."metricTotal",
        "reportHours" = CASE WHEN p_bucket IS NULL THEN d."reportHours" ELSE
            (SELECT array_agg(COALESCE(d."reportHours"[i], 0) + EXCLUDED."reportHours"[i] ORDER BY i)
             FROM generate_series(1, 8) AS i) END;
END;
$$;

-- Counts an assignment closing as REPORTED, SKIPPED or EXPIRED (sign -1 undoes one).
CREATE FUNCTION onward_count_closed(a "Assignment", p_sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF a.status NOT IN ('REPORTED', 'SKIPPED', 'EXPIRED') THEN
        RETURN;
    END IF;
    PERFORM onward_bump_report_day(a."campaignId", a."organisationId",
        COALESCE(a."closedAt", a."updatedAt"), a."taskId", a."userId", 0,
        CASE WHEN a.status = 'REPORTED' THEN p_sign ELSE 0 END,
        CASE WHEN a.status = 'SKIPPED' THEN p_sign ELSE 0 END,
        CASE WHEN a.status = 'EXPIRED' THEN p_sign ELSE 0 END,
        0,
        CASE WHEN a.status = 'REPORTED' AND p_sign > 0 THEN onward_report_hours_bucket(
            EXTRACT(EPOCH FROM (COALESCE(a."closedAt", a."updatedAt") - a."assignedAt")) / 3600.0)
        END);
END;
$$;

CREATE FUNCTION onward_assignment_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM onward_bump_report_day(NEW."campaignId", NEW."organisationId", NEW."assignedAt",
            NEW."taskId", NEW."userId", 1, 0, 0, 0, 0, NULL);
        PERFORM onward_count_closed(NEW, 1);
        INSERT INTO "CampaignParticipant" AS p ("campaignId", "userId", "organisationId",
            "joinedAt", "joinedDay", "firstAssignedAt", "district", "channel")
        SELECT NEW."campaignId", NEW."userId", NEW."organisationId", NEW."assignedAt",
            onward_local_day(NEW."assignedAt", NEW."organisationId"), NEW."assignedAt",
            COALESCE(u.district, ''), u."channelPreference"
        FROM "User" u WHERE u.id = NEW."userId"
        ON CONFLICT ("campaignId", "userId") DO UPDATE SET
            "joinedAt" = LEAST(p."joinedAt", EXCLUDED."joinedAt"),
            "joinedDay" = LEAST(p."joinedDay", EXCLUDED."joinedDay"),
            "firstAssignedAt" = LEAST(p."firstAssignedAt", EXCLUDED."firstAssignedAt");
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM onward_count_closed(OLD, -1);
        PERFORM onward_count_closed(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "Assignment_rollup" AFTER INSERT OR UPDATE OF status ON "Assignment"
FOR EACH ROW EXECUTE FUNCTION onward_assignment_rollup();

-- A report moves its volunteer through the funnel and marks the week (since they joined) it fell in.
CREATE FUNCTION onward_report_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."userId" IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE "CampaignParticipant" p SET
        "reportCount" = p."reportCount" + 1,
        "firstReportAt" = LEAST(p."firstReportAt", NEW."createdAt"),
        "secondReportAt" = CASE
            WHEN p."firstReportAt" IS NULL THEN NULL
            WHEN NEW."createdAt" < p."firstReportAt" THEN p."firstReportAt"
            ELSE LEAST(p."secondReportAt", NEW."createdAt") END,
        "lastReportAt" = GREATEST(p."lastReportAt", NEW."createdAt"),
        "reportWeeks" = p."reportWeeks" | (1::BIGINT << LEAST(62, GREATEST(0,
            (date_trunc('week', onward_local_day(NEW."createdAt", NEW."organisationId"))::DATE
             - date_trunc('week', p."joinedDay")::DATE) / 7)))
    WHERE p."campaignId" = NEW."campaignId" AND p."userId" = NEW."userId";
    RETURN NULL;
END;
$$;

CREATE TRIGGER "Report_rollup" AFTER INSERT ON "Report"
FOR EACH ROW EXECUTE FUNCTION onward_report_rollup();

-- The campaign's own metric, summed per day where the report's task and volunteer fall.
CREATE FUNCTION onward_metric_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    SELECT rep."taskId", rep."userId", rep."organisationId", rep."createdAt" INTO r
    FROM "Report" rep JOIN "Campaign" c ON c.id = rep."campaignId"
    WHERE rep.id = NEW."reportId" AND c."metricKey" = NEW."metricKey";
    IF FOUND THEN
        PERFORM onward_bump_report_day(NEW."campaignId", r."organisationId", r."createdAt",
            r."taskId", r."userId", 0, 0, 0, 0,
            NEW.value, NULL);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "ReportMetric_rollup" AFTER INSERT ON "ReportMetric"
FOR EACH ROW EXECUTE FUNCTION onward_metric_rollup();

-- Signing up through a campaign's join page records consent with source 'join:<campaignId>' in the
-- same transaction as the first task; this makes the person a participant even if no task could be
-- given (so the funnel's first step counts everyone who joined).
CREATE FUNCTION onward_consent_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source LIKE 'join:%' THEN
        INSERT INTO "CampaignParticipant" ("campaignId", "userId", "organisationId", "joinedAt",
            "joinedDay", "district", "channel")
        SELECT c.id, u.id, c."organisationId", NEW."createdAt",
            onward_local_day(NEW."createdAt", c."organisationId"), COALESCE(u.district, ''),
            u."channelPreference"
        FROM "Campaign" c, "User" u
        WHERE c.id = substr(NEW.source, 6) AND u.id = NEW."userId"
        ON CONFLICT ("campaignId", "userId") DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "Consent_rollup" AFTER INSERT ON "Consent"
FOR EACH ROW EXECUTE FUNCTION onward_consent_rollup();
