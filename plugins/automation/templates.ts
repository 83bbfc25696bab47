/**
 * Message templates: text with `{variable}` placeholders, one per language. Pure functions, so the
 * rendering is unit-tested (tests/unit/automation-rules.test.ts).
 */

/** What a template may use; each trigger fills what it knows (an unknown value renders empty). */
export const TEMPLATE_VARIABLES = [
  'name',
  'store',
  'days',
  'date',
  'points',
  'tier',
  'segment',
  'weekday',
  'coupon',
  'couponTitle',
  'couponExpires',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export const TEMPLATE_MAX_LENGTH = 500;

/** The first placeholder that is not a variable, or null. `{{` writes a literal brace. */
export function unknownVariable(template: string): string | null {
  for (const match of template.replaceAll('{{', '').matchAll(/\{([^{}]*)\}/g)) {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(match[1]!)) return `{${match[1]}}`;
  }
  return null;
}

export function render(template: string, values: Partial<Record<TemplateVariable, string | number>>): string {
  // Split at the escaped braces first, so "{{name}" stays literal text.
  return template
    .split('{{')
    .map((part) =>
      part.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) =>
        (TEMPLATE_VARIABLES as readonly string[]).includes(name)
          ? String(values[name as TemplateVariable] ?? '')
          : whole,
      ),
    )
    .join('{');
}
