import { describe, expect, it } from "vitest";
import { seedDemo, seedDemoIfEmpty } from "../../prisma/seed-demo.ts";
import { db } from "~/utils/db.server.ts";

describe("the demo seed", () => {
  it("seeds once even when two processes start together, with a live branching ladder", async () => {
    const log = () => {};
    const results = await Promise.all([seedDemoIfEmpty({ log }), seedDemoIfEmpty({ log })]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.organisation.count()).toBe(1);
    expect(await seedDemo({ log })).toBe(false);

    const campaign = await db.campaign.findFirstOrThrow({
      select: {
        status: true,
        firstTaskId: true,
        tasks: { select: { currentVersion: { select: { title: true } } } },
      },
    });
    expect(campaign.status).toBe("LIVE");
    expect(campaign.firstTaskId).not.toBeNull();
    expect(campaign.tasks.map((t) => t.currentVersion?.title)).toEqual(
      expect.arrayContaining(["Knock on 20 doors", "Run a street stall", "Lead a team of three"]),
    );
    const owner = await db.user.findUniqueOrThrow({
      select: { memberships: { select: { role: true } } },
      where: { email: "owner@example.org" },
    });
    expect(owner.memberships).toEqual([{ role: "OWNER" }]);
  });
});
