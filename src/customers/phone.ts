import { InvalidInputError } from '../errors/index.ts';

// Mainland China mobile numbers: 11 digits starting 13–19. Callers send them with +86, 0086,
// spaces or dashes; we keep the 11 digits.
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

export function normalizePhone(raw: string): string | null {
  let digits = raw.replace(/[\s\-()（）]/g, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  else if (digits.startsWith('0086')) digits = digits.slice(4);
  return MAINLAND_MOBILE.test(digits) ? digits : null;
}

/** Normalises or throws INVALID_PHONE against `field`. */
export function requirePhone(raw: string, field: (string | number)[]): string {
  const phone = normalizePhone(raw);
  if (!phone) throw new InvalidInputError('INVALID_PHONE', { phone: raw }, field);
  return phone;
}

/** 138****5678: what staff screens and logs show. */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : phone;
}
