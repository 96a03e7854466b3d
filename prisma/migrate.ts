import { MigrationError } from "./migrator.ts";
import { prepareDatabase, StartupError } from "../app/server/prepare.ts";
import { EnvError } from "../app/utils/env.server.ts";

// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
try {
  const { stop } = await prepareDatabase({ log: (line) => console.log(line) });
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
