import { getCurrentUserAndAssignment, toSignIn } from "~/utils/session.server.ts";

/**
 * The signed-in volunteer's own assignment; anyone else's is "not found". Read with the session in
 * one statement (getCurrentUserAndAssignment).
 */
export async function requireOwnAssignment(request: Request, assignmentId: string | undefined) {
  const { user, assignment } = await getCurrentUserAndAssignment(request, assignmentId ?? "");
  if (!user) throw toSignIn(request);
  if (!assignment) throw new Response("Not found", { status: 404 });
  return { user, assignment };
}
