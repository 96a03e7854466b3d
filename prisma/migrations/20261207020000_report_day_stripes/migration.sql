-- Reports to one campaign no longer queue behind each other on its ReportDay rows.
--
-- Every report in a campaign on one day for one task, area and contact preference adds to the same
-- ReportDay row, at commit (20261205090000_rollups_at_commit). The row stays locked until the
-- commit has reached the disk, so concurrent reports to a busy campaign took turns: under load a
-- report waited about 10 ms for the row. Each row is now split into up to 8 stripes, and a
-- transaction adds to the stripe of its database connection (its backend's process id modulo 8),
-- so reports on different connections mostly add to different rows. Every reader sums ReportDay
-- rows (GROUP BY), so the figures are the same whatever the stripe.
--
-- onward_fold_report_days(p_before) sums the stripes of days before p_before into stripe 0 and
-- deletes the rest; the fold-report-days job runs it daily for days before yesterday, so only the
-- last two days' rows are split. onward_refresh_report_rollups() writes stripe 0 only (default).

ALTER TABLE "ReportDay" ADD COLUMN "stripe" SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE "ReportDay" DROP CONSTRAINT "ReportDay_pkey";
ALTER TABLE "ReportDay" ADD CONSTRAINT "ReportDay_pkey"
    PRIMARY KEY ("campaignId", "day", "taskId", "district", "channel", "stripe");

CREATE OR REPLACE FUNCTION onward_bump_report_day(
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
        "channel", "stripe", "assigned", "reported", "skipped", "expired", "metricTotal",
        "reportHours")
    VALUES (p_campaign, p_org, onward_local_day(p_at, p_org), p_task, v_district, v_channel,
        pg_backend_pid() % 8, p_assigned, p_reported, p_skipped, p_expired, p_metric, v_hours)
    ON CONFLICT ("campaignId", "day", "taskId", "district", "channel", "stripe") DO UPDATE SET
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

-- Sums each ReportDay row's stripes into stripe 0 for days before p_before, in one statement;
-- returns how many stripe rows were folded away. Running it again changes nothing.
CREATE FUNCTION onward_fold_report_days(p_before DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    v_folded INTEGER;
BEGIN
    WITH gone AS (
        DELETE FROM "ReportDay" d WHERE d.day < p_before AND d.stripe <> 0
        RETURNING d.*),
    sums AS (
        SELECT g."campaignId", min(g."organisationId") AS "organisationId", g.day, g."taskId",
            g.district, g.channel, sum(g.assigned)::int AS assigned,
            sum(g.reported)::int AS reported, sum(g.skipped)::int AS skipped,
            sum(g.expired)::int AS expired, sum(g."metricTotal") AS "metricTotal",
            ARRAY(SELECT sum(COALESCE(h."reportHours"[i], 0))::int
                  FROM gone h, generate_series(1, 8) AS i
                  WHERE h."campaignId" = g."campaignId" AND h.day = g.day
                    AND h."taskId" = g."taskId" AND h.district = g.district
                    AND h.channel = g.channel
                  GROUP BY i ORDER BY i) AS "reportHours",
            count(*)::int AS rows
        FROM gone g
        GROUP BY g."campaignId", g.day, g."taskId", g.district, g.channel),
    kept AS (
        INSERT INTO "ReportDay" AS d ("campaignId", "organisationId", "day", "taskId", "district",
            "channel", "stripe", "assigned", "reported", "skipped", "expired", "metricTotal",
            "reportHours")
        SELECT s."campaignId", s."organisationId", s.day, s."taskId", s.district, s.channel, 0,
            s.assigned, s.reported, s.skipped, s.expired, s."metricTotal", s."reportHours"
        FROM sums s
        ON CONFLICT ("campaignId", "day", "taskId", "district", "channel", "stripe") DO UPDATE SET
            "assigned" = d."assigned" + EXCLUDED."assigned",
            "reported" = d."reported" + EXCLUDED."reported",
            "skipped" = d."skipped" + EXCLUDED."skipped",
            "expired" = d."expired" + EXCLUDED."expired",
            "metricTotal" = d."metricTotal" + EXCLUDED."metricTotal",
            "reportHours" = (SELECT array_agg(COALESCE(d."reportHours"[i], 0)
                    + COALESCE(EXCLUDED."reportHours"[i], 0) ORDER BY i)
                FROM generate_series(1, 8) AS i))
    SELECT COALESCE(sum(rows), 0)::int INTO v_folded FROM sums;
    RETURN v_folded;
END;
$$;
