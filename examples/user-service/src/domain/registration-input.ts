import { z } from 'zod';

/** Options of {@link registrationInput}. */
export interface RegistrationRules {
  /** Lower-case email domains that may register. */
  readonly allowedEmailDomains: readonly string[];
  /** Today, for the minimum age. */
  readonly now: () => Date;
}

export const MINIMUM_AGE = 13;
const SPECIAL_CHARACTERS = '!@#$%^&*';

const required =
  (what: string) =>
  (issue: { input: unknown }): string =>
    issue.input === undefined ? `${what} is required` : `${what} must be a string`;

/**
 * The rules of `POST /users`, from the source document. Every field is checked independently, so one
 * request gets every problem at once. Messages never repeat the input: they end up in logs and events.
 */
export function registrationInput(rules: RegistrationRules) {
  const allowed = new Set(rules.allowedEmailDomains.map((domain) => domain.toLowerCase()));
  return z.object({
    username: z
      .string({ error: required('Username') })
      .regex(/^[A-Za-z0-9]*$/, { error: 'Username may contain only letters and digits' })
      .min(3, { error: 'Username must be at least 3 characters long' })
      .max(30, { error: 'Username must be at most 30 characters long' }),
    email: z
      .string({ error: required('Email') })
      .trim()
      .pipe(
        z
          .email({ error: 'Email must be a valid email address' })
          .max(254, { error: 'Email must be at most 254 characters long' })
          .refine((email) => allowed.has(domainOf(email)), {
            error: `Email domain is not allowed (allowed: ${[...allowed].join(', ')})`,
            when: (payload) => payload.issues.length === 0,
          }),
      ),
    password: z
      .string({ error: required('Password') })
      .min(8, { error: 'Password must be at least 8 characters long' })
      // An upper bound beyond the source document's rules: hashing megabytes per request is a cheap attack.
      .max(128, { error: 'Password must be at most 128 characters long' })
      .regex(/[a-z]/, { error: 'Password must contain a lower-case letter' })
      .regex(/[A-Z]/, { error: 'Password must contain an upper-case letter' })
      .regex(/[0-9]/, { error: 'Password must contain a digit' })
      .regex(/[!@#$%^&*]/, { error: `Password must contain one of ${SPECIAL_CHARACTERS}` }),
    fullName: z
      .string({ error: required('Full name') })
      .trim()
      .pipe(
        z
          .string()
          .min(2, { error: 'Full name must be at least 2 characters long' })
          .max(100, { error: 'Full name must be at most 100 characters long' }),
      ),
    dateOfBirth: z.iso
      .date({ error: 'Date of birth must be a date (YYYY-MM-DD)' })
      .refine((date) => isAtLeast(MINIMUM_AGE, date, rules.now()), {
        error: `You must be at least ${MINIMUM_AGE} years old`,
        when: (payload) => payload.issues.length === 0,
      })
      .optional(),
  });
}

export type RegistrationInput = z.output<ReturnType<typeof registrationInput>>;

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** True when someone born on `birthDate` (YYYY-MM-DD) has had their `age`th birthday by `today` (UTC). A 29 February birthday falls on 1 March in other years. */
export function isAtLeast(age: number, birthDate: string, today: Date): boolean {
  const [year, month, day] = birthDate.split('-').map(Number) as [number, number, number];
  const birthday = [year + age, month, day] as const;
  const now = [today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()] as const;
  for (let i = 0; i < 3; i++) {
    if (now[i]! !== birthday[i]!) return now[i]! > birthday[i]!;
  }
  return true;
}
