import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';

/** The message a JSON body that is not an object (an array, a string, a number, `null`) is answered with. */
export const BODY_NOT_AN_OBJECT = 'the body must be a JSON object';

/**
 * Nest's `ValidationPipe` as every API unit uses it: DTOs instantiated, unknown properties refused.
 * A body that is not an object gets a 400 saying so: the pipe alone validates an array item by item
 * against the DTO ("property 0 should not exist", then every field as missing) and a string or a
 * number as if no field were given.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true, forbidUnknownValues: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // No body at all (undefined) is left to the DTO's rules, which name the fields it needs.
    const notAnObject = value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value));
    if (metadata.type === 'body' && notAnObject && this.toValidate(metadata)) {
      throw new BadRequestException([BODY_NOT_AN_OBJECT]);
    }
    return super.transform(value, metadata);
  }
}
