import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsId } from './id';

class Reference {
  @IsId() customerId!: string;
}

describe('@IsId', () => {
  it('takes a UUID of any version in either case, and lower-cases it', () => {
    const value = plainToInstance(Reference, { customerId: '3F2504E0-4F89-11D3-9A0C-0305E82C3301' });

    expect(validateSync(value)).toEqual([]);
    expect(value.customerId).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  });

  it.each(['not-a-uuid', 42, null])('refuses %j, naming the field', (customerId) => {
    const errors = validateSync(plainToInstance(Reference, { customerId }));

    expect(errors.flatMap((error) => Object.values(error.constraints ?? {}))).toEqual(['customerId must be a UUID']);
  });
});
