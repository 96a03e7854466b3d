import { isDatabaseUp } from "~/utils/db.server.ts";

export async function loader() {
  const up = await isDatabaseUp();
  return new Response(JSON.stringify(up ? { ok: true, db: "up" } : { ok: false, db: "down" }), {
    status: up ? 200 : 503,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}
