import { randomFillSync } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { constants as zlibConstants } from "node:zlib";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import helmet from "helmet";
import { BROTLI_QUALITY, COMPRESS_FROM_BYTES } from "../utils/compress.server.ts";

/**
 * The HTTP side of Onward: security headers, static files and the Remix request handler.
 * Kept apart from start-up so tests can build the same app.
 */
export function createApp({
  build,
  publicDir,
  trustProxy,
  appUrl,
}: {
  build: ServerBuild;
  publicDir: string;
  trustProxy: boolean;
  appUrl: string;
}) {
  const app = express();
  app.disable("x-powered-by");
  if (trustProxy) app.set("trust proxy", 1);
  const appOrigin = new URL(appUrl).origin;

  app.use(
    compression({
      threshold: COMPRESS_FROM_BYTES,
      brotli: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
    }),
  );

  // PostgreSQL text can't hold a NUL character. An address with one is only ever a probe, and
  // would otherwise reach a query as a route param and fail there, as a 500.
  app.use((req, res, next) => {
    if (!req.originalUrl.includes("%00") && !req.originalUrl.includes("\0")) return next();
    res.status(400).type("text/plain").send("That address isn't right. Check it and try again.");
  });

  app.use((req, res, next) => {
    res.locals.cspNonce = nextNonce();
    // Our own header, overwritten on every request, carries the client's address to the app.
    req.headers["x-onward-client-ip"] = req.ip ?? "";
    next();
  });

  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": [
          "'self'",
          (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce}'`,
        ],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
      },
    },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "strict-origin-when-cross-origin" },
  });
  // The development outbox shows an email's HTML as a mail client would (inline styles, no
  // scripts); that route sets its own stricter policy, which the site-wide one would override.
  const EMAIL_PREVIEW = /^\/dev\/outbox\/(templates\/)?[^/]+\/html$/;
  app.use((req, res, next) => {
    if (EMAIL_PREVIEW.test(req.path)) {
      res.setHeader("X-Content-Type-Options", "nosniff");
      // The same policy the route sets, so its "not found" page is covered too.
      res.setHeader(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
      );
      return next();
    }
    return securityHeaders(req, res, next);
  });

  // HSTS only means something over TLS; behind a proxy, TRUST_PROXY lets req.secure see it.
  app.use((req, res, next) => {
    if (req.secure)
      res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    next();
  });

  // A form posted from another site is refused: SameSite cookies plus this Origin check. Browsers
  // send Origin (or at least Referer) with every POST, so a POST with neither is refused too: it
  // may be a cross-site form from a browser or page that hides where it came from.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    if (req.path.startsWith("/webhooks/")) return next();
    // RFC 8058 one-click unsubscribe: a mail provider (or a webmail page, with its own Origin)
    // posts with no cookies, and the signed token in the path is the authority. Remix would refuse
    // a foreign Origin itself, so it is handed on as X-Onward-Origin, which the route checks before
    // turning messages back on.
    if (req.path.startsWith("/unsubscribe/")) {
      req.headers["x-onward-origin"] = req.get("origin") ?? refererOrigin(req.get("referer")) ?? "";
      delete req.headers.origin;
      return next();
    }
    const origin = req.get("origin") ?? refererOrigin(req.get("referer"));
    const own = `${req.protocol}://${req.get("host")}`;
    if (!origin) {
      res
        .status(403)
        .type("text/plain")
        .send(
          "We couldn't tell which website this form came from, so we did not accept it. Go back, reload the page and try again.",
        );
      return;
    }
    if (origin !== own && origin !== appOrigin) {
      res
        .status(403)
        .type("text/plain")
        .send("This form was sent from another website, so we did not accept it.");
      return;
    }
    // Accepted. Remix would compare Origin with Host once more, and refuse the public address
    // (APP_URL) when a proxy passes on its own Host: this check is the one that counts.
    delete req.headers.origin;
    next();
  });

  // A request answered without its body being read (refused as too big, forbidden, ...) has the
  // rest of its body read and thrown away, so the sender finishes its upload and reads our answer
  // instead of waiting on a connection nobody reads; past a bound the connection is cut.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    res.on("finish", () => {
      if (req.complete) return;
      // Whatever was reading the body (Remix's request stream, which nobody will read now) pauses
      // the socket whenever its buffer is full, which would stall the next request on a kept-alive
      // connection behind this one's unread bytes: take the body over and read it to nowhere.
      req.removeAllListeners("data");
      req.removeAllListeners("readable");
      let discarded = 0;
      req.on("data", (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > DISCARD_LIMIT) req.socket.destroy();
      });
      req.resume();
    });
    next();
  });

  // Onward's forms post as application/x-www-form-urlencoded (browsers, Remix's <Form> and the
  // offline queue alike; nothing uploads files). Anything else would make the action's
  // request.formData() throw, so it is refused here with a message instead of a 500. Webhooks and
  // one-click unsubscribe (RFC 8058 allows multipart) read their bodies themselves.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    if (req.path.startsWith("/webhooks/") || req.path.startsWith("/unsubscribe/")) return next();
    const type = (req.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded") {
      res
        .status(400)
        .type("text/plain")
        .send("We couldn't read that form. Go back, reload the page and try again.");
      return;
    }
    // The biggest form (a task with twenty questions) is a few tens of KB. A body declared
    // bigger, or streamed without saying how big, is refused before it is read.
    const length = Number(req.get("content-length") ?? NaN);
    if (Number.isFinite(length) && length <= FORM_BODY_LIMIT) return next();
    res
      .status(Number.isFinite(length) ? 413 : 411)
      .set("Connection", "close")
      .type("text/plain")
      .send(
        Number.isFinite(length)
          ? "That form is too big for us to take. Shorten what you wrote, then try again from the page."
          : "We couldn't read that form. Go back, reload the page and try again.",
      );
  });

  // The service worker (built by scripts/build-sw.mjs) is served from the root so that it may
  // answer for every page, and never from the HTTP cache, so a new version is seen on the next visit.
  app.get("/sw.js", (_req, res, next) => {
    res.sendFile(
      path.join(publicDir, "build", "sw.js"),
      { cacheControl: false, headers: { "Cache-Control": "no-cache" } },
      (error) => {
        if (error && !res.headersSent) next();
      },
    );
  });
  app.use(
    "/build",
    express.static(path.join(publicDir, "build"), { immutable: true, maxAge: "1y", index: false }),
  );
  // The other public files (icons, manifest, favicon) by their first path segment, so a page's
  // request doesn't look for a file first: the names are read once, at start-up.
  const publicNames = new Set(
    (existsSync(publicDir) ? readdirSync(publicDir) : []).filter((name) => name !== "build"),
  );
  const publicFiles = express.static(publicDir, { maxAge: "1h", index: false });
  app.use((req, res, next) => {
    const first = req.path.split("/")[1] ?? "";
    if (publicNames.has(first)) publicFiles(req, res, next);
    else next();
  });

  app.all(
    "*",
    createRequestHandler({
      build,
      getLoadContext: (_req, res) => ({ cspNonce: res.locals.cspNonce as string }),
    }),
  );
  return app;
}

/**
 * A fresh 16-byte CSP nonce from the system's random source, taken from a pool filled 4 KB at a
 * time: one system call per 256 requests instead of one per request.
 */
const NONCE_BYTES = 16;
const noncePool = Buffer.alloc(4096);
let nonceOffset = noncePool.length;
function nextNonce() {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool);
    nonceOffset = 0;
  }
  const nonce = noncePool.toString("base64", nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/** The largest form body a page may post (bytes). */
export const FORM_BODY_LIMIT = 256 * 1024;

/** How much of a refused body is read and thrown away before the connection is cut (bytes). */
const DISCARD_LIMIT = 8 * 1024 * 1024;

function refererOrigin(referer: string | undefined) {
  if (!referer) return null;
  try {
    return new URL(referer).origin;
  } catch {
    return null;
  }
}
