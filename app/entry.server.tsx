import type { NonSharedBuffer } from "node:buffer";
import { Writable } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { renderToPipeableStream, renderToString } from "react-dom/server";
import { compressPage } from "~/utils/compress.server.ts";
import { NonceProvider } from "~/utils/nonce";
import { isVolunteerPage } from "~/utils/page-handle";

export const streamTimeout = 5_000;

/**
 * Renders the whole document, then answers with it in one piece. Onward's pages defer nothing
 * (every loader's data is there before the render starts), so streaming the shell first would
 * only split a page of a few kilobytes into several writes; one buffer is compressed at once
 * (app/utils/compress.server.ts) and sent, and its render is let go of as soon as it is done.
 *
 * A volunteer page has no React scripts (app/root.tsx), so nothing in it waits: it is rendered
 * to a string in one call, which costs the server less than the stream. Every other page keeps
 * the stream, because Remix sends the data React starts from in a part that renders later
 * (`renderToString` would leave that part out, and React in the browser would have no data).
 */
export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce ?? "";
  const tree = (
    <NonceProvider value={nonce}>
      <RemixServer context={remixContext} url={request.url} nonce={nonce} />
    </NonceProvider>
  );
  const answer = (html: NonSharedBuffer) => {
    const { body, encoding } = compressPage(html, request.headers.get("Accept-Encoding"));
    responseHeaders.set("Content-Type", "text/html; charset=utf-8");
    responseHeaders.append("Vary", "Accept-Encoding");
    if (encoding) responseHeaders.set("Content-Encoding", encoding);
    // With its length known, the page goes out without chunked encoding's closing write.
    responseHeaders.set("Content-Length", String(body.byteLength));
    return new Response(body, { headers: responseHeaders, status: responseStatusCode });
  };

  const { matches } = remixContext.staticHandlerContext;
  if (isVolunteerPage(matches.map((match) => remixContext.routeModules[match.route.id]?.handle))) {
    // A render that throws is answered by Remix with the error boundary, as a failed stream is.
    return Promise.resolve(answer(Buffer.from(`<!DOCTYPE html>${renderToString(tree)}`)));
  }

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const chunks: Buffer[] = [];
    const page = new Writable({
      // React aborts the render when its destination closes; this one never closes early, and
      // a close after the end would only have React end it a second time.
      emitClose: false,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
      final(callback) {
        clearTimeout(timeout);
        resolve(answer(Buffer.concat(chunks)));
        callback();
      },
    });
    const { pipe, abort } = renderToPipeableStream(tree, {
      nonce,
      onShellReady() {
        shellRendered = true;
      },
      onAllReady() {
        pipe(page);
      },
      onShellError(error: unknown) {
        clearTimeout(timeout);
        reject(error);
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        if (shellRendered) console.error(error);
      },
    });
    const timeout = setTimeout(abort, streamTimeout + 1_000);
  });
}
