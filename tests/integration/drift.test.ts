import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CompareOptions,
  type DatabaseShape,
  type Dmmf,
  compareModels,
  loadDmmf,
  readDatabaseModel,
  readSchemaModel,
  schemaModelFromDmmf,
} from "./drift.ts";

/**
 * schema.prisma and the migrated database must agree: the hand-written SQL in prisma/migrations
 * has to create exactly what Prisma's migration engine would create for the schema, plus the
 * extras listed here.
 */
const OPTIONS: CompareOptions = {
  // _prisma_migrations: the migrator's bookkeeping. rate_limits: the rate limits' counters
  // (app/utils/rate-limit.server.ts), created by the init migration (its shape is checked in its
  // own test below).
  ignoredTables: ["_prisma_migrations", "rate_limits"],
  allowedExtraIndexes: [
    {
      // A volunteer has at most one open assignment per campaign (see the Assignment model).
      table: "Assignment",
      name: "assignment_one_open_per_campaign",
      unique: true,
      columns: ["userId", "campaignId"],
      predicate: `(status = 'ASSIGNED'::"AssignmentStatus")`,
    },
    {
      // Skip reasons on the reports page, read from the index alone (migration 20261125160000).
      table: "Assignment",
      name: "Assignment_campaignId_closedAt_skipped_idx",
      unique: false,
      columns: ["campaignId", "closedAt"],
      predicate: `(status = 'SKIPPED'::"AssignmentStatus")`,
    },
    {
      // Reports that came in a burst, for report quality (migration 20261125160000).
      table: "Report",
      name: "Report_campaignId_createdAt_burst_idx",
      unique: false,
      columns: ["campaignId", "createdAt"],
      predicate: `("burstFrom" IS NOT NULL)`,
    },
  ],
};

let client: pg.Client;

beforeAll(async () => {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL must point at a migrated database");
  client = new pg.Client({ connectionString });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
});

/** A copy of the DMMF to change in memory. */
function dmmfCopy(): Dmmf {
  return structuredClone(loadDmmf());
}

function model(dmmf: Dmmf, name: string) {
  const found = dmmf.datamodel.models.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`No model ${name}`);
  return found;
}

function field(dmmf: Dmmf, modelName: string, fieldName: string) {
  const found = model(dmmf, modelName).fields.find((candidate) => candidate.name === fieldName);
  if (!found) throw new Error(`No field ${modelName}.${fieldName}`);
  return found;
}

/**
 * The differences `compareModels` finds for (schema, database) that it does not find for the
 * unchanged schema and database, so that the negative tests below fail only for their own reason
 * while the first test reports any real drift.
 */
function introduced(differences: string[], baseline: string[]): string[] {
  return differences.filter((line) => !baseline.includes(line));
}

describe("schema drift", () => {
  it("the migrated database matches schema.prisma", async () => {
    const differences = compareModels(readSchemaModel(), await readDatabaseModel(client), OPTIONS);
    expect(differences).toEqual([]);
  });

  it("reports a schema.prisma that no longer matches the database", async () => {
    const dmmf = dmmfCopy();
    const organisation = model(dmmf, "Organisation");
    organisation.fields.push({
      name: "driftProbe",
      kind: "scalar",
      type: "String",
      isList: false,
      isRequired: true,
      isId: false,
      isUnique: false,
      hasDefaultValue: false,
    });
    field(dmmf, "User", "name").isRequired = true;
    field(dmmf, "Campaign", "isPublic").default = true;
    field(dmmf, "Membership", "user").relationOnDelete = "Restrict";
    dmmf.datamodel.enums
      .find((enm) => enm.name === "Role")
      ?.values.push({ name: "AUDITOR", dbName: null });
    dmmf.datamodel.indexes.push({
      model: "Session",
      type: "normal",
      isDefinedOnField: false,
      fields: [{ name: "ip" }],
    });
    dmmf.datamodel.indexes = dmmf.datamodel.indexes.filter(
      (index) =>
        !(
          index.model === "Message" &&
          index.type === "normal" &&
          index.fields[0]?.name === "providerId"
        ),
    );

    const database = await readDatabaseModel(client);
    const baseline = compareModels(readSchemaModel(), database, OPTIONS);
    const differences = compareModels(schemaModelFromDmmf(dmmf), database, OPTIONS);

    expect(introduced(differences, baseline)).toEqual(
      [
        `column "Campaign"."isPublic": default differs — schema.prisma: true, the database: false`,
        `column "Organisation"."driftProbe": in schema.prisma but missing from the database`,
        `column "User"."name": nullability differs — schema.prisma: NOT NULL, the database: nullable`,
        `enum "Role": values differ — schema.prisma: [OWNER, ORGANISER, TEAM_LEAD, VOLUNTEER, AUDITOR], the database: [OWNER, ORGANISER, TEAM_LEAD, VOLUNTEER]`,
        `foreign key "Membership"("userId"): ON DELETE differs — schema.prisma: RESTRICT, the database: CASCADE`,
        `index on "Message"("providerId"): in the database (as "Message_providerId_idx") but not in schema.prisma or the allow-list`,
        `index on "Session"("ip"): in schema.prisma (as "Session_ip_idx") but missing from the database`,
      ].sort(),
    );
  });

  it("reports a database changed behind schema.prisma's back", async () => {
    const schema = readSchemaModel();
    const baseline = compareModels(schema, await readDatabaseModel(client), OPTIONS);
    let database: DatabaseShape;
    await client.query("BEGIN");
    try {
      await client.query(`DROP INDEX "Assignment_userId_status_idx"`);
      await client.query(`DROP INDEX "assignment_one_open_per_campaign"`);
      await client.query(`CREATE INDEX "sneaky" ON "Session"("ip")`);
      await client.query(`ALTER TABLE "Session" ALTER COLUMN "ip" SET NOT NULL`);
      await client.query(`ALTER TABLE "LoginToken" ALTER COLUMN "attempts" SET DEFAULT 1`);
      await client.query(`ALTER TABLE "Report" ALTER COLUMN "feedback" TYPE varchar(500)`);
      await client.query(`ALTER TABLE "Team" DROP CONSTRAINT "Team_leadId_fkey"`);
      await client.query(`CREATE TABLE "Stray" ("id" TEXT PRIMARY KEY)`);
      database = await readDatabaseModel(client);
    } finally {
      await client.query("ROLLBACK");
    }

    expect(introduced(compareModels(schema, database, OPTIONS), baseline)).toEqual(
      [
        `allow-listed index "assignment_one_open_per_campaign" on "Assignment": missing from the database`,
        `column "LoginToken"."attempts": default differs — schema.prisma: 0, the database: 1`,
        `column "Report"."feedback": type differs — schema.prisma: text, the database: character varying(500)`,
        `column "Session"."ip": nullability differs — schema.prisma: nullable, the database: NOT NULL`,
        `foreign key "Team"("leadId"): in schema.prisma (→ "User"("id") ON DELETE SET NULL ON UPDATE CASCADE) but missing from the database`,
        `index on "Assignment"("userId", "status"): in schema.prisma (as "Assignment_userId_status_idx") but missing from the database`,
        `index on "Session"("ip"): in the database (as "sneaky") but not in schema.prisma or the allow-list`,
        `table "Stray": in the database but not in schema.prisma`,
      ].sort(),
    );
  });

  it("rate_limits has the shape the rate limits' statements expect", async () => {
    const table = (await readDatabaseModel(client)).tables.rate_limits;
    expect(table).toBeDefined();
    expect(table?.columns).toEqual({
      key: { dataType: "character varying(255)", nullable: false, default: null },
      points: { dataType: "integer", nullable: false, default: "0" },
      expire: { dataType: "bigint", nullable: true, default: null },
    });
    expect(table?.primaryKey?.columns).toEqual(["key"]);
  });
});
