import { totalCentsOf } from './order-pricing';

describe('totalCentsOf', () => {
  it('adds quantity times unit price over the lines', () => {
    expect(
      totalCentsOf([
        { quantity: 2, unitPriceCents: 150 },
        { quantity: 3, unitPriceCents: 1 },
      ]),
    ).toBe(303);
  });

  it('is zero for free items', () => {
    expect(totalCentsOf([{ quantity: 5, unitPriceCents: 0 }])).toBe(0);
  });
});
