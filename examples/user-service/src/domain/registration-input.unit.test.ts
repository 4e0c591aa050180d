import { describe, expect, it } from 'vitest';
import { isAtLeast, registrationInput } from './registration-input.js';

const today = new Date('2025-06-01T12:00:00Z');
const schema = registrationInput({ allowedEmailDomains: ['gmail.com', 'Company.com'], now: () => today });
const valid = { username: 'ada', email: 'ada@gmail.com', password: 'Secret1!x', fullName: 'Ada Lovelace' };

function errors(input: Record<string, unknown>): [string, string][] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

describe('registration rules', () => {
  it('accepts a valid registration, with or without a date of birth, and trims email and full name', () => {
    expect(errors(valid)).toEqual([]);
    expect(errors({ ...valid, dateOfBirth: '2000-02-29' })).toEqual([]);
    expect(schema.parse({ ...valid, email: '  ada@gmail.com ', fullName: '  Ada  ' })).toMatchObject({
      email: 'ada@gmail.com',
      fullName: 'Ada',
    });
  });

  it.each([
    ['ab', ['Username must be at least 3 characters long']],
    ['a'.repeat(31), ['Username must be at most 30 characters long']],
    ['ada_l', ['Username may contain only letters and digits']],
    ['ad a', ['Username may contain only letters and digits']],
    ['é1x', ['Username may contain only letters and digits']],
    ['a!', ['Username may contain only letters and digits', 'Username must be at least 3 characters long']],
  ])('username %j is rejected', (username, messages) => {
    expect(errors({ ...valid, username })).toEqual(messages.map((message) => ['username', message]));
  });

  it.each(['abc', 'ABC123', 'a'.repeat(30)])('username %j is accepted', (username) => {
    expect(errors({ ...valid, username })).toEqual([]);
  });

  it.each([
    ['not-an-email', 'Email must be a valid email address'],
    ['ada@', 'Email must be a valid email address'],
    ['ada@hotmail.com', 'Email domain is not allowed (allowed: gmail.com, company.com)'],
    ['ada@mail.gmail.com', 'Email domain is not allowed (allowed: gmail.com, company.com)'],
  ])('email %j is rejected', (email, message) => {
    expect(errors({ ...valid, email })).toEqual([['email', message]]);
  });

  it('compares email domains case-insensitively, on both sides', () => {
    expect(errors({ ...valid, email: 'Ada@GMAIL.com' })).toEqual([]);
    expect(errors({ ...valid, email: 'ada@company.COM' })).toEqual([]);
  });

  it.each([
    ['Short1!', ['Password must be at least 8 characters long']],
    ['UPPERCASE1!', ['Password must contain a lower-case letter']],
    ['lowercase1!', ['Password must contain an upper-case letter']],
    ['NoDigitsHere!', ['Password must contain a digit']],
    ['NoSpecial123', ['Password must contain one of !@#$%^&*']],
    ['Special1?', ['Password must contain one of !@#$%^&*']],
    [
      'a',
      [
        'Password must be at least 8 characters long',
        'Password must contain an upper-case letter',
        'Password must contain a digit',
        'Password must contain one of !@#$%^&*',
      ],
    ],
    [`Aa1!${'x'.repeat(125)}`, ['Password must be at most 128 characters long']],
  ])('password %j is rejected', (password, messages) => {
    expect(errors({ ...valid, password })).toEqual(messages.map((message) => ['password', message]));
  });

  it.each(['Secret1!', 'aB3@aaaa', 'aB3#aaaa', 'aB3$aaaa', 'aB3%aaaa', 'aB3^aaaa', 'aB3&aaaa', 'aB3*aaaa'])(
    'password %j is accepted',
    (password) => {
      expect(errors({ ...valid, password })).toEqual([]);
    },
  );

  it.each([
    ['A', 'Full name must be at least 2 characters long'],
    ['  A  ', 'Full name must be at least 2 characters long'],
    ['x'.repeat(101), 'Full name must be at most 100 characters long'],
  ])('full name %j is rejected', (fullName, message) => {
    expect(errors({ ...valid, fullName })).toEqual([['fullName', message]]);
  });

  it('needs the user to be at least 13 on the injected date', () => {
    expect(errors({ ...valid, dateOfBirth: '2012-06-01' })).toEqual([]); // 13 today
    expect(errors({ ...valid, dateOfBirth: '2012-06-02' })).toEqual([['dateOfBirth', 'You must be at least 13 years old']]);
    expect(errors({ ...valid, dateOfBirth: '2030-01-01' })).toEqual([['dateOfBirth', 'You must be at least 13 years old']]);
    expect(errors({ ...valid, dateOfBirth: '01/02/2000' })).toEqual([['dateOfBirth', 'Date of birth must be a date (YYYY-MM-DD)']]);
    expect(errors({ ...valid, dateOfBirth: '2000-02-30' })).toEqual([['dateOfBirth', 'Date of birth must be a date (YYYY-MM-DD)']]);
  });

  it('counts a 29 February birthday as 1 March in other years', () => {
    expect(isAtLeast(13, '2012-02-29', new Date('2025-02-28T23:59:59Z'))).toBe(false);
    expect(isAtLeast(13, '2012-02-29', new Date('2025-03-01T00:00:00Z'))).toBe(true);
    expect(isAtLeast(13, '2011-02-28', new Date('2024-02-28T00:00:00Z'))).toBe(true);
  });

  it('reports every missing or mistyped field at once', () => {
    expect(errors({})).toEqual([
      ['username', 'Username is required'],
      ['email', 'Email is required'],
      ['password', 'Password is required'],
      ['fullName', 'Full name is required'],
    ]);
    expect(errors({ username: 1, email: true, password: null, fullName: [], dateOfBirth: 5 }).map(([path]) => path)).toEqual([
      'username',
      'email',
      'password',
      'fullName',
      'dateOfBirth',
    ]);
  });
});
