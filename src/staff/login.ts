import { normalizePhone } from '../customers/phone.ts';

/** Staff sign in with a mobile number or an e-mail address; both are stored in one normal form. */
export function normalizeLogin(raw: string): string {
  return normalizePhone(raw) ?? raw.trim().toLowerCase();
}
