import { describe, expect, it } from "vitest";
import {
  capFreeAt,
  classOf,
  decideContact,
  isOptedOut,
  NUDGE_KINDS,
  quietHoursEnd,
  staleAtFor,
  zonedInstant,
  type ContactInput,
} from "./contact-policy.ts";

const at = (iso: string) => new Date(iso);
const DAY = 24 * 60 * 60 * 1000;

function input(overrides: Partial<ContactInput> = {}): ContactInput {
  return {
    now: at("2026-11-25T12:00:00Z"),
    channel: "EMAIL",
    messageClass: "nudge",
    person: { timezone: "Europe/London" },
    optedOut: false,
    suppressed: null,
    quietHours: { start: "21:00", end: "09:00" },
    sentInWindow: [],
    weeklyCap: 3,
    staleAt: null,
    ...overrides,
  };
}

describe("quiet hours in London in winter (GMT, local = UTC)", () => {
  it.each([
    ["2026-11-25T20:59:00Z", { action: "send" }],
    [
      "2026-11-25T21:00:00Z",
      { action: "hold", until: at("2026-11-26T09:00:00Z"), reason: "quiet hours" },
    ],
    [
      "2026-11-25T23:59:59Z",
      { action: "hold", until: at("2026-11-26T09:00:00Z"), reason: "quiet hours" },
    ],
    [
      "2026-11-26T00:00:00Z",
      { action: "hold", until: at("2026-11-26T09:00:00Z"), reason: "quiet hours" },
    ],
    [
      "2026-11-26T08:59:00Z",
      { action: "hold", until: at("2026-11-26T09:00:00Z"), reason: "quiet hours" },
    ],
    [
      "2026-11-26T08:59:59Z",
      { action: "hold", until: at("2026-11-26T09:00:00Z"), reason: "quiet hours" },
    ],
    ["2026-11-26T09:00:00Z", { action: "send" }],
  ])("at %s local", (now, expected) => {
    expect(decideContact(input({ now: at(now) }))).toEqual(expected);
  });
});

describe("quiet hours in London in summer (BST, local = UTC+1)", () => {
  it.each([
    ["2026-07-01T19:59:00Z", null], // 20:59 local
    ["2026-07-01T20:00:00Z", "2026-07-02T08:00:00Z"], // 21:00 local → 09:00 local
    ["2026-07-02T07:59:00Z", "2026-07-02T08:00:00Z"], // 08:59 local
    ["2026-07-02T08:00:00Z", null], // 09:00 local
  ])("at %s", (now, until) => {
    const decision = decideContact(input({ now: at(now) }));
    expect(decision).toEqual(
      until ? { action: "hold", until: at(until), reason: "quiet hours" } : { action: "send" },
    );
  });
});

describe("quiet hours in a timezone far from London", () => {
  it("Auckland (UTC+13 in November): 20:59 sends, 21:00 holds until 09:00 there", () => {
    const person = { timezone: "Pacific/Auckland" };
    expect(decideContact(input({ person, now: at("2026-11-25T07:59:00Z") }))).toEqual({
      action: "send",
    });
    expect(decideContact(input({ person, now: at("2026-11-25T08:00:00Z") }))).toEqual({
      action: "hold",
      until: at("2026-11-25T20:00:00Z"),
      reason: "quiet hours",
    });
    // 08:59 and 09:00 the next morning there.
    expect(decideContact(input({ person, now: at("2026-11-25T19:59:00Z") }))).toMatchObject({
      action: "hold",
      until: at("2026-11-25T20:00:00Z"),
    });
    expect(decideContact(input({ person, now: at("2026-11-25T20:00:00Z") }))).toEqual({
      action: "send",
    });
  });

  it("Los Angeles (UTC-8): noon in London is 04:00 there, held until 09:00 there", () => {
    expect(
      decideContact(
        input({ person: { timezone: "America/Los_Angeles" }, now: at("2026-11-25T12:00:00Z") }),
      ),
    ).toEqual({ action: "hold", until: at("2026-11-25T17:00:00Z"), reason: "quiet hours" });
  });

  it("an unknown or missing timezone falls back to London", () => {
    for (const timezone of ["Mars/Olympus_Mons", "", null]) {
      expect(
        decideContact(input({ person: { timezone }, now: at("2026-11-25T21:30:00Z") })),
      ).toMatchObject({ action: "hold", until: at("2026-11-26T09:00:00Z") });
    }
  });
});

describe("quiet hours across a daylight-saving change", () => {
  it("spring forward (London, 29 March 2026): held at 23:30 GMT until 09:00 BST", () => {
    expect(decideContact(input({ now: at("2026-03-28T23:30:00Z") }))).toEqual({
      action: "hold",
      until: at("2026-03-29T08:00:00Z"),
      reason: "quiet hours",
    });
    // 08:59 BST on the day itself is still quiet; 09:00 BST is not.
    expect(decideContact(input({ now: at("2026-03-29T07:59:00Z") }))).toMatchObject({
      action: "hold",
      until: at("2026-03-29T08:00:00Z"),
    });
    expect(decideContact(input({ now: at("2026-03-29T08:00:00Z") }))).toEqual({
      action: "send",
    });
  });

  it("fall back (London, 25 October 2026): held at 23:00 BST until 09:00 GMT", () => {
    expect(decideContact(input({ now: at("2026-10-24T22:00:00Z") }))).toEqual({
      action: "hold",
      until: at("2026-10-25T09:00:00Z"),
      reason: "quiet hours",
    });
    // 21:00 BST the evening before the change starts the window (20:00 UTC).
    expect(decideContact(input({ now: at("2026-10-24T19:59:00Z") }))).toEqual({
      action: "send",
    });
    expect(decideContact(input({ now: at("2026-10-24T20:00:00Z") }))).toMatchObject({
      action: "hold",
    });
  });

  it("an end time skipped by the spring change resolves to just after the gap", () => {
    const until = quietHoursEnd({
      at: at("2026-03-29T00:45:00Z"), // 00:45 GMT
      timeZone: "Europe/London",
      quietHours: { start: "23:00", end: "01:30" },
    });
    expect(until).toEqual(at("2026-03-29T01:30:00Z")); // 02:30 BST
  });

  it("a US change (New York, 8 March 2026) is handled the same way", () => {
    expect(
      decideContact(
        input({ person: { timezone: "America/New_York" }, now: at("2026-03-08T04:00:00Z") }),
      ),
    ).toEqual({
      // 23:00 EST on the 7th → 09:00 EDT on the 8th
      action: "hold",
      until: at("2026-03-08T13:00:00Z"),
      reason: "quiet hours",
    });
  });

  it("zonedInstant finds the instant of a local time on both sides of a change", () => {
    expect(
      zonedInstant({ year: 2026, month: 3, day: 28, minutes: 9 * 60 }, "Europe/London"),
    ).toEqual(at("2026-03-28T09:00:00Z"));
    expect(
      zonedInstant({ year: 2026, month: 3, day: 29, minutes: 9 * 60 }, "Europe/London"),
    ).toEqual(at("2026-03-29T08:00:00Z"));
  });
});

describe("organisation-configured quiet hours", () => {
  it("a window that does not cross midnight", () => {
    const quietHours = { start: "12:00", end: "14:00" };
    expect(decideContact(input({ quietHours, now: at("2026-11-25T11:59:00Z") }))).toEqual({
      action: "send",
    });
    expect(decideContact(input({ quietHours, now: at("2026-11-25T13:00:00Z") }))).toEqual({
      action: "hold",
      until: at("2026-11-25T14:00:00Z"),
      reason: "quiet hours",
    });
    expect(decideContact(input({ quietHours, now: at("2026-11-25T14:00:00Z") }))).toEqual({
      action: "send",
    });
  });

  it("start = end, or a malformed time, means no quiet hours", () => {
    for (const quietHours of [
      { start: "00:00", end: "00:00" },
      { start: "9pm", end: "09:00" },
    ]) {
      expect(decideContact(input({ quietHours, now: at("2026-11-25T23:00:00Z") }))).toEqual({
        action: "send",
      });
    }
  });

  it("a later start (22:30–07:15)", () => {
    const quietHours = { start: "22:30", end: "07:15" };
    expect(decideContact(input({ quietHours, now: at("2026-11-25T22:29:00Z") }))).toEqual({
      action: "send",
    });
    expect(decideContact(input({ quietHours, now: at("2026-11-25T22:30:00Z") }))).toMatchObject({
      action: "hold",
      until: at("2026-11-26T07:15:00Z"),
    });
  });
});

describe("the weekly cap", () => {
  const now = at("2026-11-25T12:00:00Z");
  const sent = [at("2026-11-19T10:00:00Z"), at("2026-11-21T10:00:00Z"), at("2026-11-24T18:00:00Z")];

  it("the 3rd nudge in 7 days goes; the 4th is held until the oldest leaves the window", () => {
    expect(decideContact(input({ now, sentInWindow: sent.slice(0, 2) }))).toEqual({
      action: "send",
    });
    expect(decideContact(input({ now, sentInWindow: sent }))).toEqual({
      action: "hold",
      until: at("2026-11-26T10:00:00Z"),
      reason: "weekly limit reached",
    });
  });

  it("an organiser's reply is outside the cap, but waits out quiet hours and respects an opt-out", () => {
    const reply = { messageClass: "reply" as const, sentInWindow: sent, weeklyCap: 0 };
    expect(decideContact(input({ now, ...reply }))).toEqual({ action: "send" });
    expect(decideContact(input({ now: at("2026-11-25T22:00:00Z"), ...reply }))).toEqual({
      action: "hold",
      until: at("2026-11-26T09:00:00Z"),
      reason: "quiet hours",
    });
    expect(decideContact(input({ now, ...reply, optedOut: true }))).toEqual({
      action: "suppress",
      reason: "opted out",
    });
    expect(classOf("FEEDBACK_REPLY")).toBe("reply");
    expect(NUDGE_KINDS).not.toContain("FEEDBACK_REPLY");
  });

  it("counts only the 7 days before now", () => {
    const old = [at("2026-11-18T11:59:59Z"), at("2026-11-18T12:00:00Z"), ...sent.slice(1)];
    expect(decideContact(input({ now, sentInWindow: old }))).toEqual({ action: "send" });
  });

  it("with more sent than the cap (the cap was lowered), waits for enough to leave", () => {
    expect(capFreeAt({ now, sentInWindow: sent, weeklyCap: 2 })).toEqual(
      at("2026-11-28T10:00:00Z"),
    );
    expect(capFreeAt({ now, sentInWindow: sent, weeklyCap: 4 })).toBeNull();
  });

  it("a cap of 0 suppresses every nudge", () => {
    expect(decideContact(input({ now, weeklyCap: 0 }))).toEqual({
      action: "suppress",
      reason: "weekly limit reached",
    });
  });

  it("a slot that frees up in quiet hours is pushed to the morning", () => {
    const evening = [at("2026-11-18T22:00:00Z"), ...sent.slice(1)];
    expect(decideContact(input({ now, sentInWindow: evening }))).toEqual({
      action: "hold",
      until: at("2026-11-26T09:00:00Z"),
      reason: "weekly limit reached",
    });
  });

  it("a reminder that could only go after its task is due is suppressed instead", () => {
    expect(
      decideContact(input({ now, sentInWindow: sent, staleAt: at("2026-11-26T09:00:00Z") })),
    ).toEqual({ action: "suppress", reason: "weekly limit reached" });
    // …but held when the slot frees up first.
    expect(
      decideContact(input({ now, sentInWindow: sent, staleAt: at("2026-11-27T09:00:00Z") })),
    ).toMatchObject({ action: "hold", until: at("2026-11-26T10:00:00Z") });
  });

  it("a message already out of date is suppressed", () => {
    expect(decideContact(input({ now, staleAt: now }))).toEqual({
      action: "suppress",
      reason: "out of date",
    });
  });

  it("a message held by quiet hours past its stale time is suppressed", () => {
    expect(
      decideContact(
        input({ now: at("2026-11-25T22:00:00Z"), staleAt: at("2026-11-26T06:00:00Z") }),
      ),
    ).toEqual({
      action: "suppress",
      reason: "quiet hours, and it would be out of date by the morning",
    });
  });
});

describe("opt-outs and suppressions", () => {
  it("opted out of the channel suppresses, whatever the time", () => {
    expect(decideContact(input({ optedOut: true }))).toEqual({
      action: "suppress",
      reason: "opted out",
    });
    expect(decideContact(input({ optedOut: true, now: at("2026-11-25T23:00:00Z") }))).toMatchObject(
      { action: "suppress" },
    );
  });

  it.each([
    ["BOUNCE", "address bounced"],
    ["COMPLAINT", "marked as spam"],
    ["SMS_STOP", "replied STOP"],
    ["UNSUBSCRIBED", "unsubscribed"],
    ["ACCOUNT_DELETED", "account deleted"],
  ])("an active %s suppression suppresses with its reason", (reason, words) => {
    expect(decideContact(input({ suppressed: { reason } }))).toEqual({
      action: "suppress",
      reason: words,
    });
  });

  it("the consent log: a grant is needed for nudges; service mail only needs no withdrawal", () => {
    expect(isOptedOut({ newestConsent: { granted: true }, messageClass: "nudge" })).toBe(false);
    expect(isOptedOut({ newestConsent: { granted: false }, messageClass: "nudge" })).toBe(true);
    expect(isOptedOut({ newestConsent: null, messageClass: "nudge" })).toBe(true);
    expect(isOptedOut({ newestConsent: null, messageClass: "service" })).toBe(false);
    expect(isOptedOut({ newestConsent: { granted: false }, messageClass: "service" })).toBe(true);
    expect(isOptedOut({ newestConsent: null, messageClass: "transactional" })).toBe(false);
  });
});

describe("transactional and service messages", () => {
  const busy = {
    now: at("2026-11-25T23:00:00Z"),
    sentInWindow: [
      at("2026-11-24T10:00:00Z"),
      at("2026-11-24T11:00:00Z"),
      at("2026-11-24T12:00:00Z"),
    ],
  };

  it("a sign-in message ignores quiet hours and the cap, and an unsubscribe from nudges", () => {
    expect(decideContact(input({ ...busy, messageClass: "transactional" }))).toEqual({
      action: "send",
    });
    expect(
      decideContact(
        input({ ...busy, messageClass: "transactional", suppressed: { reason: "UNSUBSCRIBED" } }),
      ),
    ).toEqual({ action: "send" });
  });

  it("…but not a STOP, a bounce or a deleted account", () => {
    for (const reason of ["SMS_STOP", "BOUNCE", "ACCOUNT_DELETED"]) {
      expect(
        decideContact(input({ ...busy, messageClass: "transactional", suppressed: { reason } })),
      ).toMatchObject({ action: "suppress" });
    }
  });

  it("the organiser digest ignores quiet hours and the cap but not an opt-out", () => {
    expect(decideContact(input({ ...busy, messageClass: "service" }))).toEqual({ action: "send" });
    expect(
      decideContact(input({ ...busy, messageClass: "service", optedOut: true })),
    ).toMatchObject({
      action: "suppress",
    });
  });
});

describe("staleness per kind", () => {
  const createdAt = at("2026-11-25T12:00:00Z");
  const dueAt = at("2026-11-27T12:00:00Z");
  it.each([
    ["TASK_ASSIGNED", null],
    ["THANKS_NEXT", null],
    ["LADDER_COMPLETE", null],
    ["REMINDER", dueAt],
    ["OVERDUE", new Date(createdAt.getTime() + 2 * DAY)],
    ["REENGAGE", new Date(createdAt.getTime() + DAY)],
    ["SOMETHING_NEW", null],
  ])("%s", (kind, expected) => {
    expect(staleAtFor(kind, { createdAt, dueAt })).toEqual(expected);
  });
});
