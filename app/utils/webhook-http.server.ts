/**
 * One HTTP POST of a webhook (ADR 018): no redirects followed (a 3xx is a failure, so an endpoint
 * can't bounce us somewhere else), a time limit on the whole exchange, and only a short excerpt of
 * the receiver's answer kept for the delivery log.
 */

export type PostOutcome =
  { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Characters of the receiver's answer kept for the log. */
const EXCERPT_CHARS = 200;
/** Bytes read from the receiver's answer at most; the rest is never downloaded. */
const EXCERPT_BYTES = 2048;

async function readExcerpt(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done || !value) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // Cut off (the time limit, a reset): what came is enough for the log.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, EXCERPT_BYTES));
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `No answer within ${timeoutMs / 1000} seconds`;
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string }) : null;
  if (cause?.code) return `Could not connect (${cause.code})`;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return `Could not connect: ${message}`.slice(0, 300);
}

export async function postWebhook({
  url,
  headers,
  body,
  timeoutMs,
}: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<PostOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal,
    });
    const { status } = response;
    if (status >= 200 && status < 300) {
      await response.body?.cancel().catch(() => {});
      return { ok: true, status };
    }
    if (status >= 300 && status < 400) {
      await response.body?.cancel().catch(() => {});
      return { ok: false, status, error: `Redirected (HTTP ${status}); we don't follow redirects` };
    }
    const excerpt = await readExcerpt(response);
    return { ok: false, status, error: excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status}` };
  } catch (error) {
    return { ok: false, status: null, error: describeError(error, timeoutMs) };
  }
}
