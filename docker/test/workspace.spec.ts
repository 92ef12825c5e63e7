import { declaredVariables } from './support/workspace';

/** The artefacts are checked against what `declaredVariables` finds in the code: it must find all of it. */
describe('the variables the app reads, as found in the code', () => {
  it("are the platform's variables and every module's own settings", () => {
    expect(declaredVariables).toEqual(expect.arrayContaining(['DATABASE_URL', 'INTERNAL_AUTH_SECRET', 'INTERNAL_HOST', 'SETTLE_AFTER_MS']));
  });

  it('are variable names, nothing else', () => {
    expect(declaredVariables.filter((name) => !/^[A-Z][A-Z0-9_]*$/.test(name))).toEqual([]);
  });
});
