/**
 * What can be checked of an e-mail address without sending mail: one @, a dot after it, no
 * spaces, at most 254 characters (the longest address SMTP carries). Compared lower-cased.
 */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const EMAIL_MAX_LENGTH = 254;

export function isEmail(email: string): boolean {
  return email.length <= EMAIL_MAX_LENGTH && EMAIL.test(email);
}
