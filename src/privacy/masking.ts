/**
 * Masked forms of personal fields, for callers without `customer:pii` and for the audit log,
 * which holds personal data only in these forms (so an erasure never has to touch it).
 */
import { openEmail, openPhone } from '../customers/personal.ts';

/** 13812341234 → 138****1234: the counter can still say "尾号 1234". */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}

/** zhang.wei@example.com → z***@example.com */
export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** 张伟 → 张*, 欧阳娜娜 → 欧***: the audit log names a customer no more than this. */
export function maskName(name: string | null | undefined): string | null {
  if (!name) return null;
  const chars = [...name];
  return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1));
}

/**
 * A customer's fields as the audit log keeps them: personal fields masked, free text as its
 * length, everything else as it is.
 */
export function customerForAudit(c: {
  name?: string | null;
  phoneEnc?: string | null;
  emailEnc?: string | null;
  birthdayEnc?: string | null;
  gender?: string | null;
  tags?: string[] | null;
  notes?: string | null;
  homeStoreId?: string | null;
  sourceChannel?: string | null;
}) {
  return {
    name: maskName(c.name),
    phone: maskPhone(openPhone(c.phoneEnc)),
    email: maskEmail(openEmail(c.emailEnc)),
    birthday: c.birthdayEnc ? '****-**-**' : null,
    gender: c.gender ?? null,
    tags: c.tags ?? [],
    notes: c.notes ? `(${[...c.notes].length} characters)` : null,
    homeStoreId: c.homeStoreId ?? null,
    sourceChannel: c.sourceChannel ?? null,
  };
}
