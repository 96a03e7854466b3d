import { pathToFileURL } from "node:url";
import type { ReportField, FollowUpRules } from "../app/schemas/task.ts";

const DEMO_ORG_SLUG = "greenfield-community-action";

type TaskSeed = {
  key: string;
  title: string;
  instructions: string;
  location: string;
  durationMinutes: number;
  dueAfterDays: number;
  fields: ReportField[];
  rules: (ids: Record<string, string>) => FollowUpRules;
};

const TASKS: TaskSeed[] = [
  {
    key: "doors",
    title: "Knock on 20 doors",
    instructions:
      "Pick a street near you. Knock on 20 doors, say you're from Greenfield Community Action, and ask: *Is your home warm enough this winter?*\n\n- Leave a leaflet if nobody answers.\n- Never go inside.\n- Stop if you feel unsafe.",
    location: "Any street near where you live",
    durationMinutes: 60,
    dueAfterDays: 7,
    fields: [
      {
        type: "number",
        key: "doors",
        label: "How many doors did you knock on?",
        required: true,
        min: 0,
        max: 500,
        unit: "doors",
        metricKey: "doors",
      },
      {
        type: "number",
        key: "conversations",
        label: "How many people did you talk to?",
        required: false,
        min: 0,
        max: 500,
        unit: "people",
      },
      {
        type: "choice",
        key: "outcome",
        label: "How did it go?",
        required: true,
        options: ["It went well", "It was hard", "I couldn't do it"],
      },
      {
        type: "yesno",
        key: "would_lead",
        label: "Would you lead a small team next time?",
        required: false,
      },
    ],
    rules: (ids) => ({
      rules: [
        {
          when: [{ field: "outcome", op: "eq", value: "I couldn't do it" }],
          next: ids.leaflets ?? null,
        },
        {
          when: [
            { field: "doors", op: "gte", value: 20 },
            { field: "would_lead", op: "eq", value: true },
          ],
          next: ids.team ?? null,
        },
        { when: [{ field: "doors", op: "gte", value: 20 }], next: ids.stall ?? null },
      ],
      defaultNext: ids.doors ?? null,
      onSkip: ids.leaflets ?? null,
    }),
  },
  {
    key: "stall",
    title: "Run a street stall",
    instructions:
      "Set up a table for an hour at a busy spot (a market, a school gate, outside the library). Ask people to sign up for a free home energy check.",
    location: "A busy spot in your area",
    durationMinutes: 90,
    dueAfterDays: 14,
    fields: [
      {
        type: "number",
        key: "signups",
        label: "How many people signed up for a check?",
        required: true,
        min: 0,
        max: 1000,
        unit: "sign-ups",
      },
      {
        type: "number",
        key: "doors",
        label: "How many homes did you reach?",
        required: false,
        min: 0,
        max: 1000,
        unit: "doors",
        metricKey: "doors",
      },
    ],
    rules: (ids) => ({ rules: [], defaultNext: ids.team ?? null, onSkip: ids.doors ?? null }),
  },
  {
    key: "team",
    title: "Lead a team of three",
    instructions:
      "Ask two friends or neighbours to join you. Together, knock on 60 doors in one afternoon. We'll send you a short guide for team leads.",
    location: "A street of your choice",
    durationMinutes: 180,
    dueAfterDays: 21,
    fields: [
      {
        type: "number",
        key: "doors",
        label: "How many doors did your team knock on?",
        required: true,
        min: 0,
        max: 2000,
        unit: "doors",
        metricKey: "doors",
      },
      {
        type: "number",
        key: "team_size",
        label: "How many people were in your team?",
        required: true,
        min: 1,
        max: 20,
        unit: "people",
      },
    ],
    rules: () => ({
      rules: [],
      defaultNext: null,
      onSkip: null,
      endMessage:
        "You've done every step of this campaign. Thank you! We'll be in touch about what comes next.",
    }),
  },
  {
    key: "leaflets",
    title: "Deliver 30 leaflets",
    instructions: "Post 30 leaflets through doors on one street. No knocking needed.",
    location: "One street near you",
    durationMinutes: 30,
    dueAfterDays: 7,
    fields: [
      {
        type: "number",
        key: "leaflets",
        label: "How many leaflets did you deliver?",
        required: true,
        min: 0,
        max: 500,
        unit: "leaflets",
      },
      {
        type: "number",
        key: "doors",
        label: "How many homes was that?",
        required: false,
        min: 0,
        max: 500,
        unit: "doors",
        metricKey: "doors",
      },
    ],
    rules: (ids) => ({ rules: [], defaultNext: ids.doors ?? null, onSkip: null }),
  },
];

const VOLUNTEERS = [
  {
    name: "Amira",
    email: "amira@example.org",
    phone: "+447911123456",
    postcode: "LS6 1AA",
    district: "LS6",
    channelPreference: "BOTH" as const,
  },
  {
    name: "Ben",
    email: "ben@example.org",
    phone: null,
    postcode: "LS7 2BB",
    district: "LS7",
    channelPreference: "EMAIL" as const,
  },
  {
    name: "Chidi",
    email: null,
    phone: "+447400654321",
    postcode: "LS6 3CC",
    district: "LS6",
    channelPreference: "SMS" as const,
  },
];

/** Serialises seeding, so two processes starting together never both seed. */
const SEED_LOCK_KEY = 72707370;

/**
 * Seeds the demo organisation unless it is already there (or, with onlyIfEmpty, unless any
 * organisation is). Returns false when nothing was done.
 */
export async function seedDemo({
  log,
  onlyIfEmpty = false,
}: {
  log: (line: string) => void;
  onlyIfEmpty?: boolean;
}): Promise<boolean> {
  const { db } = await import("../app/utils/db.server.ts");
  const seeded = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`;
    if (onlyIfEmpty && (await tx.organisation.count()) > 0) return false;
    if (
      await tx.organisation.findUnique({ select: { id: true }, where: { slug: DEMO_ORG_SLUG } })
    ) {
      if (!onlyIfEmpty) log("The demo organisation is already there.");
      return false;
    }
    const org = await tx.organisation.create({
      select: { id: true },
      data: { name: "Greenfield Community Action", slug: DEMO_ORG_SLUG },
    });
    const owner = await tx.user.create({
      select: { id: true },
      data: { name: "Olu", email: "owner@example.org", channelPreference: "EMAIL" },
    });
    const organiser = await tx.user.create({
      select: { id: true },
      data: {
        name: "Priya",
        email: "organiser@example.org",
        phone: "+447911000111",
        channelPreference: "EMAIL",
      },
    });
    await tx.membership.createMany({
      data: [
        { userId: owner.id, organisationId: org.id, role: "OWNER" },
        { userId: organiser.id, organisationId: org.id, role: "ORGANISER" },
      ],
    });
    const campaign = await tx.campaign.create({
      select: { id: true },
      data: {
        organisationId: org.id,
        slug: "warmer-homes",
        title: "Warmer Homes for Greenfield",
        description:
          "Find the homes that are cold this winter, so we can get them free insulation and advice.",
        status: "LIVE",
        metricKey: "doors",
        metricLabel: "doors knocked",
        metricUnit: "doors",
        target: 5000,
        whyTakePart:
          "Thousands of homes here are cold and damp. Every door you knock on helps us find a family who can get free help.",
        whatWeDo:
          "We add up your reports to show the council where help is needed. We never publish your name or street.",
        whatIsOpen:
          "Which streets we cover and how we run events is open to your ideas. Who qualifies for the free scheme is set by the council and isn't.",
      },
    });
    const ids: Record<string, string> = {};
    for (const [position, seed] of TASKS.entries()) {
      const task = await tx.task.create({
        select: { id: true },
        data: { campaignId: campaign.id, organisationId: org.id, position },
      });
      ids[seed.key] = task.id;
    }
    for (const seed of TASKS) {
      const taskId = ids[seed.key]!;
      const version = await tx.taskVersion.create({
        select: { id: true },
        data: {
          taskId,
          version: 1,
          title: seed.title,
          instructions: seed.instructions,
          location: seed.location,
          durationMinutes: seed.durationMinutes,
          dueAfterDays: seed.dueAfterDays,
          fields: seed.fields,
          rules: seed.rules(ids),
          createdById: organiser.id,
        },
      });
      await tx.task.update({ where: { id: taskId }, data: { currentVersionId: version.id } });
    }
    await tx.campaign.update({ where: { id: campaign.id }, data: { firstTaskId: ids.doors! } });
    for (const volunteer of VOLUNTEERS) {
      const user = await tx.user.create({
        select: { id: true },
        data: { ...volunteer, timezone: "Europe/London" },
      });
      await tx.membership.create({
        data: { userId: user.id, organisationId: org.id, role: "VOLUNTEER" },
      });
      const channels =
        volunteer.channelPreference === "BOTH"
          ? (["EMAIL", "SMS"] as const)
          : ([volunteer.channelPreference] as const);
      for (const channel of channels) {
        await tx.consent.create({
          data: {
            userId: user.id,
            organisationId: org.id,
            channel,
            granted: true,
            wording: `Greenfield Community Action may contact me by ${channel === "EMAIL" ? "email" : "text message"} about this campaign.`,
            source: "demo seed",
          },
        });
      }
    }
    return true;
  });
  if (seeded) {
    log(
      "Seeded the demo organisation: owner@example.org (owner) and organiser@example.org (organiser).",
    );
  }
  return seeded;
}

/** On first start: seed only an empty database, so a real organisation's data is never touched. */
export function seedDemoIfEmpty({ log }: { log: (line: string) => void }) {
  return seedDemo({ log, onlyIfEmpty: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { prepareDatabase } = await import("../app/server/prepare.ts");
  const log = (line: string) => console.log(line);
  try {
    const { stop } = await prepareDatabase({ log });
    await seedDemo({ log });
    await stop();
    process.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
