import type { NonSharedBuffer } from "node:buffer";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import Negotiator from "negotiator";

const ENCODINGS = ["br", "gzip"];
type WithPreference = (available: string[], preferred: string[]) => string | undefined;

/** Below this size a response goes as it is: the encoding would save less than it costs. */
export const COMPRESS_FROM_BYTES = 1024;

/** Brotli's quality for responses: 4 of 11, quick and still well under half a page's size. */
export const BROTLI_QUALITY = 4;

/**
 * A whole page, compressed in one go for the browser that asked for it: Brotli where accepted,
 * else gzip, else as it is (the same choice and settings as the compression middleware in
 * app/server/app.ts, which handles every other response).
 * A page is a few kilobytes, so doing it at once costs less than the middleware's stream through
 * the thread pool; the middleware leaves a response that already has its encoding alone.
 */
export function compressPage(
  html: NonSharedBuffer,
  acceptEncoding: string | null,
): { body: NonSharedBuffer; encoding: "br" | "gzip" | null } {
  if (html.byteLength < COMPRESS_FROM_BYTES || !acceptEncoding)
    return { body: html, encoding: null };
  const negotiator = new Negotiator({ headers: { "accept-encoding": acceptEncoding } });
  // Of what the browser accepts as much, ours first (Brotli): negotiator 0.6.4 takes that order
  // as a second argument, which its type definitions don't list yet.
  const encoding = (negotiator.encoding as WithPreference).call(negotiator, ENCODINGS, ENCODINGS);
  if (encoding === "br") {
    const body = brotliCompressSync(html, {
      params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY },
    });
    return { body, encoding };
  }
  if (encoding === "gzip") return { body: gzipSync(html), encoding };
  return { body: html, encoding: null };
}
