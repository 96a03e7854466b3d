import { getVolunteerAssignment } from "~/models/assignment.server.ts";
import { requireUser } from "~/utils/session.server.ts";

/** The signed-in volunteer's own assignment; anyone else's is "not found". */
export async function requireOwnAssignment(request: Request, assignmentId: string | undefined) {
  const user = await requireUser(request);
  const assignment = await getVolunteerAssignment({
    assignmentId: assignmentId ?? "",
    userId: user.id,
  });
  if (!assignment) throw new Response("Not found", { status: 404 });
  return { user, assignment };
}
