import { Writable } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { renderToPipeableStream } from "react-dom/server";
import { compressPage } from "~/utils/compress.server.ts";
import { NonceProvider } from "~/utils/nonce";

export const streamTimeout = 5_000;

/**
 * Renders the whole document, then answers with it in one piece. Onward's pages defer nothing
 * (every loader's data is there before the render starts), so streaming the shell first would
 * only split a page of a few kilobytes into several writes; one buffer is compressed at once
 * (app/utils/compress.server.ts) and sent, and its render is let go of as soon as it is done.
 */
export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce ?? "";

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
        const { body, encoding } = compressPage(
          Buffer.concat(chunks),
          request.headers.get("Accept-Encoding"),
        );
        responseHeaders.set("Content-Type", "text/html; charset=utf-8");
        responseHeaders.append("Vary", "Accept-Encoding");
        if (encoding) responseHeaders.set("Content-Encoding", encoding);
        // With its length known, the page goes out without chunked encoding's closing write.
        responseHeaders.set("Content-Length", String(body.byteLength));
        resolve(
          new Response(body, {
            headers: responseHeaders,
            status: responseStatusCode,
          }),
        );
        callback();
      },
    });
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceProvider>,
      {
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
      },
    );
    const timeout = setTimeout(abort, streamTimeout + 1_000);
  });
}
