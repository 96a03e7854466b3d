-- A campaign's total toward its objective, read in a few rows instead of summed from every report.
--
-- The join page, the thank-you page and the campaign page show "4,210 of 5,000 doors knocked". That
-- figure summed the campaign's ReportMetric rows on every view: at 437,000 reports, 60-70 ms of
-- PostgreSQL for one page, and the join page is the one a poster's QR code opens. Summing ReportDay
-- instead was still 30 ms (81,000 rows: days x tasks x areas x contact choices).
--
-- "CampaignTotal" holds the sum of the campaign's ReportDay."metricTotal", kept by a row trigger
-- on ReportDay, so it is right after every way ReportDay changes: a report's rollup at commit, the
-- daily fold of stripes, and onward_refresh_report_rollups() rebuilding everything. Like ReportDay
-- it is split into stripes (the backend's process id modulo 16) so concurrent reports to one
-- campaign don't wait for each other's commits on one row; readers sum the stripes. Only the sum
-- means anything: a change adds its difference to the stripe of whichever backend makes it.

CREATE TABLE "CampaignTotal" (
    "campaignId" TEXT NOT NULL,
    "stripe" SMALLINT NOT NULL,
    "metricTotal" DECIMAL(16,2) NOT NULL DEFAULT 0,

    CONSTRAINT "CampaignTotal_pkey" PRIMARY KEY ("campaignId","stripe")
);
ALTER TABLE "CampaignTotal" ADD CONSTRAINT "CampaignTotal_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE FUNCTION onward_campaign_total() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_campaign TEXT;
    v_change NUMERIC;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- A campaign being deleted takes its totals with it (ON DELETE CASCADE): nothing to add.
        IF NOT EXISTS (SELECT 1 FROM "Campaign" WHERE id = OLD."campaignId") THEN
            RETURN NULL;
        END IF;
        v_campaign := OLD."campaignId";
        v_change := -OLD."metricTotal";
    ELSIF TG_OP = 'INSERT' THEN
        v_campaign := NEW."campaignId";
        v_change := NEW."metricTotal";
    ELSE
        v_campaign := NEW."campaignId";
        v_change := NEW."metricTotal" - OLD."metricTotal";
    END IF;
    IF v_change <> 0 THEN
        INSERT INTO "CampaignTotal" AS t ("campaignId", "stripe", "metricTotal")
        VALUES (v_campaign, pg_backend_pid() % 16, v_change)
        ON CONFLICT ("campaignId", "stripe") DO UPDATE SET
            "metricTotal" = t."metricTotal" + EXCLUDED."metricTotal";
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "ReportDay_total_insert" AFTER INSERT ON "ReportDay"
FOR EACH ROW WHEN (NEW."metricTotal" <> 0) EXECUTE FUNCTION onward_campaign_total();
CREATE TRIGGER "ReportDay_total_update" AFTER UPDATE OF "metricTotal" ON "ReportDay"
FOR EACH ROW WHEN (NEW."metricTotal" IS DISTINCT FROM OLD."metricTotal") EXECUTE FUNCTION onward_campaign_total();
CREATE TRIGGER "ReportDay_total_delete" AFTER DELETE ON "ReportDay"
FOR EACH ROW WHEN (OLD."metricTotal" <> 0) EXECUTE FUNCTION onward_campaign_total();

INSERT INTO "CampaignTotal" ("campaignId", "stripe", "metricTotal")
SELECT "campaignId", 0, sum("metricTotal") FROM "ReportDay" GROUP BY "campaignId";
