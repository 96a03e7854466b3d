import { createCookie } from "@remix-run/node";
import { getEnv, getSessionSecret } from "~/utils/env.server.ts";

let pending: ReturnType<typeof createCookie> | undefined;

/** Remembers, for the code page, which number a code was just sent to (signed, short-lived). */
export function pendingPhoneCookie() {
  pending ??= createCookie("onward_sign_in_phone", {
    httpOnly: true,
    sameSite: "lax",
    secure: getEnv().APP_URL.startsWith("https:"),
    path: "/sign-in",
    maxAge: 15 * 60,
    secrets: [getSessionSecret()],
  });
  return pending;
}
