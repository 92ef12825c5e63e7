import { ApiProperty } from '@nestjs/swagger';
import { IsEmailAddress, IsText } from '@strata/platform/ports';

export class CreateCustomerDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsText({ max: 254 })
  @IsEmailAddress()
  email!: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 200, description: 'Trimmed; not blank.' })
  @IsText({ max: 200 })
  name!: string;
}

export class CustomerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time', description: 'ISO 8601' }) createdAt!: string;
}
