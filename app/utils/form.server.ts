import { parseWithZod } from "@conform-to/zod/v4";
import type { $ZodType } from "zod/v4/core";

/** No form of ours has lists anywhere near this long (a task has at most 20 questions). */
export const MAX_LIST_INDEX = 100;

/** conform's own fields: JSON that its list buttons (and nothing else) send. */
const CONTROL_FIELDS = ["__intent__", "__state__"];

function badForm() {
  return new Response("We couldn't read that form. Go back, reload the page and try again.", {
    status: 400,
  });
}

/**
 * parseWithZod for a form from the outside world. A body no page of ours sends is refused with a
 * 400 before conform reads it: a file, a NUL character, a list index in the thousands (conform
 * would build that long a list, and the page would try to render it back), conform control
 * fields on a form without list buttons, or ones conform can't parse (it throws on those, which
 * would be a 500).
 */
export function parseForm<Schema extends $ZodType>(
  formData: FormData,
  {
    schema,
    intents = false,
  }: {
    schema: Schema;
    /** The form has conform's list buttons (add, move, remove), which post __intent__. */
    intents?: boolean;
  },
) {
  if (!intents && CONTROL_FIELDS.some((name) => formData.has(name))) throw badForm();
  for (const [name, value] of formData) {
    // A NUL character can't be stored (PostgreSQL text) and no keyboard types one.
    if (typeof value !== "string" || value.includes("\0") || name.includes("\0")) throw badForm();
    for (const [, index] of name.matchAll(/\[(\d+)\]/g)) {
      if (Number(index) > MAX_LIST_INDEX) throw badForm();
    }
  }
  try {
    return parseWithZod(formData, { schema });
  } catch (error) {
    if (CONTROL_FIELDS.some((name) => formData.has(name))) throw badForm();
    throw error;
  }
}
