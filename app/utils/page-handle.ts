/**
 * A route whose `handle` says `volunteerPage: true` is served without React in the browser: no
 * <Scripts/>, no modulepreloads, only the small script from app/enhance/ (docs/decisions/011).
 * Every such page works without JavaScript.
 */
export type PageHandle = { volunteerPage?: boolean };

/** Whether a page made of routes with these handles is a volunteer page (see PageHandle). */
export function isVolunteerPage(handles: Iterable<unknown>) {
  for (const handle of handles)
    if ((handle as PageHandle | undefined)?.volunteerPage === true) return true;
  return false;
}
