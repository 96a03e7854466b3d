-- Champions and teams (ADR 019). A team lead's nudge to their team is recorded: its words, how
-- many people it was for and the outbox rows it wrote. The newest per team is the rate limit, and
-- (teamId, idempotencyKey) makes a double submit find the nudge it already made.
CREATE TABLE "TeamNudge" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "senderId" TEXT,
    "body" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "recipients" INTEGER NOT NULL,
    "messageIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TeamNudge_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "TeamNudge_teamId_idempotencyKey_key" ON "TeamNudge"("teamId", "idempotencyKey");
CREATE INDEX "TeamNudge_teamId_createdAt_idx" ON "TeamNudge"("teamId", "createdAt");
CREATE INDEX "TeamNudge_senderId_idx" ON "TeamNudge"("senderId");
ALTER TABLE "TeamNudge" ADD CONSTRAINT "TeamNudge_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "TeamNudge" ADD CONSTRAINT "TeamNudge_senderId_fkey" FOREIGN KEY ("senderId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- A campaign's teams, for the organiser's team page and the updates segment.
CREATE INDEX "Team_campaignId_idx" ON "Team"("campaignId");
