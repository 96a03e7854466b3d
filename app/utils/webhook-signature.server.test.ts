import { describe, expect, it } from "vitest";
import {
  computeSignature,
  maskSecret,
  newWebhookSecret,
  parseSignatureHeader,
  signatureHeader,
  verifyWebhookSignature,
} from "./webhook-signature.server.ts";

const BODY = '{"id":"evt_1","type":"ping"}';
const AT = 1_700_000_000;
// Worked out independently (Python's hmac module) so the test doesn't check the code against itself.
const KNOWN = "45abb3712e703a38ae8d46282ef5e6c9363b7a4cf4fe6b724c19d08a666739d3";
const KNOWN_OLD = "c85ace7651c98070cdf1a41664c68ebc94f6ea4a5413a569964c8b9caf496ba2";
const at = (seconds: number) => new Date(seconds * 1000);

describe("signing", () => {
  it("is HMAC-SHA256 of '<t>.<body>' in hex", () => {
    expect(computeSignature({ secret: "whsec_test-secret", timestamp: AT, body: BODY })).toBe(
      KNOWN,
    );
  });

  it("puts the timestamp first and one v1 per secret", () => {
    expect(
      signatureHeader({ secrets: ["whsec_test-secret", "whsec_old"], timestamp: AT, body: BODY }),
    ).toBe(`t=${AT},v1=${KNOWN},v1=${KNOWN_OLD}`);
    expect(() => signatureHeader({ secrets: [], timestamp: AT, body: BODY })).toThrow();
  });

  it("makes long random secrets and masks all but the end", () => {
    const one = newWebhookSecret();
    expect(one).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(one);
    expect(maskSecret(one)).toBe(`whsec_••••••••${one.slice(-4)}`);
    expect(maskSecret(one)).not.toContain(one.slice(6, 30));
  });
});

describe("reading the header", () => {
  it("takes t and every v1, and ignores other schemes and junk", () => {
    expect(parseSignatureHeader(`t=${AT}, v1=${KNOWN},v0=abc,x,v1=${KNOWN_OLD}`)).toEqual({
      timestamp: AT,
      signatures: [KNOWN, KNOWN_OLD],
    });
  });

  it.each([
    ["", "empty"],
    [`v1=${KNOWN}`, "no timestamp"],
    [`t=${AT}`, "no signature"],
    [`t=soon,v1=${KNOWN}`, "a timestamp that isn't a number"],
    [`t=${AT},v1=${KNOWN.slice(1)}`, "a signature of the wrong length"],
    [`t=${AT},v1=${KNOWN.toUpperCase()}`, "upper-case hex"],
  ])("refuses %j (%s)", (header) => {
    expect(parseSignatureHeader(header)).toBeNull();
  });
});

describe("verifying, as a receiver does", () => {
  const header = `t=${AT},v1=${KNOWN}`;

  it("accepts the right secret within five minutes either way", () => {
    for (const now of [AT, AT + 300, AT - 300]) {
      expect(
        verifyWebhookSignature({ secret: "whsec_test-secret", header, body: BODY, now: at(now) }),
      ).toEqual({ ok: true, timestamp: AT });
    }
  });

  it("accepts a header signed with the old and the new secret, under either", () => {
    const both = signatureHeader({
      secrets: ["whsec_new", "whsec_old"],
      timestamp: AT,
      body: BODY,
    });
    for (const secret of ["whsec_new", "whsec_old"]) {
      expect(verifyWebhookSignature({ secret, header: both, body: BODY, now: at(AT) }).ok).toBe(
        true,
      );
    }
  });

  it("refuses an old or future timestamp, a changed body, a wrong secret and no header", () => {
    const check = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({
        secret: "whsec_test-secret",
        header,
        body: BODY,
        now: at(AT),
        ...over,
      });
    expect(check({ now: at(AT + 301) })).toEqual({ ok: false, reason: "outside-tolerance" });
    expect(check({ now: at(AT - 301) })).toEqual({ ok: false, reason: "outside-tolerance" });
    expect(check({ body: BODY.replace("ping", "pong") })).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(check({ secret: "whsec_other" })).toEqual({ ok: false, reason: "mismatch" });
    expect(check({ header: null })).toEqual({ ok: false, reason: "malformed" });
    // The signature covers the timestamp: moving it breaks the signature.
    expect(check({ header: `t=${AT + 1},v1=${KNOWN}`, now: at(AT + 1) })).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });
});
