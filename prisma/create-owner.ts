import { parseArgs } from "node:util";
import { z } from "zod";
import { emailSchema } from "../app/schemas/contact.ts";
import { prepareDatabase, StartupError } from "../app/server/prepare.ts";
import { EnvError } from "../app/utils/env.server.ts";
import { MigrationError } from "./migrator.ts";

// `npm run create-owner -- --email you@example.org --org "Your organisation" [--name "Your name"]`
// Creates an organisation's first owner on a real deployment. Running it again is safe.
const ArgsSchema = z.object({
  email: emailSchema,
  org: z
    .string({ message: "Give the organisation's name with --org" })
    .trim()
    .min(2, { message: "Give the organisation's name with --org" })
    .max(120),
  name: z.string().trim().max(80).optional(),
});

function slugify(name: string) {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
}

try {
  const { values } = parseArgs({
    options: { email: { type: "string" }, org: { type: "string" }, name: { type: "string" } },
  });
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(
      parsed.error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("\n"),
    );
    process.exit(2);
  }
  const { email, org, name } = parsed.data;
  const { env, stop } = await prepareDatabase({ log: (line) => console.log(line) });
  const { db } = await import("../app/utils/db.server.ts");
  const slug = slugify(org) || "organisation";
  const result = await db.$transaction(async (tx) => {
    const organisation = await tx.organisation.upsert({
      select: { id: true, name: true },
      where: { slug },
      create: { name: org, slug, timezone: env.DEFAULT_TIMEZONE },
      update: {},
    });
    const user = await tx.user.upsert({
      select: { id: true },
      where: { email },
      create: { email, name: name ?? null },
      update: {},
    });
    await tx.membership.upsert({
      where: { userId_organisationId: { userId: user.id, organisationId: organisation.id } },
      create: { userId: user.id, organisationId: organisation.id, role: "OWNER" },
      update: { role: "OWNER" },
    });
    await tx.auditEvent.create({
      data: {
        organisationId: organisation.id,
        action: "membership.owner_created",
        subjectType: "User",
        subjectId: user.id,
        detail: { source: "create-owner" },
      },
    });
    return organisation;
  });
  console.log(
    `${email} is an owner of ${result.name}. Sign in at ${env.APP_URL}/sign-in with that address.`,
  );
  await db.$disconnect();
  await stop();
  process.exit(0);
} catch (error) {
  if (
    error instanceof EnvError ||
    error instanceof StartupError ||
    error instanceof MigrationError
  ) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
}
