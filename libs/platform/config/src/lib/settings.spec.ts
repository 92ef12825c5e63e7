import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { loadSettings } from './settings';
import { ConfigurationError, Secret, toInteger } from './variables';

/** A module's settings as a module would declare them. */
class SampleSettings {
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(1000)
  readonly SAMPLE_DELAY_MS: number = 500;

  @IsIn(['fast', 'safe'])
  readonly SAMPLE_MODE: 'fast' | 'safe' = 'safe';

  @Secret()
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'SAMPLE_API_KEY must be at least 8 characters long' })
  readonly SAMPLE_API_KEY?: string;
}

describe('loadSettings', () => {
  it('uses the defaults when nothing (or an empty value) is set', () => {
    const settings = loadSettings(SampleSettings, { SAMPLE_DELAY_MS: '' });

    expect(settings).toBeInstanceOf(SampleSettings);
    expect(settings.SAMPLE_DELAY_MS).toBe(500);
    expect(settings.SAMPLE_MODE).toBe('safe');
    expect(settings.SAMPLE_API_KEY).toBeUndefined();
  });

  it('reads typed values from the environment', () => {
    const settings = loadSettings(SampleSettings, { SAMPLE_DELAY_MS: '250', SAMPLE_MODE: 'fast', SAMPLE_API_KEY: 'k'.repeat(8) });

    expect(settings).toEqual({ SAMPLE_DELAY_MS: 250, SAMPLE_MODE: 'fast', SAMPLE_API_KEY: 'k'.repeat(8) });
  });

  it('carries only the variables it declares, never the rest of the environment', () => {
    const settings = loadSettings(SampleSettings, { INTERNAL_AUTH_SECRET: 's'.repeat(32), PORT: '3000' });

    expect(Object.keys(settings).sort()).toEqual(['SAMPLE_DELAY_MS', 'SAMPLE_MODE']);
  });

  it.each([
    ['SAMPLE_DELAY_MS', 'soon'],
    ['SAMPLE_DELAY_MS', '99'],
    ['SAMPLE_DELAY_MS', '1.5'],
    ['SAMPLE_MODE', 'reckless'],
  ])('rejects %s=%s with a ConfigurationError naming the variable', (name, value) => {
    expect(() => loadSettings(SampleSettings, { [name]: value })).toThrow(ConfigurationError);
    expect(() => loadSettings(SampleSettings, { [name]: value })).toThrow(new RegExp(`${name}.*${value}`));
  });

  it('says what is wrong first: a number that is not one is not a number, whatever its bounds', () => {
    expect(() => loadSettings(SampleSettings, { SAMPLE_DELAY_MS: 'soon' })).toThrow(
      new ConfigurationError(['SAMPLE_DELAY_MS must be an integer number (got "soon")']),
    );
  });

  it('reports every bad variable at once', () => {
    try {
      loadSettings(SampleSettings, { SAMPLE_DELAY_MS: 'x', SAMPLE_MODE: 'y' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect((error as ConfigurationError).problems).toHaveLength(2);
    }
  });

  it('names a bad secret without repeating it', () => {
    expect(() => loadSettings(SampleSettings, { SAMPLE_API_KEY: 'hunter2' })).toThrow(/SAMPLE_API_KEY must be at least 8 characters/);
    expect(() => loadSettings(SampleSettings, { SAMPLE_API_KEY: 'hunter2' })).not.toThrow(/hunter2/);
  });
});
