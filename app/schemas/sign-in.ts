import { z } from "zod";
import { identifierSchema } from "./contact.ts";

export const SignInSchema = z.object({
  identifier: identifierSchema,
  redirectTo: z.string().max(500).optional(),
});

export const CodeSchema = z.object({
  code: z
    .string({ message: "Enter the 6-digit code from the text message" })
    .trim()
    .transform((value) => value.replace(/\s+/g, ""))
    .pipe(z.string().regex(/^\d{6}$/, { message: "The code is 6 digits, like 123456" })),
});
