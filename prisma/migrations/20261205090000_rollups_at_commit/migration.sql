-- The report rollups (ReportDay, NudgeDay, CampaignParticipant, AssignmentNudge) are kept at
-- COMMIT instead of at each statement.
--
-- Every report in a campaign on one day for one task, area and channel adds to the same ReportDay
-- row. With the row triggers firing at the statement, a report's transaction locked that row
-- when it closed the assignment, its first write, and held the lock through every statement after
-- it (the report, its metrics, the next task, its jobs: several round trips), so reports to one
-- campaign queued behind each other for the whole of each transaction. As deferred constraint
-- triggers they run as the transaction commits, so a hot row is held only for the commit itself.
-- The same functions run, on the same row images (each event keeps its OLD and NEW), in the same
-- order: the totals are exactly what they were.
--
-- A session that bulk-loads with session_replication_role = replica (the scale seed) still skips
-- them, and onward_refresh_report_rollups() is unchanged.

DROP TRIGGER "Assignment_rollup" ON "Assignment";
CREATE CONSTRAINT TRIGGER "Assignment_rollup" AFTER INSERT OR UPDATE OF status ON "Assignment"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION onward_assignment_rollup();

DROP TRIGGER "Report_rollup" ON "Report";
CREATE CONSTRAINT TRIGGER "Report_rollup" AFTER INSERT ON "Report"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION onward_report_rollup();

DROP TRIGGER "ReportMetric_rollup" ON "ReportMetric";
CREATE CONSTRAINT TRIGGER "ReportMetric_rollup" AFTER INSERT ON "ReportMetric"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION onward_metric_rollup();

DROP TRIGGER "Consent_rollup" ON "Consent";
CREATE CONSTRAINT TRIGGER "Consent_rollup" AFTER INSERT ON "Consent"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION onward_consent_rollup();

DROP TRIGGER "Report_nudge_rollup" ON "Report";
CREATE CONSTRAINT TRIGGER "Report_nudge_rollup" AFTER INSERT ON "Report"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION onward_report_nudge_rollup();

DROP TRIGGER "Message_rollup_insert" ON "Message";
CREATE CONSTRAINT TRIGGER "Message_rollup_insert" AFTER INSERT ON "Message"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW."assignmentId" IS NOT NULL AND (NEW.status = 'SUPPRESSED'
    OR (NEW.status IN ('SENT', 'DELIVERED') AND NEW."sentAt" IS NOT NULL)))
EXECUTE FUNCTION onward_message_rollup();

DROP TRIGGER "Message_rollup_update" ON "Message";
CREATE CONSTRAINT TRIGGER "Message_rollup_update" AFTER UPDATE OF status ON "Message"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW."assignmentId" IS NOT NULL AND (
    (NEW.status = 'SUPPRESSED' AND OLD.status <> 'SUPPRESSED')
    OR (NEW.status IN ('SENT', 'DELIVERED') AND OLD.status NOT IN ('SENT', 'DELIVERED')
        AND NEW."sentAt" IS NOT NULL)))
EXECUTE FUNCTION onward_message_rollup();
