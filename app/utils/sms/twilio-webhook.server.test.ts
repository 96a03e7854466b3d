import { describe, expect, it } from "vitest";
import { twilioSignature, twimlResponse } from "~/utils/sms/twilio-webhook.server.ts";

// Twilio's published example (webhooks security docs and every official helper library's tests).
const AUTH_TOKEN = "12345";
const URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
const PARAMS = new URLSearchParams({
  Digits: "1234",
  To: "+18005551212",
  From: "+14158675309",
  Caller: "+14158675309",
  CallSid: "CA1234567890ABCDE",
});

describe("twilioSignature", () => {
  it("reproduces Twilio's documented signature, whatever order the parameters come in", () => {
    expect(twilioSignature({ authToken: AUTH_TOKEN, url: URL, params: PARAMS })).toBe(
      "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    );
  });

  it("changes with the token, the URL or any parameter", () => {
    const signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    expect(twilioSignature({ authToken: "54321", url: URL, params: PARAMS })).not.toBe(signature);
    expect(twilioSignature({ authToken: AUTH_TOKEN, url: `${URL}&x=1`, params: PARAMS })).not.toBe(
      signature,
    );
    const changed = new URLSearchParams(PARAMS);
    changed.set("Digits", "9999");
    expect(twilioSignature({ authToken: AUTH_TOKEN, url: URL, params: changed })).not.toBe(
      signature,
    );
  });
});

describe("twimlResponse", () => {
  it("escapes the reply and keeps it GSM-7", async () => {
    const response = twimlResponse("Tom & Jerry’s <task> – done");
    expect(response.headers.get("Content-Type")).toBe("text/xml; charset=utf-8");
    expect(await response.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Tom &amp; Jerry\'s &lt;task&gt; - done</Message></Response>',
    );
  });

  it("answers with an empty Response when there is nothing to say", async () => {
    expect(await twimlResponse(null).text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    );
  });

  it("never sends a reply longer than three parts", async () => {
    const xml = await twimlResponse("word ".repeat(200)).text();
    const message = /<Message>(.*)<\/Message>/.exec(xml)?.[1] ?? "";
    expect(message.length).toBeLessThanOrEqual(3 * 153);
    expect(message.endsWith("...")).toBe(true);
  });
});
