import { db } from "~/utils/db.server.ts";

export function findUserByEmail({ email }: { email: string }) {
  return db.user.findFirst({
    select: { id: true, name: true, email: true, phone: true },
    where: { email, deletedAt: null },
  });
}

export function findUserByPhone({ phone }: { phone: string }) {
  return db.user.findFirst({
    select: { id: true, name: true, email: true, phone: true },
    where: { phone, deletedAt: null },
  });
}

export function getUserProfile({ userId }: { userId: string }) {
  return db.user.findUniqueOrThrow({
    select: {
      id: true,
      name: true,
      email: true,
      phone: true,
      postcode: true,
      channelPreference: true,
      memberships: {
        select: { role: true, organisation: { select: { id: true, name: true } } },
        orderBy: { createdAt: "asc" },
      },
    },
    where: { id: userId },
  });
}
