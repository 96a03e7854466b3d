import { createHash } from "node:crypto";
import { Prisma } from "~/generated/prisma/client.ts";

const PREPARED_MARK = "/* prepared */";

/**
 * Put first in a raw statement run on every report or page (`${PREPARED} SELECT …`): it is then
 * prepared once per connection and PostgreSQL plans it once, not on every run. An unnamed
 * statement is parsed and planned each time, which for the loop's read cost more than running it.
 * Only for statements whose text has a fixed shape (values as parameters), since each shape stays
 * prepared on every connection for the connection's life.
 */
export const PREPARED = Prisma.raw(`${PREPARED_MARK} `);

const preparedNames = new Map<string, string>();

/** The statement's name on the connection, for marked statements (the rest stay unnamed). */
export function preparedName(sql: string): string | undefined {
  if (!sql.startsWith(PREPARED_MARK)) return undefined;
  let name = preparedNames.get(sql);
  if (!name) {
    name = `onward-${createHash("sha1").update(sql).digest("hex").slice(0, 20)}`;
    preparedNames.set(sql, name);
  }
  return name;
}
