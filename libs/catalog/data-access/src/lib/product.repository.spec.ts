import { requirePortSpec } from '@strata/platform/ports';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { ProductRepository } from './product.repository';

describe('ProductRepository, as a remote port', () => {
  // What the serving unit's PortServer does with the argument of a call from another unit.
  const problemsOf = async (argument: object) => {
    const [argumentClass] = requirePortSpec(ProductRepository).argumentClasses.get('reserve') ?? [];
    if (!argumentClass) throw new Error('reserve declares no argument class');
    const errors = await validate(plainToInstance(argumentClass, argument) as object, { whitelist: true, forbidNonWhitelisted: true });
    return errors.map((error) => error.property);
  };
  const reservation = (lines: object[]) => ({ reservationId: randomUUID(), lines });

  it('accepts a well-formed reservation', async () => {
    await expect(problemsOf(reservation([{ productId: randomUUID(), quantity: 2 }]))).resolves.toEqual([]);
  });

  it.each([
    ['a negative quantity, which would add stock', reservation([{ productId: randomUUID(), quantity: -3 }])],
    ['a zero quantity', reservation([{ productId: randomUUID(), quantity: 0 }])],
    ['a fractional quantity', reservation([{ productId: randomUUID(), quantity: 1.5 }])],
    ['a product id that is not a UUID', reservation([{ productId: 'p-1', quantity: 1 }])],
    ['no lines', reservation([])],
    ['a reservation id that is not a UUID', { reservationId: 'r-1', lines: [{ productId: randomUUID(), quantity: 1 }] }],
    ['an unknown property', { ...reservation([{ productId: randomUUID(), quantity: 1 }]), releasedAt: 'now' }],
  ])('refuses a reservation with %s', async (_, argument) => {
    await expect(problemsOf(argument)).resolves.not.toEqual([]);
  });
});
