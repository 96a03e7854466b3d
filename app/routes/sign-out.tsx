import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { endUserSession } from "~/utils/session.server.ts";

export function loader() {
  return redirect("/account");
}

export async function action({ request }: ActionFunctionArgs) {
  const form = await request.formData();
  return endUserSession({ request, everywhere: form.get("everywhere") === "yes" });
}
