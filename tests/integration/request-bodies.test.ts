import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./authz-matrix-app.ts";
import { reloadEnv } from "~/utils/env.server.ts";

/**
 * A request the app answers without reading its body (refused by a route before it looks at the
 * body) must not hold up the connection it came on: the rest of the body is read and thrown away,
 * and the next request on the same kept-alive connection is answered.
 */

const SECRET = "inbound-secret-0123456789";
let server: TestServer;

beforeAll(async () => {
  process.env.INBOUND_EMAIL_SECRET = SECRET;
  reloadEnv();
  server = await startTestServer({ trustProxy: true });
});

afterAll(async () => {
  await server.close();
  delete process.env.INBOUND_EMAIL_SECRET;
  reloadEnv();
});

type Answer = { status: number; text: string; reusedSocket: boolean };

function post(agent: http.Agent, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.origin}${path}`,
      {
        method: "POST",
        agent,
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": Buffer.byteLength(body),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text, reusedSocket: request.reusedSocket }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

describe("a body nobody read", () => {
  it("is read to the end, so the next request on the same connection is answered", async () => {
    // One connection, kept alive: the second request can only be answered on the first's socket.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Big enough to fill every buffer between the socket and the route's unread request stream.
      const big = new URLSearchParams({
        to: "unsubscribe+nobody@onward.local",
        notes: "😀".repeat(30_000),
      }).toString();
      for (let round = 0; round < 3; round++) {
        const refused = await post(agent, "/webhooks/email/inbound?key=wrong-secret-000000", big);
        expect(refused.status).toBe(403);
        const next = await post(agent, `/webhooks/email/inbound?key=${SECRET}`, "");
        expect(next).toMatchObject({ status: 200, reusedSocket: true });
        expect(JSON.parse(next.text)).toEqual({ unsubscribed: 0 });
      }
    } finally {
      agent.destroy();
    }
  });
});
