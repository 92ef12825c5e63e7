import { ConflictError, errorFromEnvelope, NotFoundError, UnavailableError } from './application-error';

class WidgetNotFoundError extends NotFoundError {
  constructor(widgetId: string) {
    super('widgets.widget_not_found', `Widget ${widgetId} was not found`, { widgetId });
  }
}

describe('ApplicationError', () => {
  it('carries its category, status, code and details into the envelope', () => {
    const error = new WidgetNotFoundError('w-1');

    expect(error.name).toBe('WidgetNotFoundError');
    expect(error.toEnvelope()).toEqual({
      code: 'widgets.widget_not_found',
      category: 'not_found',
      status: 404,
      message: 'Widget w-1 was not found',
      details: { widgetId: 'w-1' },
    });
  });

  it.each([
    [new ConflictError('x.conflict', 'taken'), 409],
    [new UnavailableError('x.down', 'down'), 503],
  ])('maps %p to status %d', (error, status) => {
    expect(error.status).toBe(status);
  });

  it('revives an envelope into an error of the same category, code and details', () => {
    const revived = errorFromEnvelope(new WidgetNotFoundError('w-2').toEnvelope());

    expect(revived).toBeInstanceOf(NotFoundError);
    expect(revived.toEnvelope()).toEqual(new WidgetNotFoundError('w-2').toEnvelope());
  });
});
