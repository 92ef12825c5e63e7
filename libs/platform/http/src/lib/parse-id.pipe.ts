import { BadRequestException, Injectable, ParseUUIDPipe } from '@nestjs/common';

/**
 * Validates a UUID route parameter, answering 400 with the parameter's name.
 *
 * @example
 * getOne(@Param('id', ParseIdPipe) id: string)
 */
@Injectable()
export class ParseIdPipe extends ParseUUIDPipe {
  constructor() {
    super({ exceptionFactory: () => new BadRequestException(['id must be a UUID']) });
  }
}
