import { describe, expect, it } from "vitest";
import { addMember, createCampaign, createOrganisation, createUser } from "../fixtures/people.ts";
import { listCampaigns } from "~/models/campaign.server.ts";
import { ForbiddenError, requireRole, setMemberRole } from "~/models/membership.server.ts";
import { db } from "~/utils/db.server.ts";

describe("roles are enforced in the models", () => {
  it("an organiser sees their organisation's campaigns and never another's", async () => {
    const [ours, theirs] = await Promise.all([createOrganisation(), createOrganisation()]);
    const organiser = await createUser();
    await addMember({ userId: organiser.id, organisationId: ours.id, role: "ORGANISER" });
    const mine = await createCampaign({ organisationId: ours.id, title: "Ours" });
    await createCampaign({ organisationId: theirs.id, title: "Theirs" });

    const campaigns = await listCampaigns({ actorId: organiser.id, organisationId: ours.id });
    expect(campaigns.map((c) => c.id)).toEqual([mine.id]);
    await expect(
      listCampaigns({ actorId: organiser.id, organisationId: theirs.id }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("volunteers and team leads cannot read organiser data", async () => {
    const org = await createOrganisation();
    for (const role of ["VOLUNTEER", "TEAM_LEAD"] as const) {
      const person = await createUser();
      await addMember({ userId: person.id, organisationId: org.id, role });
      await expect(
        listCampaigns({ actorId: person.id, organisationId: org.id }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
  });

  it("only owners change roles, never their own, and each change is audited", async () => {
    const org = await createOrganisation();
    const [owner, organiser, volunteer] = await Promise.all([
      createUser(),
      createUser(),
      createUser(),
    ]);
    await addMember({ userId: owner.id, organisationId: org.id, role: "OWNER" });
    await addMember({ userId: organiser.id, organisationId: org.id, role: "ORGANISER" });
    await addMember({ userId: volunteer.id, organisationId: org.id, role: "VOLUNTEER" });

    await expect(
      setMemberRole({
        actorId: organiser.id,
        organisationId: org.id,
        userId: volunteer.id,
        role: "ORGANISER",
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      setMemberRole({
        actorId: owner.id,
        organisationId: org.id,
        userId: owner.id,
        role: "VOLUNTEER",
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);

    await setMemberRole({
      actorId: owner.id,
      organisationId: org.id,
      userId: volunteer.id,
      role: "TEAM_LEAD",
    });
    expect(
      await requireRole({ userId: volunteer.id, organisationId: org.id, roles: ["TEAM_LEAD"] }),
    ).toBe("TEAM_LEAD");
    const audit = await db.auditEvent.findMany({ where: { organisationId: org.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorId: owner.id,
      action: "membership.role_set",
      subjectId: volunteer.id,
    });
  });
});
