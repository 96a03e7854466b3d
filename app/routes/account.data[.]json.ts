import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportPersonalData } from "~/models/privacy.server.ts";
import { requireUser } from "~/utils/session.server.ts";

/**
 * /account/data.json: "Download your data", for the signed-in person only (anyone else is sent to
 * sign in). A download that no cache or proxy may keep.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const now = new Date();
  const body = JSON.stringify(
    await exportPersonalData({ userId: user.id, now }),
    (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
    2,
  );
  return new Response(body, {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="onward-your-data-${now.toISOString().slice(0, 10)}.json"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
