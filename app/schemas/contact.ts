import { parsePhoneNumberFromString } from "libphonenumber-js/mobile";
import { z } from "zod";

/** Normalises a UK (or +-prefixed international) mobile number to E.164, or null if it isn't one. */
export function normalisePhone(input: string): string | null {
  const phone = parsePhoneNumberFromString(input.trim(), "GB");
  if (!phone?.isValid()) return null;
  const type = phone.getType();
  if (type !== undefined && type !== "MOBILE" && type !== "FIXED_LINE_OR_MOBILE") return null;
  return phone.number;
}

export const emailSchema = z
  .string({ message: "Enter your email address" })
  .trim()
  .max(254, { message: "That email address is too long" })
  .toLowerCase()
  .pipe(z.email({ message: "Enter an email address like name@example.com" }));

export const phoneSchema = z
  .string({ message: "Enter your mobile number" })
  .trim()
  .max(30, { message: "That number is too long" })
  .transform((value, ctx) => {
    const phone = normalisePhone(value);
    if (!phone) {
      ctx.addIssue({ code: "custom", message: "Enter a UK mobile number like 07911 123456" });
      return z.NEVER;
    }
    return phone;
  });

export type Identifier = { channel: "EMAIL"; email: string } | { channel: "SMS"; phone: string };

/** One box that takes either an email address or a mobile number. */
export const identifierSchema = z
  .string({ message: "Enter your email address or mobile number" })
  .trim()
  .min(1, { message: "Enter your email address or mobile number" })
  .max(254, { message: "That is too long to be an email address or mobile number" })
  .transform((value, ctx): Identifier => {
    if (value.includes("@")) {
      const email = emailSchema.safeParse(value);
      if (email.success) return { channel: "EMAIL", email: email.data };
      ctx.addIssue({ code: "custom", message: "Enter an email address like name@example.com" });
      return z.NEVER;
    }
    const phone = normalisePhone(value);
    if (phone) return { channel: "SMS", phone };
    ctx.addIssue({
      code: "custom",
      message:
        "Enter an email address like name@example.com, or a UK mobile number like 07911 123456",
    });
    return z.NEVER;
  });
