/**
 * Fills a database with a realistic organisation at scale, for benchmarks and for trying the
 * organiser reports on real-looking numbers.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/onward_scale npm run seed:scale -- \
 *     --volunteers 100000 --reports 1000000 [--seed 1] [--now 2026-11-25T00:00:00Z] \
 *     [--max-messages 1500000] [--yes]
 *
 * One organisation (an owner and two organisers, printed at the end), three LIVE campaigns with
 * branching ladders, N volunteers (User + VOLUNTEER Membership + Consent) in ~40 postcode
 * districts of skewed sizes, a few teams, and exactly `--reports` reports spread over ~6 months:
 * most volunteers do 0–2, a long (Pareto) tail does dozens to hundreds. Each volunteer's
 * assignments follow the campaign's ladder rules (REPORTED / SKIPPED / EXPIRED, the newest one
 * ASSIGNED or EXPIRED), with a Report + ReportMetric per REPORTED assignment and outbox Message
 * rows (TASK_ASSIGNED, REMINDER, OVERDUE, REENGAGE; SENT or SUPPRESSED with a reason).
 *
 * Deterministic: the same --seed and --now give the same rows (ids included). --now defaults to
 * the start of the current UTC day.
 *
 * Speed (100,000 / 1,000,000 in about 2¼ minutes on 2 cores): rows are built in Node and loaded
 * with multi-row `INSERT ... SELECT * FROM unnest($1::text[], ...)` of 5,000 rows, on two
 * connections, each with the database work of one batch overlapping the generation of the next.
 * For the load only, and only in this seed's own sessions (nothing global): triggers are off
 * (`session_replication_role = replica`, superuser only; the rollup triggers of
 * 20261125150000_report_rollups cost ~20x and foreign keys are checked by the test instead), and
 * on a fresh database the big tables' plain indexes are dropped and rebuilt from their own
 * definitions at the end. Then onward_refresh_report_rollups() rebuilds every rollup set-based
 * (migration 20261125160000_report_performance), then ANALYZE. A failure midway leaves the
 * rows loaded so far: drop the database and seed a fresh one. `rollups: "triggers"` (tests) loads
 * with every trigger on instead.
 *
 * Refuses a database whose name doesn't contain "scale", "bench", "test" or "dev" unless --yes is
 * given, and a database that already holds the scale organisation.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

export const SCALE_ORG_SLUG = "onward-scale";
export const SCALE_STAFF = [
  { email: "owner@scale.example.org", name: "Olu Owner", role: "OWNER" },
  { email: "organiser1@scale.example.org", name: "Priya Organiser", role: "ORGANISER" },
  { email: "organiser2@scale.example.org", name: "Sam Organiser", role: "ORGANISER" },
] as const;

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Randomness: mulberry32, plus the few distributions used below.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(lo: number, hi: number) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number) {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** An index into `cumulative` (a running total of weights), weighted. */
  weighted(cumulative: readonly number[]): number {
    const x = this.next() * cumulative[cumulative.length - 1]!;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  normal() {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

function cumulative(weights: readonly number[]) {
  let total = 0;
  return weights.map((w) => (total += w));
}

// ---------------------------------------------------------------------------------------------
// The campaigns and their ladders. Field and rule shapes are app/schemas/task.ts's.

type Field =
  | {
      type: "number";
      key: string;
      label: string;
      required: boolean;
      min?: number;
      max?: number;
      unit?: string;
      metricKey?: string;
      /** Seed only: the typical answer (values are log-normal around it). */
      typical: number;
    }
  | {
      type: "choice";
      key: string;
      label: string;
      required: boolean;
      options: string[];
      /** Seed only: relative weight of each option. */
      weights: number[];
    }
  | { type: "yesno"; key: string; label: string; required: boolean; yes: number };

type Condition = { field: string; op: "gte" | "gt" | "lte" | "lt" | "eq" | "neq"; value: unknown };
type Rules = {
  rules: { when: Condition[]; next: string | null }[];
  defaultNext: string | null;
  onSkip: string | null;
  endMessage?: string;
};

type TaskSpec = {
  key: string;
  title: string;
  instructions: string;
  location: string;
  durationMinutes: number;
  dueAfterDays: number;
  fields: Field[];
  /** Rules with task keys; turned into task ids when written. */
  rules: Rules;
  /** An older version 1 (the current one is 2), replaced this many days before now. */
  revisedDaysAgo?: number;
};

type CampaignSpec = {
  slug: string;
  title: string;
  description: string;
  metricKey: string;
  metricLabel: string;
  metricUnit: string;
  target: number;
  /** Share of volunteers whose home campaign this is. */
  share: number;
  tasks: TaskSpec[];
};

const CAMPAIGNS: CampaignSpec[] = [
  {
    slug: "scale-warmer-homes",
    title: "Warmer Homes",
    description: "Find the homes that are cold this winter, so we can get them free insulation.",
    metricKey: "doors",
    metricLabel: "doors knocked",
    metricUnit: "doors",
    target: 2_000_000,
    share: 0.5,
    tasks: [
      {
        key: "doors",
        title: "Knock on 20 doors",
        instructions: "Pick a street near you. Knock on 20 doors and ask: *Is your home warm?*",
        location: "Any street near where you live",
        durationMinutes: 60,
        dueAfterDays: 7,
        revisedDaysAgo: 60,
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
            typical: 20,
          },
          {
            type: "number",
            key: "conversations",
            label: "How many people did you talk to?",
            required: false,
            min: 0,
            max: 500,
            unit: "people",
            typical: 6,
          },
          {
            type: "choice",
            key: "outcome",
            label: "How did it go?",
            required: true,
            options: ["It went well", "It was hard", "I couldn't do it"],
            weights: [6, 3, 1],
          },
          {
            type: "yesno",
            key: "would_lead",
            label: "Would you lead a small team next time?",
            required: false,
            yes: 0.25,
          },
        ],
        rules: {
          rules: [
            { when: [{ field: "outcome", op: "eq", value: "I couldn't do it" }], next: "leaflets" },
            {
              when: [
                { field: "doors", op: "gte", value: 20 },
                { field: "would_lead", op: "eq", value: true },
              ],
              next: "team",
            },
            { when: [{ field: "doors", op: "gte", value: 20 }], next: "stall" },
          ],
          defaultNext: "doors",
          onSkip: "leaflets",
        },
      },
      {
        key: "stall",
        title: "Run a street stall",
        instructions: "Set up a table for an hour at a busy spot and sign people up for a check.",
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
            typical: 8,
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
            typical: 25,
          },
        ],
        rules: { rules: [], defaultNext: "team", onSkip: "doors" },
      },
      {
        key: "team",
        title: "Lead a team of three",
        instructions: "Ask two friends to join you and knock on 60 doors in one afternoon.",
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
            typical: 60,
          },
          {
            type: "number",
            key: "team_size",
            label: "How many people were in your team?",
            required: true,
            min: 1,
            max: 20,
            unit: "people",
            typical: 3,
          },
        ],
        rules: {
          rules: [],
          defaultNext: null,
          onSkip: null,
          endMessage: "You've done every step of this campaign. Thank you!",
        },
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
            typical: 30,
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
            typical: 28,
          },
        ],
        rules: { rules: [], defaultNext: "doors", onSkip: null },
      },
    ],
  },
  {
    slug: "scale-clean-streets",
    title: "Clean Streets",
    description: "Pick litter, report fly-tipping and adopt a street of your own.",
    metricKey: "bags",
    metricLabel: "bags of litter collected",
    metricUnit: "bags",
    target: 300_000,
    share: 0.3,
    tasks: [
      {
        key: "pick",
        title: "Litter-pick your street",
        instructions: "Take a bag and gloves and pick your street for half an hour.",
        location: "Your street",
        durationMinutes: 30,
        dueAfterDays: 7,
        fields: [
          {
            type: "number",
            key: "bags",
            label: "How many bags did you fill?",
            required: true,
            min: 0,
            max: 50,
            unit: "bags",
            metricKey: "bags",
            typical: 2,
          },
          {
            type: "choice",
            key: "state",
            label: "How bad was it?",
            required: true,
            options: ["Clean", "Some litter", "Very bad", "Fly-tipping"],
            weights: [2, 5, 2, 1],
          },
          {
            type: "yesno",
            key: "host",
            label: "Would you host a group pick?",
            required: false,
            yes: 0.2,
          },
        ],
        rules: {
          rules: [
            { when: [{ field: "state", op: "eq", value: "Fly-tipping" }], next: "flytip" },
            { when: [{ field: "host", op: "eq", value: true }], next: "group" },
          ],
          defaultNext: "pick",
          onSkip: "flytip",
        },
      },
      {
        key: "group",
        title: "Host a group litter pick",
        instructions: "Invite neighbours for an hour's pick. We lend the kit.",
        location: "A park or street near you",
        durationMinutes: 120,
        dueAfterDays: 14,
        fields: [
          {
            type: "number",
            key: "bags",
            label: "How many bags did the group fill?",
            required: true,
            min: 0,
            max: 500,
            unit: "bags",
            metricKey: "bags",
            typical: 12,
          },
          {
            type: "number",
            key: "people",
            label: "How many came?",
            required: true,
            min: 1,
            max: 200,
            unit: "people",
            typical: 6,
          },
        ],
        rules: {
          rules: [{ when: [{ field: "people", op: "gte", value: 5 }], next: "adopt" }],
          defaultNext: "pick",
          onSkip: "pick",
        },
      },
      {
        key: "flytip",
        title: "Report fly-tipping",
        instructions: "Photograph it (without touching) and report it to the council.",
        location: "Where you saw it",
        durationMinutes: 15,
        dueAfterDays: 3,
        fields: [
          {
            type: "number",
            key: "spots",
            label: "How many spots did you report?",
            required: true,
            min: 0,
            max: 50,
            typical: 1,
          },
        ],
        rules: { rules: [], defaultNext: "pick", onSkip: "pick" },
      },
      {
        key: "adopt",
        title: "Adopt a street",
        instructions: "Keep one street clean for a month: a pick every week.",
        location: "A street of your choice",
        durationMinutes: 120,
        dueAfterDays: 28,
        fields: [
          {
            type: "number",
            key: "bags",
            label: "How many bags this month?",
            required: true,
            min: 0,
            max: 200,
            unit: "bags",
            metricKey: "bags",
            typical: 8,
          },
        ],
        rules: { rules: [], defaultNext: "adopt", onSkip: "pick" },
      },
    ],
  },
  {
    slug: "scale-full-plates",
    title: "Full Plates",
    description: "Collect food for the food bank and help sort it.",
    metricKey: "kg",
    metricLabel: "kilograms of food collected",
    metricUnit: "kg",
    target: 500_000,
    share: 0.2,
    tasks: [
      {
        key: "collect",
        title: "Collect at a supermarket",
        instructions: "Stand by the door for two hours with our collection crates.",
        location: "A supermarket on our list",
        durationMinutes: 120,
        dueAfterDays: 10,
        fields: [
          {
            type: "number",
            key: "kg",
            label: "How many kilograms did you collect?",
            required: true,
            min: 0,
            max: 2000,
            unit: "kg",
            metricKey: "kg",
            typical: 35,
          },
          {
            type: "choice",
            key: "store",
            label: "How helpful was the store?",
            required: false,
            options: ["Very", "A bit", "Not at all"],
            weights: [5, 3, 1],
          },
        ],
        rules: {
          rules: [{ when: [{ field: "kg", op: "gte", value: 50 }], next: "point" }],
          defaultNext: "sort",
          onSkip: "sort",
        },
      },
      {
        key: "sort",
        title: "Sort at the food bank",
        instructions: "Come to the warehouse for a three-hour sorting shift.",
        location: "The food bank warehouse",
        durationMinutes: 180,
        dueAfterDays: 14,
        fields: [
          {
            type: "number",
            key: "hours",
            label: "How many hours did you sort?",
            required: true,
            min: 0,
            max: 12,
            unit: "hours",
            typical: 3,
          },
        ],
        rules: { rules: [], defaultNext: "collect", onSkip: "collect" },
      },
      {
        key: "point",
        title: "Run a collection point",
        instructions: "Host a crate at your school, church or workplace for a fortnight.",
        location: "Your school, church or workplace",
        durationMinutes: 60,
        dueAfterDays: 14,
        fields: [
          {
            type: "number",
            key: "kg",
            label: "How many kilograms came in?",
            required: true,
            min: 0,
            max: 5000,
            unit: "kg",
            metricKey: "kg",
            typical: 80,
          },
        ],
        rules: { rules: [], defaultNext: "point", onSkip: "collect" },
      },
    ],
  },
];

/** ~40 postcode districts; sizes fall off Zipf-like with rank. */
const DISTRICTS = [
  ...Array.from({ length: 28 }, (_, i) => `LS${i + 1}`),
  ...Array.from({ length: 12 }, (_, i) => `BD${i + 1}`),
];
const DISTRICT_WEIGHTS = cumulative(DISTRICTS.map((_, rank) => 1 / Math.pow(rank + 1, 0.9)));
// The biggest districts are not LS1, LS2…: shuffle deterministically.
const DISTRICT_ORDER = (() => {
  const random = new Random(7);
  const order = DISTRICTS.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
})();

const FIRST_NAMES = [
  "Amira", "Ben", "Chidi", "Dana", "Eve", "Farid", "Grace", "Hamza", "Isla", "Jack", "Kemi",
  "Liam", "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik", "Wren",
  "Yusuf", "Zoe",
]; // prettier-ignore
const LAST_NAMES = [
  "Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hussain", "Iqbal", "Jones",
  "Khan", "Lewis", "Morris", "Nowak", "Okafor", "Patel", "Roberts", "Singh", "Taylor", "Walker",
]; // prettier-ignore

const SKIP_REASONS = [
  "I was ill",
  "Too busy this week",
  "The weather was awful",
  "Family came first this week",
  "I didn't feel safe doing it alone",
  "Work got in the way",
  "I'd rather do something else",
];
const SKIP_WEIGHTS = cumulative([3, 6, 3, 2, 1, 3, 2]);
const FEEDBACK = [
  "A lot of people weren't in.",
  "People were really friendly.",
  "Could we have more leaflets?",
  "The map of streets would help.",
  "Someone asked about the council's scheme and I didn't know the answer.",
  "Loved it, count me in for next time.",
];
const SUPPRESS_REASONS = [
  "weekly limit reached",
  "out of date",
  "quiet hours, and it would be out of date by the morning",
  "unsubscribed",
  "address bounced",
];
const SUPPRESS_WEIGHTS = cumulative([55, 25, 10, 7, 3]);

// ---------------------------------------------------------------------------------------------
// Loading: one buffer of column arrays per table, flushed as `INSERT ... SELECT * FROM unnest(...)`.

type ColumnType = "text" | "timestamp(3)" | "int" | "bool" | "jsonb" | "numeric" | string;

class Table {
  readonly columns: unknown[][];
  rowCount = 0;
  inserted = 0;
  private readonly sql: string;
  constructor(
    readonly name: string,
    columns: [string, ColumnType][],
  ) {
    this.columns = columns.map(() => []);
    const names = columns.map(([column]) => `"${column}"`).join(", ");
    const unnest = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
    this.sql = `INSERT INTO "${name}" (${names}) SELECT * FROM unnest(${unnest})`;
  }
  add(...values: unknown[]) {
    for (let i = 0; i < values.length; i++) this.columns[i]!.push(values[i]);
    this.rowCount++;
  }
  /** Takes the buffered rows: [sql, params], or null when empty. */
  take(): [string, unknown[][]] | null {
    if (this.rowCount === 0) return null;
    const params = this.columns.map((column) => column.splice(0));
    this.inserted += this.rowCount;
    this.rowCount = 0;
    return [this.sql, params];
  }
}

/**
 * Sends statements on one connection without waiting for each (pg queues them in order), so the
 * database inserts one batch while Node builds the next; at most `depth` are outstanding.
 */
class Pipeline {
  private tail: Promise<unknown> = Promise.resolve();
  private outstanding = 0;
  private failure: unknown = null;
  private waiters: (() => void)[] = [];
  constructor(
    private readonly client: pg.Client,
    private readonly depth = 3,
  ) {}
  async send(sql: string, params: unknown[]) {
    if (this.failure) throw this.failure;
    this.outstanding++;
    this.tail = this.tail
      .then(() => (this.failure ? undefined : this.client.query(sql, params)))
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.outstanding--;
        this.waiters.shift()?.();
      });
    while (this.outstanding > this.depth) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
  }
  async drain() {
    await this.tail;
    if (this.failure) throw this.failure;
  }
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

const BULK_TABLES = ["Assignment", "Report", "ReportMetric", "Message", "Consent", "Membership"];

/**
 * On a fresh database (the big tables nearly empty), drops their plain (non-unique,
 * non-constraint) indexes for the load and answers their definitions, so that they are built
 * once, sorted, at the end (recreateIndexes) instead of being updated row by row. Unique and
 * primary-key indexes stay. On a database that already holds data, drops nothing.
 */
async function dropPlainIndexes(client: pg.Client, log: (line: string) => void) {
  const { rows: sizes } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM "Assignment" LIMIT 10000) x`,
  );
  if (Number(sizes[0]?.n ?? 0) >= 10_000) return [];
  const { rows } = await client.query<{ name: string; def: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
     WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
       AND NOT i.indisunique AND NOT i.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
     ORDER BY 1`,
    [BULK_TABLES],
  );
  await client.query("BEGIN");
  for (const { name } of rows) await client.query(`DROP INDEX ${name}`);
  await client.query("COMMIT");
  log(`deferred ${rows.length} plain indexes of ${BULK_TABLES.join(", ")} to the end of the load`);
  return rows;
}

/** Builds the indexes dropPlainIndexes dropped, from their own definitions, on a few connections. */
async function recreateIndexes(clients: pg.Client[], indexes: { name: string; def: string }[]) {
  const queue = indexes.slice();
  await Promise.all(
    clients.map(async (client) => {
      await client.query("SET maintenance_work_mem = '256MB'");
      for (let next = queue.shift(); next; next = queue.shift()) await client.query(next.def);
    }),
  );
}

const ts = (ms: number) => new Date(ms).toISOString().slice(0, 23);

// ---------------------------------------------------------------------------------------------

export type SeedScaleOptions = {
  connectionString: string;
  volunteers: number;
  reports: number;
  seed?: number;
  /** The moment "now" in the data (default: the start of the current UTC day). */
  now?: Date;
  /** Soft cap on outbox Message rows (messages are thinned at random to stay near it). */
  maxMessages?: number;
  /** Rows per INSERT. */
  batchSize?: number;
  /** Skip the database-name check (the CLI's --yes). */
  force?: boolean;
  /**
   * How the rollups (ReportDay, CampaignParticipant, NudgeDay, Report.burstFrom) get their rows.
   * "rebuild" (default): the bulk rows go in with this session's triggers off
   * (session_replication_role = replica, which needs a superuser; nothing global changes), then
   * onward_refresh_report_rollups(), which gives exactly what the row triggers would have.
   * "triggers": the row triggers run for every row (correct by construction, but an order of
   * magnitude slower).
   */
  rollups?: "rebuild" | "triggers";
  log?: (line: string) => void;
};

export type SeedScaleResult = {
  organisationId: string;
  campaigns: { id: string; slug: string; title: string }[];
  staff: { email: string; role: string }[];
  counts: Record<string, number>;
  /** How the rollups were filled: "function" (onward_refresh_report_rollups() after a load with
   * triggers off) or "triggers" (the row triggers, as the app writes). */
  rollups: "function" | "triggers";
  seconds: number;
};

/** A database name a scale seed may write to without --yes. */
export function looksDisposable(connectionString: string) {
  const name = decodeURIComponent(new URL(connectionString).pathname.slice(1));
  return /scale|bench|test|dev/i.test(name);
}

/** Volunteers' report counts: a Pareto tail, summing to exactly `reports`. */
function allocateReports(random: Random, volunteers: number, reports: number): Int32Array {
  const cap = Math.max(300, Math.ceil((3 * reports) / Math.max(1, volunteers)));
  if (reports > 0 && volunteers === 0) throw new Error("Reports need at least one volunteer.");
  if (reports > cap * volunteers * 0.6) {
    throw new Error(`${reports} reports is too many for ${volunteers} volunteers.`);
  }
  const weight = new Float64Array(volunteers);
  const jitter = new Float64Array(volunteers);
  for (let i = 0; i < volunteers; i++) {
    // A quarter never report; the rest follow a Lomax (shifted Pareto) with alpha 1.1.
    weight[i] = random.chance(0.25) ? 0 : Math.pow(1 - random.next(), -1 / 1.1) - 1;
    jitter[i] = random.next();
  }
  const counts = new Int32Array(volunteers);
  const total = (scale: number) => {
    let sum = 0;
    for (let i = 0; i < volunteers; i++) {
      sum += Math.min(cap, Math.floor(weight[i]! * scale + jitter[i]!));
    }
    return sum;
  };
  let lo = 0;
  let hi = 1;
  while (total(hi) < reports && hi < 1e12) hi *= 2;
  for (let step = 0; step < 60; step++) {
    const mid = (lo + hi) / 2;
    if (total(mid) < reports) lo = mid;
    else hi = mid;
  }
  let sum = 0;
  for (let i = 0; i < volunteers; i++) {
    counts[i] = Math.min(cap, Math.floor(weight[i]! * hi + jitter[i]!));
    sum += counts[i]!;
  }
  // Fix the last few by hand, on volunteers who report at all.
  while (sum !== reports) {
    const i = random.int(0, volunteers - 1);
    if (weight[i] === 0 && reports > 0) continue;
    if (sum < reports && counts[i]! < cap) {
      counts[i]!++;
      sum++;
    } else if (sum > reports && counts[i]! > 0) {
      counts[i]!--;
      sum--;
    }
  }
  return counts;
}

function holds(condition: Condition, values: Record<string, unknown>) {
  const actual = values[condition.field];
  if (actual === undefined) return false;
  switch (condition.op) {
    case "eq":
      return actual === condition.value;
    case "neq":
      return actual !== condition.value;
    case "gte":
      return (actual as number) >= (condition.value as number);
    case "gt":
      return (actual as number) > (condition.value as number);
    case "lte":
      return (actual as number) <= (condition.value as number);
    case "lt":
      return (actual as number) < (condition.value as number);
  }
}

export async function seedScale(options: SeedScaleOptions): Promise<SeedScaleResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const seed = options.seed ?? 1;
  const volunteers = options.volunteers;
  const reportsWanted = options.reports;
  const batchSize = options.batchSize ?? 5_000;
  const nowDate = options.now ?? new Date(Math.floor(Date.now() / DAY) * DAY);
  const now = nowDate.getTime();
  const maxMessages = options.maxMessages ?? 1_500_000;
  if (!Number.isInteger(volunteers) || volunteers < 0) throw new Error("Bad --volunteers.");
  if (!Number.isInteger(reportsWanted) || reportsWanted < 0) throw new Error("Bad --reports.");
  if (!options.force && !looksDisposable(options.connectionString)) {
    throw new Error(
      `Refusing to seed ${new URL(options.connectionString).pathname.slice(1)}: its name doesn't contain "scale", "bench", "test" or "dev" (pass --yes if you mean it).`,
    );
  }

  const rollupMode = options.rollups ?? "rebuild";
  let triggersOff = false;
  let deferred: { name: string; def: string }[] = [];
  const random = new Random(seed);
  const tag = `s${seed.toString(36)}`;
  const idOf = (kind: string, n: number) => `c${tag}${kind}${n.toString(36).padStart(7, "0")}`;

  const client = new pg.Client({ connectionString: options.connectionString });
  await client.connect();
  const pipe = new Pipeline(client);
  // With the triggers (foreign keys included) off, the two biggest tables load on a second
  // connection at the same time: nothing there waits on the other connection's rows.
  const second = new pg.Client({ connectionString: options.connectionString });
  let secondPipe: Pipeline | null = null;
  const tables = {
    user: new Table("User", [
      ["id", "text"],
      ["email", "text"],
      ["phone", "text"],
      ["name", "text"],
      ["postcode", "text"],
      ["district", "text"],
      ["timezone", "text"],
      ["channelPreference", '"ChannelPreference"'],
      ["createdAt", "timestamp(3)"],
      ["updatedAt", "timestamp(3)"],
    ]),
    membership: new Table("Membership", [
      ["id", "text"],
      ["userId", "text"],
      ["organisationId", "text"],
      ["role", '"Role"'],
      ["createdAt", "timestamp(3)"],
      ["updatedAt", "timestamp(3)"],
    ]),
    consent: new Table("Consent", [
      ["id", "text"],
      ["userId", "text"],
      ["organisationId", "text"],
      ["channel", '"Channel"'],
      ["granted", "bool"],
      ["wording", "text"],
      ["source", "text"],
      ["createdAt", "timestamp(3)"],
    ]),
    team: new Table("Team", [
      ["id", "text"],
      ["organisationId", "text"],
      ["campaignId", "text"],
      ["name", "text"],
      ["leadId", "text"],
      ["createdAt", "timestamp(3)"],
    ]),
    teamMember: new Table("TeamMember", [
      ["teamId", "text"],
      ["userId", "text"],
      ["createdAt", "timestamp(3)"],
    ]),
    assignment: new Table("Assignment", [
      ["id", "text"],
      ["organisationId", "text"],
      ["campaignId", "text"],
      ["taskId", "text"],
      ["taskVersionId", "text"],
      ["userId", "text"],
      ["status", '"AssignmentStatus"'],
      ["assignedAt", "timestamp(3)"],
      ["dueAt", "timestamp(3)"],
      ["closedAt", "timestamp(3)"],
      ["skipReason", "text"],
      ["previousId", "text"],
      ["createdAt", "timestamp(3)"],
      ["updatedAt", "timestamp(3)"],
    ]),
    report: new Table("Report", [
      ["id", "text"],
      ["organisationId", "text"],
      ["campaignId", "text"],
      ["taskId", "text"],
      ["taskVersionId", "text"],
      ["assignmentId", "text"],
      ["userId", "text"],
      ["values", "jsonb"],
      ["feedback", "text"],
      ["source", '"ReportSource"'],
      ["idempotencyKey", "text"],
      ["district", "text"],
      ["createdAt", "timestamp(3)"],
    ]),
    metric: new Table("ReportMetric", [
      ["id", "text"],
      ["reportId", "text"],
      ["organisationId", "text"],
      ["campaignId", "text"],
      ["taskId", "text"],
      ["metricKey", "text"],
      ["value", "numeric"],
      ["district", "text"],
      ["createdAt", "timestamp(3)"],
    ]),
    message: new Table("Message", [
      ["id", "text"],
      ["organisationId", "text"],
      ["userId", "text"],
      ["assignmentId", "text"],
      ["channel", '"Channel"'],
      ["kind", "text"],
      ["dedupeKey", "text"],
      ["toAddress", "text"],
      ["subject", "text"],
      ["bodyText", "text"],
      ["status", '"MessageStatus"'],
      ["statusReason", "text"],
      ["transport", "text"],
      ["providerId", "text"],
      ["sendAfter", "timestamp(3)"],
      ["attempts", "int"],
      ["sentAt", "timestamp(3)"],
      ["createdAt", "timestamp(3)"],
      ["updatedAt", "timestamp(3)"],
    ]),
  };
  // Parents before children, so every foreign key finds its row.
  const order = [
    tables.user,
    tables.membership,
    tables.consent,
    tables.team,
    tables.teamMember,
    tables.assignment,
    tables.report,
    tables.metric,
    tables.message,
  ];
  const flush = async () => {
    for (const table of order) {
      const batch = table.take();
      const on =
        secondPipe && (table === tables.metric || table === tables.message) ? secondPipe : pipe;
      if (batch) await on.send(...batch);
    }
  };
  const maybeFlush = async () => {
    if (order.some((table) => table.rowCount >= batchSize)) await flush();
  };
  let lastProgress = performance.now();
  const progress = (what: string) => {
    if (performance.now() - lastProgress < 5_000) return;
    lastProgress = performance.now();
    log(`  ${what} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  };

  try {
    // The organisation and ladders in one transaction; the bulk rows as one statement (and
    // transaction) per batch: the rollup triggers of 20261125150000_report_rollups update the same
    // aggregate rows again and again, which gets slower and slower inside one long transaction
    // (none of the dead row versions can be pruned until it commits).
    await client.query("SELECT pg_advisory_lock(72707371)");
    await client.query("BEGIN");
    const existing = await client.query(`SELECT 1 FROM "Organisation" WHERE slug = $1`, [
      SCALE_ORG_SLUG,
    ]);
    if (existing.rowCount) {
      throw new Error(
        `This database already holds the scale organisation (${SCALE_ORG_SLUG}): seed a fresh one.`,
      );
    }

    // Organisation, staff, campaigns, ladders -------------------------------------------------
    const orgId = idOf("o", 0);
    const orgCreated = now - 200 * DAY;
    await client.query(
      `INSERT INTO "Organisation" (id, name, slug, "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $4)`,
      [orgId, "Onward at Scale", SCALE_ORG_SLUG, ts(orgCreated)],
    );
    const staffIds: string[] = [];
    for (const [i, staff] of SCALE_STAFF.entries()) {
      const id = idOf("w", i);
      staffIds.push(id);
      tables.user.add(
        id,
        staff.email,
        null,
        staff.name,
        null,
        null,
        "Europe/London",
        "EMAIL",
        ts(orgCreated),
        ts(orgCreated),
      );
      tables.membership.add(idOf("n", i), id, orgId, staff.role, ts(orgCreated), ts(orgCreated));
    }
    await flush();

    type TaskRow = {
      key: string;
      id: string;
      spec: TaskSpec;
      /** [version id, valid from (ms)], newest last. */
      versions: [string, number][];
    };
    type CampaignRow = {
      id: string;
      spec: CampaignSpec;
      tasks: Map<string, TaskRow>;
      first: TaskRow;
    };
    const campaigns: CampaignRow[] = [];
    let taskCounter = 0;
    let versionCounter = 0;
    for (const [ci, spec] of CAMPAIGNS.entries()) {
      const id = idOf("p", ci);
      const created = orgCreated + DAY;
      const tasks = new Map<string, TaskRow>();
      for (const task of spec.tasks) {
        tasks.set(task.key, {
          key: task.key,
          id: idOf("t", taskCounter++),
          spec: task,
          versions: [],
        });
      }
      await client.query(
        `INSERT INTO "Campaign" (id, "organisationId", slug, title, description, status, "metricKey",
           "metricLabel", "metricUnit", target, "whyTakePart", "whatWeDo", "whatIsOpen", "startsOn",
           "isPublic", "createdAt", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, 'LIVE', $6, $7, $8, $9, $10, $11, $12, $13::date, true, $14, $14)`,
        [
          id,
          orgId,
          spec.slug,
          spec.title,
          spec.description,
          spec.metricKey,
          spec.metricLabel,
          spec.metricUnit,
          spec.target,
          `Every ${spec.metricUnit === "kg" ? "kilogram" : spec.metricUnit.replace(/s$/, "")} counts.`,
          "We add up your reports and show the council where help is needed.",
          "Where and when we work is open to your ideas.",
          ts(created).slice(0, 10),
          ts(created),
        ],
      );
      for (const [position, task] of [...tasks.values()].entries()) {
        await client.query(
          `INSERT INTO "Task" (id, "campaignId", "organisationId", position, "createdAt", "updatedAt")
           VALUES ($1, $2, $3, $4, $5, $5)`,
          [task.id, id, orgId, position, ts(created)],
        );
      }
      for (const task of tasks.values()) {
        const toIds = (key: string | null) => (key === null ? null : tasks.get(key)!.id);
        const rules = {
          rules: task.spec.rules.rules.map((rule) => ({ when: rule.when, next: toIds(rule.next) })),
          defaultNext: toIds(task.spec.rules.defaultNext),
          onSkip: toIds(task.spec.rules.onSkip),
          ...(task.spec.rules.endMessage ? { endMessage: task.spec.rules.endMessage } : {}),
        };
        const fields = task.spec.fields.map((field) => {
          const stored: Record<string, unknown> = { ...field };
          delete stored.typical;
          delete stored.weights;
          delete stored.yes;
          return stored;
        });
        const revisions = task.spec.revisedDaysAgo
          ? [created, now - task.spec.revisedDaysAgo * DAY]
          : [created];
        for (const [v, from] of revisions.entries()) {
          const versionId = idOf("v", versionCounter++);
          task.versions.push([versionId, from]);
          const older = v < revisions.length - 1;
          await client.query(
            `INSERT INTO "TaskVersion" (id, "taskId", version, title, instructions, location,
               "durationMinutes", "dueAfterDays", fields, rules, "createdById", "createdAt")
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12)`,
            [
              versionId,
              task.id,
              v + 1,
              task.spec.title,
              older ? task.spec.instructions.replace(/\*/g, "") : task.spec.instructions,
              task.spec.location,
              task.spec.durationMinutes,
              task.spec.dueAfterDays,
              JSON.stringify(fields),
              JSON.stringify(rules),
              staffIds[1],
              ts(from),
            ],
          );
        }
        await client.query(`UPDATE "Task" SET "currentVersionId" = $1 WHERE id = $2`, [
          task.versions.at(-1)![0],
          task.id,
        ]);
      }
      const first = tasks.get(spec.tasks[0]!.key)!;
      await client.query(`UPDATE "Campaign" SET "firstTaskId" = $1 WHERE id = $2`, [first.id, id]);
      campaigns.push({ id, spec, tasks, first });
    }
    await client.query("COMMIT");
    if (rollupMode === "rebuild") {
      try {
        await client.query("SET session_replication_role = replica");
        triggersOff = true;
        await second.connect();
        await second.query("SET session_replication_role = replica");
        secondPipe = new Pipeline(second);
        deferred = await dropPlainIndexes(client, log);
      } catch (error) {
        log(
          `Can't turn this session's triggers off (${error instanceof Error ? error.message : error}): loading with the row triggers on, which is much slower.`,
        );
      }
    }
    log(`organisation, 3 staff and ${campaigns.length} LIVE campaigns`);

    // Volunteers ------------------------------------------------------------------------------
    const counts = allocateReports(random, volunteers, reportsWanted);
    const campaignShares = cumulative(CAMPAIGNS.map((c) => c.share));
    const launches = [orgCreated + 2 * DAY, now - 120 * DAY, now - 45 * DAY];
    type Volunteer = {
      id: string;
      district: string;
      email: string | null;
      phone: string | null;
      pref: "EMAIL" | "SMS" | "BOTH";
      joinedAt: number;
      /** Index of the campaign they joined first. */
      home: number;
      /** Consent withdrawn on a channel at a time (messages after it are suppressed). */
      optOut: { channel: "EMAIL" | "SMS"; at: number } | null;
    };
    const people: Volunteer[] = new Array(volunteers);
    const earliestJoin = orgCreated + 3 * DAY;
    for (let i = 0; i < volunteers; i++) {
      const id = idOf("u", i);
      const district = DISTRICT_ORDER[random.weighted(DISTRICT_WEIGHTS)]!;
      const home = random.weighted(campaignShares);
      const prefRoll = random.next();
      const pref = prefRoll < 0.62 ? "EMAIL" : prefRoll < 0.82 ? "SMS" : "BOTH";
      const email = pref === "SMS" && random.chance(0.7) ? null : `v${i}.${tag}@scale.example.org`;
      const phone =
        pref !== "EMAIL" || random.chance(0.2)
          ? `+447${String(100_000_000 + i).padStart(9, "0")}`
          : null;
      // Heavy reporters joined early enough to have done their reports.
      const latest = now - Math.min(175 * DAY, DAY + (counts[i]! * DAY) / 2);
      let joinedAt: number;
      if (random.chance(0.3)) {
        // a burst after one of the campaign launches
        const launch = random.pick(launches);
        joinedAt = Math.min(latest, launch + Math.abs(random.normal()) * 4 * DAY);
      } else {
        joinedAt = earliestJoin + random.next() * Math.max(0, latest - earliestJoin);
      }
      joinedAt = Math.max(earliestJoin, Math.round(joinedAt));
      const name = `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
      const postcode = `${district} ${random.int(1, 9)}${String.fromCharCode(65 + random.int(0, 25))}${String.fromCharCode(65 + random.int(0, 25))}`;
      tables.user.add(
        id,
        email,
        phone,
        name,
        postcode,
        district,
        "Europe/London",
        pref,
        ts(joinedAt),
        ts(joinedAt),
      );
      tables.membership.add(idOf("m", i), id, orgId, "VOLUNTEER", ts(joinedAt), ts(joinedAt));
      const channels: ("EMAIL" | "SMS")[] =
        pref === "BOTH" ? ["EMAIL", "SMS"] : pref === "SMS" ? ["SMS"] : ["EMAIL"];
      for (const channel of channels) {
        tables.consent.add(
          `${idOf("k", i)}${channel[0]}`,
          id,
          orgId,
          channel,
          true,
          `Onward at Scale may contact me by ${channel === "EMAIL" ? "email" : "text message"} about this campaign.`,
          `join:${campaigns[home]!.id}`,
          ts(joinedAt),
        );
      }
      let optOut: Volunteer["optOut"] = null;
      if (random.chance(0.03)) {
        const channel = random.pick(channels);
        const at = Math.round(joinedAt + random.next() * (now - joinedAt));
        optOut = { channel, at };
        tables.consent.add(
          `${idOf("k", i)}${channel[0]}x`,
          id,
          orgId,
          channel,
          false,
          channel === "SMS" ? "Replied STOP" : "Unsubscribed from an email",
          channel === "SMS" ? "sms STOP" : "unsubscribe link",
          ts(at),
        );
      }
      people[i] = { id, district, email, phone, pref, joinedAt, home, optOut };
      await maybeFlush();
      if ((i + 1) % 20_000 === 0) progress(`${i + 1} volunteers`);
    }
    await flush();
    log(`${volunteers} volunteers (${((performance.now() - started) / 1000).toFixed(1)} s)`);

    // Teams: one per ~400 volunteers, led by a keen volunteer, members from the lead's district.
    const byDistrict = new Map<string, number[]>();
    for (let i = 0; i < volunteers; i++) {
      const list = byDistrict.get(people[i]!.district) ?? [];
      list.push(i);
      byDistrict.set(people[i]!.district, list);
    }
    const keen = [...counts.keys()].filter((i) => counts[i]! >= 10);
    const teamCount = Math.min(keen.length, Math.max(3, Math.floor(volunteers / 400)));
    const leads = new Set<number>();
    for (let t = 0; t < teamCount; t++) {
      let lead = keen[random.int(0, keen.length - 1)]!;
      while (leads.has(lead)) lead = keen[random.int(0, keen.length - 1)]!;
      leads.add(lead);
      const person = people[lead]!;
      const teamId = idOf("g", t);
      const campaign = campaigns[random.weighted(campaignShares)]!;
      const createdAt = person.joinedAt + random.int(1, 20) * DAY;
      const at = ts(Math.min(now - HOUR, createdAt));
      tables.team.add(
        teamId,
        orgId,
        campaign.id,
        `${person.district} ${campaign.spec.title} team`,
        person.id,
        at,
      );
      tables.teamMember.add(teamId, person.id, at);
      const pool = byDistrict.get(person.district)!;
      const members = new Set<number>([lead]);
      const size = random.int(3, 12);
      for (let tries = 0; members.size < size && tries < size * 4; tries++) {
        const m = pool[random.int(0, pool.length - 1)]!;
        if (members.has(m)) continue;
        members.add(m);
        tables.teamMember.add(teamId, people[m]!.id, at);
      }
    }
    await flush();
    log(`${teamCount} teams`);

    // Assignments, reports, metrics and messages ----------------------------------------------
    const estimatedAssignments = reportsWanted * 1.08 + volunteers * 1.3;
    const estimatedMessages = estimatedAssignments * 1.25 * 1.2;
    const keepMessage = Math.min(1, maxMessages / Math.max(1, estimatedMessages));
    let assignmentCounter = 0;
    let reportCounter = 0;
    let metricCounter = 0;
    let messageCounter = 0;
    let providerCounter = 0;
    const valueFor = (field: Field, values: Record<string, unknown>) => {
      if (!field.required && !random.chance(0.7)) return;
      if (field.type === "number") {
        const raw = Math.round(field.typical * Math.exp(0.6 * random.normal()));
        values[field.key] = Math.max(field.min ?? 0, Math.min(field.max ?? 1e6, raw));
      } else if (field.type === "choice") {
        values[field.key] = field.options[random.weighted(cumulative(field.weights))]!;
      } else {
        values[field.key] = random.chance(field.yes);
      }
    };
    const nextAfter = (
      task: TaskRow,
      values: Record<string, unknown> | null,
      campaign: CampaignRow,
    ) => {
      const rules = task.spec.rules;
      let key: string | null;
      if (values === null) key = rules.onSkip;
      else {
        key = rules.defaultNext;
        for (const rule of rules.rules) {
          if (rule.when.every((condition) => holds(condition, values))) {
            key = rule.next;
            break;
          }
        }
      }
      // The end of the ladder: a keen volunteer starts again at the first step.
      return key === null ? campaign.first : campaign.tasks.get(key)!;
    };
    const message = (
      person: Volunteer,
      assignmentId: string | null,
      kind: string,
      dedupe: string,
      at: number,
      subject: string,
      body: string,
    ) => {
      if (at >= now) return;
      const channels: ("EMAIL" | "SMS")[] =
        person.pref === "BOTH" ? ["EMAIL", "SMS"] : person.pref === "SMS" ? ["SMS"] : ["EMAIL"];
      for (const channel of channels) {
        const to = channel === "EMAIL" ? person.email : person.phone;
        if (!to) continue;
        let status = "SENT";
        let reason: string | null = null;
        if (person.optOut && person.optOut.channel === channel && at >= person.optOut.at) {
          status = "SUPPRESSED";
          reason = channel === "SMS" ? "replied STOP" : "opted out";
        } else if (random.chance(0.07)) {
          status = "SUPPRESSED";
          reason = SUPPRESS_REASONS[random.weighted(SUPPRESS_WEIGHTS)]!;
        }
        const sent = status === "SENT";
        const sentAt = sent ? at + random.int(1, 120) * 1000 : null;
        tables.message.add(
          idOf("x", messageCounter++),
          orgId,
          person.id,
          assignmentId,
          channel,
          kind,
          `${dedupe}:${channel}`,
          to,
          channel === "EMAIL" ? subject : null,
          body,
          status,
          reason,
          sent ? (channel === "EMAIL" ? "smtp" : "twilio") : null,
          sent && channel === "SMS"
            ? `SM${(providerCounter++).toString(16).padStart(32, "0")}`
            : null,
          ts(at),
          sent ? 1 : 0,
          sentAt === null ? null : ts(sentAt),
          ts(at),
          ts(sentAt ?? at),
        );
      }
    };

    type Step = "REPORTED" | "SKIPPED" | "EXPIRED";
    const chain = (person: Volunteer, campaign: CampaignRow, reports: number, startAt: number) => {
      // The steps before the last, open (or expired) one.
      const steps: Step[] = [];
      const allowExpired = reports <= 20;
      for (let r = 0; r < reports; r++) {
        if (random.chance(0.06)) steps.push("SKIPPED");
        if (allowExpired && random.chance(0.04)) steps.push("EXPIRED");
        steps.push("REPORTED");
      }
      if (reports === 0 && random.chance(0.15)) steps.push("SKIPPED");
      // Durations: reports mostly early in the due window; skips quick; an expiry takes the whole
      // window plus a few days before the sweep, then a gap before the person comes back.
      const variable: number[] = [];
      const fixed: number[] = [];
      let task = campaign.first;
      const dueDays = (t: TaskRow) => t.spec.dueAfterDays;
      // Walk the ladder once with placeholder durations to know each step's task: values decide.
      const plan: { task: TaskRow; step: Step; values: Record<string, unknown> | null }[] = [];
      for (const step of steps) {
        let values: Record<string, unknown> | null = null;
        if (step === "REPORTED") {
          values = {};
          for (const field of task.spec.fields) valueFor(field, values);
        }
        plan.push({ task, step, values });
        if (step === "REPORTED") {
          variable.push(Math.pow(random.next(), 1.5) * dueDays(task) * DAY + 10 * 60_000);
          fixed.push(0);
        } else if (step === "SKIPPED") {
          variable.push(random.next() * 2 * DAY + 60_000);
          fixed.push(0);
        } else {
          variable.push(random.next() * 10 * DAY);
          fixed.push((dueDays(task) + 2 + random.next() * 3) * DAY);
        }
        task = step === "EXPIRED" ? task : nextAfter(task, values, campaign);
      }
      const budget = now - HOUR - startAt;
      const fixedSum = fixed.reduce((a, b) => a + b, 0);
      const variableSum = variable.reduce((a, b) => a + b, 0);
      const room = budget * 0.97 - fixedSum;
      const scale = variableSum > 0 && variableSum > room ? Math.max(0.001, room / variableSum) : 1;
      let t = startAt;
      let previousId: string | null = null;
      for (const [j, { task: step, step: status, values }] of plan.entries()) {
        const id = idOf("a", assignmentCounter++);
        const [versionId] =
          [...step.versions].reverse().find(([, from]) => from <= t) ?? step.versions[0]!;
        const dueAt = t + dueDays(step) * DAY;
        let closedAt: number;
        let next: number;
        if (status === "EXPIRED") {
          closedAt = Math.min(now - HOUR, t + fixed[j]!);
          next = Math.min(now - HOUR, closedAt + variable[j]! * scale);
        } else {
          closedAt = Math.min(now - HOUR, t + Math.max(60_000, variable[j]! * scale));
          next = closedAt;
        }
        closedAt = Math.max(closedAt, t + 60_000);
        const skipReason =
          status === "SKIPPED" ? SKIP_REASONS[random.weighted(SKIP_WEIGHTS)]! : null;
        tables.assignment.add(
          id,
          orgId,
          campaign.id,
          step.id,
          versionId,
          person.id,
          status,
          ts(t),
          ts(dueAt),
          ts(closedAt),
          skipReason,
          previousId,
          ts(t),
          ts(closedAt),
        );
        if (status === "REPORTED" && values) {
          const reportId = idOf("r", reportCounter++);
          const sourceRoll = random.next();
          const source =
            sourceRoll < 0.85 ? "WEB" : sourceRoll < 0.95 && person.phone ? "SMS" : "OFFLINE_SYNC";
          tables.report.add(
            reportId,
            orgId,
            campaign.id,
            step.id,
            versionId,
            id,
            person.id,
            JSON.stringify(values),
            random.chance(0.08) ? random.pick(FEEDBACK) : null,
            source,
            `scale-${reportId}`,
            person.district,
            ts(closedAt),
          );
          for (const field of step.spec.fields) {
            if (field.type !== "number" || field.metricKey !== campaign.spec.metricKey) continue;
            const value = values[field.key];
            if (typeof value !== "number") continue;
            tables.metric.add(
              idOf("q", metricCounter++),
              reportId,
              orgId,
              campaign.id,
              step.id,
              field.metricKey,
              value,
              person.district,
              ts(closedAt),
            );
          }
        }
        if (random.chance(keepMessage)) {
          message(
            person,
            id,
            "TASK_ASSIGNED",
            `task-assigned:${id}`,
            t + 30_000,
            `Your task: ${step.spec.title}`,
            `Your next task: ${step.spec.title}. Open it here: https://onward.example.org/tasks/${id}`,
          );
        }
        // A reminder a day before it is due, if it was still open then.
        const remindAt = dueAt - DAY;
        if (remindAt > t + HOUR && closedAt > remindAt && random.chance(keepMessage)) {
          message(
            person,
            id,
            "REMINDER",
            `reminder:${id}`,
            remindAt,
            `Reminder: ${step.spec.title}`,
            `A reminder: "${step.spec.title}" is due tomorrow. Report back at https://onward.example.org/tasks/${id}/report`,
          );
        }
        if (status === "EXPIRED" && closedAt > dueAt + DAY && random.chance(keepMessage)) {
          message(
            person,
            id,
            "OVERDUE",
            `overdue:${id}`,
            dueAt + DAY,
            `How did it go?`,
            `How did "${step.spec.title}" go? Tell us at https://onward.example.org/tasks/${id}/report`,
          );
        }
        previousId = id;
        t = Math.max(next, t + 60_000);
      }
      // The newest assignment: still open, or expired if it was given long enough ago.
      const step = task;
      const id = idOf("a", assignmentCounter++);
      const [versionId] =
        [...step.versions].reverse().find(([, from]) => from <= t) ?? step.versions[0]!;
      const dueAt = t + dueDays(step) * DAY;
      const expiredAt = dueAt + (2 + random.next() * 3) * DAY;
      const expired = expiredAt < now - HOUR && random.chance(0.85);
      tables.assignment.add(
        id,
        orgId,
        campaign.id,
        step.id,
        versionId,
        person.id,
        expired ? "EXPIRED" : "ASSIGNED",
        ts(t),
        ts(dueAt),
        expired ? ts(expiredAt) : null,
        null,
        previousId,
        ts(t),
        ts(expired ? expiredAt : t),
      );
      if (random.chance(keepMessage)) {
        message(
          person,
          id,
          "TASK_ASSIGNED",
          `task-assigned:${id}`,
          t + 30_000,
          `Your task: ${step.spec.title}`,
          `Your next task: ${step.spec.title}. Open it here: https://onward.example.org/tasks/${id}`,
        );
      }
      if (dueAt - DAY > t + HOUR && random.chance(keepMessage)) {
        message(
          person,
          id,
          "REMINDER",
          `reminder:${id}`,
          dueAt - DAY,
          `Reminder: ${step.spec.title}`,
          `A reminder: "${step.spec.title}" is due tomorrow. Report back at https://onward.example.org/tasks/${id}/report`,
        );
      }
      if ((!expired || expiredAt > dueAt + DAY) && random.chance(keepMessage)) {
        message(
          person,
          id,
          "OVERDUE",
          `overdue:${id}`,
          dueAt + DAY,
          `How did it go?`,
          `How did "${step.spec.title}" go? Tell us at https://onward.example.org/tasks/${id}/report`,
        );
      }
      return expired ? expiredAt : null;
    };

    for (let i = 0; i < volunteers; i++) {
      const person = people[i]!;
      const home = person.home;
      const total = counts[i]!;
      const joins: [number, number, number][] = [[home, total, person.joinedAt]];
      if (random.chance(total > 10 ? 0.4 : 0.12)) {
        const other = (home + random.int(1, CAMPAIGNS.length - 1)) % CAMPAIGNS.length;
        const share = Math.round(total * (0.1 + 0.4 * random.next()));
        joins[0]![1] = total - share;
        const joinedOther =
          person.joinedAt + random.next() * Math.max(0, now - 7 * DAY - person.joinedAt) * 0.3;
        joins.push([other, share, Math.round(joinedOther)]);
      }
      let idleSince: number | null = null;
      for (const [c, reports, startAt] of joins) {
        const ended = chain(person, campaigns[c]!, reports, startAt + 5 * 60_000);
        if (ended !== null) idleSince = Math.max(idleSince ?? 0, ended);
      }
      // "We miss you" after 14 days without a task, at most twice.
      if (idleSince !== null) {
        for (const after of [14, 28]) {
          const at = idleSince + after * DAY;
          if (at < now && random.chance(keepMessage * (after === 14 ? 0.8 : 0.5))) {
            const day = ts(at).slice(0, 10);
            message(
              person,
              null,
              "REENGAGE",
              `reengage:${person.id}:${day}`,
              at,
              "We miss you",
              "It's been a while. Fancy another task? https://onward.example.org/me",
            );
          }
        }
      }
      await maybeFlush();
      if ((i + 1) % 5_000 === 0) {
        progress(
          `${i + 1} of ${volunteers} volunteers' activity: ${reportCounter} reports, ${assignmentCounter} assignments, ${messageCounter} messages`,
        );
      }
    }
    await flush();
    await pipe.drain();
    await secondPipe?.drain();
    log(`activity loaded (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    if (deferred.length) {
      const t0 = performance.now();
      await recreateIndexes([client, second], deferred.splice(0));
      log(`recreated the deferred indexes (${seconds(t0)} s)`);
    }
  } catch (error) {
    await pipe.drain().catch(() => {});
    await secondPipe?.drain().catch(() => {});
    await client.query("ROLLBACK").catch(() => {});
    if (deferred.length) await recreateIndexes([client], deferred).catch(() => {});
    if (secondPipe) await second.end().catch(() => {});
    await client.end().catch(() => {});
    if (error instanceof Error) {
      error.message += " (rows loaded so far stay: drop this database and seed a fresh one)";
    }
    throw error;
  }

  if (secondPipe) await second.end();
  let rollups: SeedScaleResult["rollups"];
  try {
    if (triggersOff) await client.query("SET session_replication_role = DEFAULT");
    const t0 = performance.now();
    if (triggersOff) {
      // Every rollup (ReportDay, CampaignParticipant, NudgeDay, bursts) from the rows, set-based,
      // exactly as the row triggers would have kept them (migration 20261125160000).
      await client.query("SELECT onward_refresh_report_rollups()");
      rollups = "function";
      log(`called onward_refresh_report_rollups() (${seconds(t0)} s)`);
    } else {
      rollups = "triggers";
    }
    const analyzed = performance.now();
    await client.query("ANALYZE");
    log(`ANALYZE (${seconds(analyzed)} s)`);
  } finally {
    await client.end();
  }

  const result: SeedScaleResult = {
    organisationId: idOf("o", 0),
    campaigns: CAMPAIGNS.map((spec, ci) => ({
      id: idOf("p", ci),
      slug: spec.slug,
      title: spec.title,
    })),
    staff: SCALE_STAFF.map(({ email, role }) => ({ email, role })),
    counts: Object.fromEntries(
      Object.entries(tables).map(([name, table]) => [name, table.inserted]),
    ),
    rollups,
    seconds: (performance.now() - started) / 1000,
  };
  return result;
}

// ---------------------------------------------------------------------------------------------

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values: args } = parseArgs({
    options: {
      volunteers: { type: "string", default: "100000" },
      reports: { type: "string", default: "1000000" },
      seed: { type: "string", default: "1" },
      now: { type: "string" },
      "max-messages": { type: "string", default: "1500000" },
      batch: { type: "string", default: "5000" },
      yes: { type: "boolean", default: false },
    },
  });
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    console.error("Set DATABASE_URL to the (migrated) database to fill.");
    process.exit(1);
  }
  try {
    const result = await seedScale({
      connectionString,
      volunteers: Number(args.volunteers),
      reports: Number(args.reports),
      seed: Number(args.seed),
      now: args.now ? new Date(args.now) : undefined,
      maxMessages: Number(args["max-messages"]),
      batchSize: Number(args.batch),
      force: args.yes,
    });
    console.log(`rows: ${JSON.stringify(result.counts)}`);
    console.log(
      `campaigns: ${result.campaigns.map((c) => `${c.title} (${c.id}, /join/${c.slug})`).join("; ")}`,
    );
    console.log(
      `sign in as: ${result.staff.map((s) => `${s.email} (${s.role.toLowerCase()})`).join(", ")}`,
    );
    console.log(`done in ${result.seconds.toFixed(1)} s`);
    process.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
