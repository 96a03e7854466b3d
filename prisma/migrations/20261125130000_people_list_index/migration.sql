-- The people list (/org/people) pages through an organisation's members, newest first.
CREATE INDEX "Membership_organisationId_createdAt_id_idx" ON "Membership"("organisationId", "createdAt" DESC, "id" DESC);
