-- The organiser inbox (ADR 015): a skip reason can be handled like a report's free text. A
-- FeedbackHandling row is about exactly one thing: a report (reportId) or a skipped assignment
-- (assignmentId).
ALTER TABLE "FeedbackHandling" ALTER COLUMN "reportId" DROP NOT NULL;
ALTER TABLE "FeedbackHandling" ADD COLUMN "assignmentId" TEXT;
ALTER TABLE "FeedbackHandling" ADD COLUMN "repliedAt" TIMESTAMP(3);
CREATE UNIQUE INDEX "FeedbackHandling_assignmentId_key" ON "FeedbackHandling"("assignmentId");
ALTER TABLE "FeedbackHandling" ADD CONSTRAINT "FeedbackHandling_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "Assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "FeedbackHandling" ADD CONSTRAINT "FeedbackHandling_one_subject"
  CHECK (("reportId" IS NULL) <> ("assignmentId" IS NULL));

-- The inbox reads a campaign's skips newest first (reports use Report_campaignId_createdAt_idx).
CREATE INDEX "Assignment_campaignId_status_closedAt_idx" ON "Assignment"("campaignId", "status", "closedAt");
