import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsEmailAddress, IsText } from './text';

class Named {
  @IsText({ max: 5 }) name!: string;
  @IsText({ min: 0, max: 10 }) note = '';
}

const check = (plain: object) => {
  const value = plainToInstance(Named, plain);
  return { value, messages: validateSync(value).flatMap((error) => Object.values(error.constraints ?? {})) };
};

describe('@IsText', () => {
  it('trims, and accepts what PostgreSQL text can hold', () => {
    expect(check({ name: '  Ada ', note: ' ' })).toEqual({ value: expect.objectContaining({ name: 'Ada', note: '' }), messages: [] });
    // A character outside the Basic Multilingual Plane is a surrogate pair, and valid.
    expect(check({ name: 'Ada😀', note: 'é' }).messages).toEqual([]);
  });

  it.each([
    [{ name: '   ' }, 'name must not be empty or blank'],
    [{ name: 'a\u0000b' }, 'name must not contain NUL (\\u0000) characters'],
    [{ name: 'Ada', note: '\u0000' }, 'note must not contain NUL (\\u0000) characters'],
    [{ name: 'a\ud800b' }, 'name must be valid Unicode (no unpaired surrogate, \\uD800 to \\uDFFF)'],
    [{ name: 'Ada', note: 'x\udfff' }, 'note must be valid Unicode (no unpaired surrogate, \\uD800 to \\uDFFF)'],
    [{ name: 'abcdef' }, 'name must be shorter than or equal to 5 characters'],
    [{ name: 42 }, 'name must be a string'],
  ])('refuses %j, naming the field', (plain, message) => {
    expect(check(plain).messages).toContain(message);
  });

  it('refuses a non-string for what it is, with no message about its length', () => {
    expect(check({ name: 42 }).messages).toEqual(['name must be a string']);
    expect(check({ name: ['a', 'b'] }).messages).toEqual(['name must be a string']);
  });
});

describe('@IsEmailAddress', () => {
  class Contact {
    @IsText({ max: 254 })
    @IsEmailAddress()
    email!: string;
  }
  const messagesOf = (email: unknown) =>
    validateSync(plainToInstance(Contact, { email })).flatMap((error) => Object.values(error.constraints ?? {}));

  it('accepts an email address, and refuses what is not one', () => {
    expect(messagesOf('ada+shop@example.com')).toEqual([]);
    expect(messagesOf('not-an-email')).toEqual(['email must be an email']);
  });

  // validator.js's isEmail throws URIError on one, which was a 500.
  it.each(['ada\ud800@example.com', '\udc00'])('leaves half a surrogate pair (%j) to @IsText, without throwing', (email) => {
    expect(messagesOf(email)).toEqual(['email must be valid Unicode (no unpaired surrogate, \\uD800 to \\uDFFF)']);
  });
});
